package httpd

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// uriSeeds are request targets from real traffic and from RFC 3986's
// examples (section 5.4), plus the shapes nginx's ngx_http_parse_complex_uri
// has states for.
var uriSeeds = []string{
	"/", "/index.html", "/api/todos?select=id,title&order=id.desc&limit=10",
	"/rest/items?id=eq.1&select=*", "/static/css/app.css?v=3", "/favicon.ico",
	"/a/b/c/./../../g", "/a/b/c/../../../g", "/./g", "/../g", "/g.", "/.g", "/g..", "/..g",
	"/a/b/c/./g/.", "/a/b/c/g/./h", "/a/b/c/g/../h", "/a/b/c/g;x=1/./y", "/a/b/c/g;x=1/../y",
	"/a//b///c", "//", "/%2e%2e/x", "/a/%2E/b", "/a%2fb", "/%41%42%43", "/%zz", "/%4", "/%",
	"/a?b?c", "/?", "?", "*", "", "http://example.com/a/../b", "https://example.com", "http://x",
	"/a/b/..", "/a/b/.", "/a/.%2e/b", "/%00", "/\x80\xff",
}

// FuzzNormalizeURI checks normalizeURI against the invariants of
// ngx_http_parse_complex_uri: a path that is accepted starts with "/",
// has no "." or ".." segment left, no empty inner segment when slashes are
// merged, and normalising it again changes nothing (when no %XX is left to
// decode). splitURI keeps every byte.
func FuzzNormalizeURI(f *testing.F) {
	for _, s := range uriSeeds {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, target string, merge bool) {
		path, args, hasArgs := splitURI(target)
		if hasArgs && path+"?"+args != target || !hasArgs && (path != target || args != "") {
			t.Fatalf("splitURI(%q) = %q, %q, %v", target, path, args, hasArgs)
		}
		res, ok := normalizeURI(path, merge)
		if !ok || !strings.HasPrefix(path, "/") && schemeLen(path) == 0 {
			return
		}
		if !strings.HasPrefix(res, "/") {
			t.Fatalf("normalizeURI(%q) = %q", path, res)
		}
		segs := strings.Split(res, "/")
		for i, s := range segs {
			if s == "." || s == ".." {
				t.Fatalf("normalizeURI(%q) = %q keeps a dot segment", path, res)
			}
			if merge && s == "" && i > 0 && i < len(segs)-1 {
				t.Fatalf("normalizeURI(%q) = %q keeps an empty segment", path, res)
			}
		}
		if !strings.Contains(res, "%") {
			again, ok := normalizeURI(res, merge)
			if !ok || again != res {
				t.Fatalf("normalizeURI not idempotent: %q -> %q -> %q, %v", path, res, again, ok)
			}
		}
	})
}

// ngxArg is nginx's ngx_http_arg transliterated: the first "name=" (name
// compared case-insensitively) at the start of args or after a "&"; the
// value runs to the next "&". A bare "name" without "=" does not match.
func ngxArg(args, name string) (string, bool) {
	n := len(name)
	for p := 0; p+n < len(args); p++ {
		if !strings.EqualFold(args[p:p+n], name) {
			continue
		}
		if (p == 0 || args[p-1] == '&') && args[p+n] == '=' {
			v := args[p+n+1:]
			if i := strings.IndexByte(v, '&'); i >= 0 {
				v = v[:i]
			}
			return v, true
		}
	}
	return "", false
}

// FuzzArgs compares $arg_NAME with nginx's ngx_http_arg. Names are what a
// variable name can hold after "arg_" ([A-Za-z0-9_]+).
func FuzzArgs(f *testing.F) {
	for _, s := range uriSeeds {
		if _, a, ok := splitURI(s); ok {
			f.Add(a, "select")
			f.Add(a, "id")
		}
	}
	for _, s := range []string{"a=1&b=2", "a&a=1", "A=1", "a=&a=2", "aa=1&a=2", "b=1&a", "a==1", "&a=1&", "x=a&a=b&a=c", "a=%20+b"} {
		f.Add(s, "a")
	}
	name := regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	f.Fuzz(func(t *testing.T, args, key string) {
		if !name.MatchString(key) {
			return
		}
		v, ok := argValue(args, key)
		wv, wok := ngxArg(args, key)
		if v != wv || ok != wok {
			t.Fatalf("$arg_%s of %q = %q, %v; nginx gives %q, %v", key, args, v, ok, wv, wok)
		}
	})
}

// requestSeeds are request heads as clients send them (curl, browsers,
// PostgREST clients, RFC 9112's examples) and the hostile shapes of the
// hardening issue.
var requestSeeds = []string{
	"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", "GET / HTTP/1.1\r\nHost: [::A]x:80\r\n\r\n",
	"GET http://A.Example.:99/x HTTP/1.1\r\nHost: b\r\n\r\n", "GET web+x://[::1]?a HTTP/1.1\r\nHost: \r\n\r\n",
	"GET / HTTP/1.0\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
	"GET /api/todos?select=id HTTP/1.1\r\nHost: api.example.com\r\nAccept: application/json\r\nAuthorization: Bearer x.y.z\r\nPrefer: return=representation\r\n\r\n",
	"POST /rpc/login HTTP/1.1\r\nHost: EXAMPLE.com.\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
	"GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org:8080\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
	"GET /where?q=now HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
	"GET / HTTP/1.0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: ..\r\n\r\n", "GET / HTTP/1.1\r\nHost: .\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
	"GET / HTTP/1.1\r\nX A: b\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
	"GET / HTTP/1.1\nHost: x\n\n", "get / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /%00 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
}

// FuzzRequestHead feeds request heads through fasthttp's parser (as the
// server does) and then through goresty's own handling of what it
// produced: $host, server selection by name, the request target.
//
// Properties: a host that requestHost (ngx_http_validate_host, on an
// absolute target's host or the Host header) accepts has no "..", slash,
// backslash, space or control byte, no trailing dot, and is not empty
// when a Host header was sent; $host is lower case and is what chose
// the server; exact server names win; header lines cannot smuggle CR or LF.
// hostSource is what requestHost validated: an absolute target's host,
// else the Host header.
func hostSource(h *fasthttp.RequestHeader) []byte {
	if th, abs, _ := targetHost(h.RequestURI()); abs {
		return th
	}
	return h.Host()
}

func FuzzRequestHead(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	def := &Server{names: []string{"default.test"}}
	g := &listenGroup{def: def, servers: []*Server{def}}
	for _, names := range [][]string{{"api.example.com", "www.example.org"}, {"*.example.com"},
		{"www.example.*"}, {".example.org"}, {`~^(?<sub>[a-z]+)\.test$`}, {"localhost", "[::1]"}} {
		s := &Server{}
		for _, n := range names {
			if err := s.addName(n); err != nil {
				f.Fatal(err)
			}
		}
		g.servers = append(g.servers, s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fc := &fasthttp.RequestCtx{}
		if err := fc.Request.Header.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
			return
		}
		bad := func(b []byte) bool { return bytes.ContainsAny(b, "\r\n") }
		for k, v := range fc.Request.Header.All() {
			if bad(k) || bad(v) || len(k) == 0 || bytes.IndexByte(k, ':') >= 0 {
				t.Fatalf("header line %q: %q passed the parser", k, v)
			}
		}
		if bad(fc.Request.Header.RequestURI()) || bad(fc.Request.Header.Method()) {
			t.Fatalf("request line %q %q passed the parser", fc.Request.Header.Method(), fc.Request.Header.RequestURI())
		}
		h, ok := requestHost(&fc.Request.Header)
		if !ok {
			return // answered 400 before any server is chosen
		}
		// a trailing dot stays only when a later dot (in the port) hid it,
		// as in nginx
		if bytes.Contains(h, []byte("..")) || bytes.ContainsAny(h, "/\\\x7f") || bytes.IndexFunc(h, func(r rune) bool { return r <= ' ' }) >= 0 ||
			len(h) > 0 && h[len(h)-1] == '.' && !bytes.Contains(hostSource(&fc.Request.Header)[len(h):], []byte(".")) {
			t.Fatalf("Host %q passed validation", h)
		}
		if len(h) == 0 && len(fc.Request.Header.Host()) > 0 {
			t.Fatalf("Host %q gave an empty name", fc.Request.Header.Host())
		}
		raw1 := lowerHost(h)
		r := &Request{fc: fc, srv: def}
		host := r.hostVar()
		if host != strings.ToLower(host) {
			t.Fatalf("$host %q not lower case", host)
		}
		if len(h) > 0 && host != raw1 {
			t.Fatalf("$host %q before and %q after choosing the server", raw1, host)
		}
		srv := g.find(raw1)
		if srv == nil {
			t.Fatalf("no server for %q", raw1)
		}
	exact:
		for _, s := range g.servers {
			for _, n := range s.names {
				if n == raw1 {
					if srv != s {
						t.Fatalf("%q: the server with that exact name was not chosen", raw1)
					}
					break exact
				}
			}
		}
		path, _, _ := splitURI(string(fc.Request.Header.RequestURI()))
		normalizeURI(path, true)
	})
}
