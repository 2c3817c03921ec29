package httpd_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Differential cases of issue 13: each runs on goresty, and on nginx with
// NGX_REFERENCE=/usr/sbin/nginx, and asserts nginx's answer.

// The variables of nginx's index that real proxy configurations use are
// known, with nginx's values; config strings see "" for not found.
func TestParityVariables(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server { listen 127.0.0.1:PORT; root html;
  location /v { return 200 "pa=$proxy_add_x_forwarded_for|xff=$http_x_forwarded_for|sp=$server_protocol|ck=$cookie_C2|arg=$arg_b|lr=$limit_rate|pipe=$pipe|rc=$request_completion|rbf=$request_body_file|st=$sent_trailer_x|pp=$proxy_protocol_addr|us=$upstream_cache_status|ua=$upstream_addr|ct=$upstream_connect_time|uc=$upstream_cookie_x|ut=$upstream_trailer_x|sc=$sent_http_connection|ste=$sent_http_transfer_encoding|h2=$http2|ssl=$ssl_protocol$ssl_cipher|gz=$gzip_ratio"; }
  location /b { return 200 "$binary_remote_addr"; }
  location /f { return 200 "$request_filename|$document_root|$realpath_root"; }
  location /t { return 200 "$tcpinfo_rtt|$tcpinfo_rttvar|$tcpinfo_snd_cwnd|$tcpinfo_rcv_space|$connection_time|$date_gmt|$date_local|$connection_requests|$bytes_sent"; }
  location /root { root html/$arg_d; return 200 "$document_root|$request_filename"; }
}`)
	resp, body, _ := s.Exchange(t, "GET /v?a=1&B=2 HTTP/1.1\r\nHost: x\r\nCookie: c1=v1; c2=v2\r\n"+
		"X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nConnection: close\r\n\r\n")
	want := "pa=1.1.1.1, 2.2.2.2, 127.0.0.1|xff=1.1.1.1, 2.2.2.2|sp=HTTP/1.1|ck=v2|arg=2|lr=0|pipe=.|rc=|rbf=|st=|pp=|us=|ua=|ct=|uc=|ut=|sc=close|ste=|h2=|ssl=|gz="
	if resp.StatusCode != 200 || body != want {
		t.Errorf("variables:\n got %q\nwant %q", body, want)
	}
	if _, _, body := s.Get(t, "/b"); body != "\x7f\x00\x00\x01" {
		t.Errorf("$binary_remote_addr = %q", body)
	}
	html := filepath.Join(s.Prefix, "html")
	os.MkdirAll(filepath.Join(html, "site1"), 0o755)
	if _, _, body := s.Get(t, "/f/a.txt"); body != html+"/f/a.txt|"+html+"|"+html {
		t.Errorf("$request_filename|$document_root|$realpath_root = %q", body)
	}
	if _, _, body := s.Get(t, "/root/x?d=site1"); body != html+"/site1|"+html+"/site1/root/x" {
		t.Errorf("root with variables: %q", body)
	}
	_, _, body = s.Get(t, "/t")
	if !regexp.MustCompile(`^\d+\|\d+\|\d+\|\d+\|\d+\.\d{3}\|[A-Z][a-z]+day, \d\d-[A-Z][a-z][a-z]-\d{4} \d\d:\d\d:\d\d GMT\|[A-Z][a-z]+day, \d\d-[A-Z][a-z][a-z]-\d{4} \d\d:\d\d:\d\d [A-Z]+\|1\|0$`).MatchString(body) {
		t.Errorf("tcpinfo, connection_time, date_*: %q", body)
	}
}

// An unknown variable fails the configuration test with nginx's message,
// which names no position; a known prefix ($upstream_http_*) is not unknown.
func TestParityUnknownVariable(t *testing.T) {
	for _, c := range []struct{ v, err string }{
		{"$foo_bar", `unknown "foo_bar" variable`},
		{"$request_port", `unknown "request_port" variable`}, // newer than nginx 1.22
		{"$upstream_http_x$upstream_cookie_y$sent_trailer_z$proxy_add_x_forwarded_for$ssl_server_name$realpath_root", ""},
	} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
		os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
		text := "events {}\nhttp { server { listen 127.0.0.1:1; location / { return 200 \"" + c.v + "\"; } } }\n"
		os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(text), 0o644)
		var msg string
		if ref := os.Getenv("NGX_REFERENCE"); ref != "" {
			out, err := exec.Command(ref, "-t", "-q", "-p", dir+"/", "-c", "conf/nginx.conf", "-e", "logs/error.log").CombinedOutput()
			if err != nil {
				msg = strings.TrimSpace(string(out))
			}
		} else if _, err := httpd.Load(dir, "conf/nginx.conf"); err != nil {
			msg = "nginx: [emerg] " + err.Error()
		}
		if c.err == "" && msg != "" || c.err != "" && !strings.HasPrefix(msg, fmt.Sprintf("nginx: [emerg] %s", c.err)) {
			t.Errorf("%s: %q, want %q", c.v, msg, c.err)
		}
		if c.err != "" && strings.Contains(msg, " in ") {
			t.Errorf("%s: nginx names no position: %q", c.v, msg)
		}
	}
}

// error_page answers with the error's status and the page's body; "="
// takes the target's status, "=CODE" that code; a second error is the
// plain page unless recursive_error_pages; Last-Modified and Accept-Ranges
// stay on 200s only.
func TestParityErrorPage(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server { listen 127.0.0.1:PORT; root html; default_type text/plain;
  add_header X-A a always;
  error_page 404 /404.txt;
  location /eq { error_page 404 = /fallback; return 404; }
  location /e200 { error_page 404 =200 /404.txt; return 404; }
  location /fallback { return 201 "fb"; }
  location /chain { error_page 404 /c2; return 404; }
  location /c2 { error_page 403 /404.txt; return 403; }
  location /chain2 { recursive_error_pages on; error_page 404 /c3; return 404; }
  location /c3 { error_page 403 =202 /404.txt; return 403; }
  location /abs { error_page 404 http://example.com/nf; return 404; }
  location /abs301 { error_page 404 =301 http://example.com/nf; return 404; }
}`)
	os.MkdirAll(filepath.Join(s.Prefix, "html"), 0o755)
	os.WriteFile(filepath.Join(s.Prefix, "html/404.txt"), []byte("nope\n"), 0o644)
	for _, c := range []struct {
		path   string
		status int
		body   string
		lm     bool // Last-Modified and Accept-Ranges
	}{
		{"/missing", 404, "nope\n", false},
		{"/eq", 201, "fb", false},
		{"/e200", 200, "nope\n", true},
		{"/chain", 403, "<html>", false},
		{"/chain2", 202, "nope\n", false},
		{"/abs", 302, "<html>", false},
		{"/abs301", 301, "<html>", false},
	} {
		code, h, body := s.Get(t, c.path)
		if code != c.status || !strings.HasPrefix(body, c.body) || h.Get("X-A") != "a" {
			t.Errorf("%s: %d %q %q", c.path, code, h, body)
		}
		if (h.Get("Last-Modified") != "") != c.lm || (h.Get("Accept-Ranges") != "") != c.lm {
			t.Errorf("%s: Last-Modified/Accept-Ranges %q", c.path, h)
		}
	}
}

// The headers nginx sends per status: 304 without Content-Type or length
// (If-Modified-Since is exact by default; If-None-Match decides alone when
// present), 204 without Content-Type (return and ngx.exit alike), 405 as
// "Not Allowed", Connection: keep-alive on HTTP/1.1, keepalive_requests,
// 444 closing without an answer, the 413 page without the version.
func TestParityStatusHeaders(t *testing.T) {
	s := httpdtest.StartEnv(t, `
client_max_body_size 1k;
server { listen 127.0.0.1:PORT; root html; keepalive_requests 2;
  add_header X-A a always;
  location /r204 { add_header Access-Control-Allow-Origin *; return 204; }
  location /ret { return 200; }
  location /lua204 { content_by_lua_block { ngx.exit(204) } }
  location /r444 { return 444; }
  location /ka { return 200 "k"; }
  location /quiet { server_tokens off; return 200; }
  location /r304 { return 304; }
  location /lua304 { content_by_lua_block {
    ngx.header["Last-Modified"] = "Thu, 01 Jan 2026 00:00:00 GMT"
    ngx.header["Accept-Ranges"] = "bytes"
    ngx.status = 304
    ngx.send_headers()
  } }
}`)
	html := filepath.Join(s.Prefix, "html")
	os.MkdirAll(html, 0o755)
	os.WriteFile(filepath.Join(html, "f.html"), []byte("hello\n"), 0o644)
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(filepath.Join(html, "f.html"), mod, mod)
	etag := fmt.Sprintf(`"%x-6"`, mod.Unix())
	for _, c := range []struct {
		hdr    []string
		status int
	}{
		{[]string{"If-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT"}, 304},
		{[]string{"If-Modified-Since: Thu, 01 Jan 2026 00:00:01 GMT"}, 200},
		{[]string{"If-None-Match: \"x\", W/" + etag}, 304},
		{[]string{"If-None-Match: \"x\"", "If-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT"}, 200},
	} {
		code, h, _ := s.Get(t, "/f.html", c.hdr...)
		if code != c.status {
			t.Errorf("%q: %d", c.hdr, code)
		}
		if code == 304 && (h.Get("Content-Type") != "" || h.Get("Content-Length") != "" || h.Get("Accept-Ranges") != "" ||
			h.Get("ETag") != etag || h.Get("Last-Modified") == "" || h.Get("X-A") != "a") {
			t.Errorf("304 headers: %q", h)
		}
	}
	for _, p := range []string{"/r204", "/lua204"} {
		resp, _, _ := s.Exchange(t, "OPTIONS "+p+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 204 || resp.Header.Get("Content-Type") != "" || resp.Close {
			t.Errorf("%s: %d %q", p, resp.StatusCode, resp.Header)
		}
	}
	// a 304 of the configuration's own keeps what it set
	if code, h, _ := s.Get(t, "/r304"); code != 304 || h.Get("Content-Type") != "text/plain" {
		t.Errorf("return 304: %d %q", code, h)
	}
	if code, h, _ := s.Get(t, "/lua304"); code != 304 || h.Get("Content-Type") != "" || h.Get("Accept-Ranges") != "bytes" || h.Get("Last-Modified") == "" {
		t.Errorf("Lua 304: %d %q", code, h)
	}
	if code, h, b := s.Get(t, "/ret"); code != 200 || h.Get("Content-Type") != "text/plain" || h.Get("Content-Length") != "0" || b != "" {
		t.Errorf("return 200: %q", h)
	}
	resp, _, _ := s.Exchange(t, "DELETE /f.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.Status != "405 Not Allowed" || resp.Header.Get("X-A") != "a" {
		t.Errorf("405: %q %q", resp.Status, resp.Header)
	}
	resp, body, _ := s.Exchange(t, "POST /quiet HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
	if resp.StatusCode != 413 || resp.Status != "413 Request Entity Too Large" || resp.Header.Get("X-A") != "a" ||
		strings.Contains(body, "/") && strings.Contains(body, "<hr><center>nginx/") || strings.ContainsAny(resp.Header.Get("Server"), "/0123456789") {
		t.Errorf("413 with server_tokens off: %q %q %q", resp.Status, resp.Header, body)
	}
	// keepalive_requests 2: the second answer on a connection closes it
	resp, _, c := s.Exchange(t, "GET /ka HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.Header.Get("Connection") != "keep-alive" {
		t.Errorf("HTTP/1.1 keepalive: %q", resp.Header)
	}
	io.WriteString(c, "GET /ka HTTP/1.1\r\nHost: x\r\n\r\n")
	resp2, _, err := httpdtest.ReadResponse(bufio.NewReader(c), "GET")
	if err != nil || !resp2.Close {
		t.Errorf("second request: %v %q", err, resp2.Header)
	}
	// 444 closes without a byte
	_, _, c = s.Exchange(t, "GET /ka HTTP/1.1\r\nHost: x\r\n\r\n")
	c.Close()
	c, err = net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /r444 HTTP/1.1\r\nHost: x\r\n\r\n")
	if b, err := io.ReadAll(c); len(b) != 0 || err != nil {
		t.Errorf("444: %q %v", b, err)
	}
}

// Error pages are text/html with the configured charset, except the 301
// and 302 pages, and name no version with server_tokens off.
func TestParityErrorPageCharset(t *testing.T) {
	s := httpdtest.StartEnv(t, `
charset utf-8; server_tokens off;
server { listen 127.0.0.1:PORT;
  location /r301 { return 301 /x; }
  location /r302 { return 302 http://a/; }
  location /r307 { return 307 /x; }
  location /r500 { return 500; }
  location /lua404 { content_by_lua_block { ngx.exit(404) } }
}`)
	for _, c := range []struct{ path, ct string }{
		{"/r301", "text/html"},
		{"/r302", "text/html"},
		{"/r307", "text/html; charset=utf-8"},
		{"/r500", "text/html; charset=utf-8"},
		{"/lua404", "text/html; charset=utf-8"},
		{"/missing", "text/html; charset=utf-8"},
	} {
		_, h, body := s.Get(t, c.path)
		if h.Get("Content-Type") != c.ct || strings.ContainsAny(h.Get("Server"), "/0123456789") || !strings.Contains(body, "<hr><center>") ||
			regexp.MustCompile(`<hr><center>[^<]*/`).MatchString(body) {
			t.Errorf("%s: %q %q", c.path, h, body)
		}
	}
}

// An answer that leaves a large body unread names one Connection header
// (goresty closes such a connection, nginx discards the body and keeps it).
func TestParityOneConnectionHeader(t *testing.T) {
	s := httpdtest.StartEnv(t, `client_max_body_size 10m;
server { listen 127.0.0.1:PORT; location / { return 200 "k"; } }`)
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n")
	go c.Write(make([]byte, 3000000)) // fails once the server closes
	br := bufio.NewReader(c)
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
		if strings.HasPrefix(strings.ToLower(line), "connection:") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Connection headers", n)
	}
}

// $proxy_add_x_forwarded_for in proxy_set_header (the line most proxy
// configurations have), and the upstream's cookies and headers read back.
func TestParityProxyVariables(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "a=1; Path=/")
		w.Header().Add("Set-Cookie", "sid=xyz; HttpOnly")
		w.Header().Set("X-Up", "u")
		fmt.Fprint(w, r.Header.Get("X-Forwarded-For"))
	}))
	defer up.Close()
	s := httpdtest.StartEnv(t, `
server { listen 127.0.0.1:PORT;
  location / {
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    add_header X-Got "$upstream_cookie_sid|$upstream_http_x_up|$upstream_status|$upstream_cache_status";
    proxy_pass `+up.URL+`;
  }
}`)
	if _, h, body := s.Get(t, "/", "X-Forwarded-For: 10.0.0.1"); body != "10.0.0.1, 127.0.0.1" || h.Get("X-Got") != "xyz|u|200|" {
		t.Errorf("with X-Forwarded-For: %q %q", body, h.Get("X-Got"))
	}
	if _, _, body := s.Get(t, "/"); body != "127.0.0.1" {
		t.Errorf("without: %q", body)
	}
}

// Content-Length on a 204 and a 304 as nginx 1.22 sends it: a 204 has none
// of its own (not even one set from Lua), but add_header's line goes out as
// listed; a 304 of return or ngx.exit says 0 (with add_header's line as
// well: two), the static module's If-Modified-Since 304 none (add_header's
// alone with one). No body on any.
func TestParity204ContentLength(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server { listen 127.0.0.1:PORT; root html;
  location /a204 { add_header Content-Length 0; add_header Access-Control-Allow-Origin *; return 204; }
  location /r204 { return 204; }
  location /lua204 { content_by_lua_block { ngx.header["Content-Length"] = 0; ngx.exit(204) } }
  location /r304 { return 304; }
  location /a304 { add_header Content-Length 0; return 304; }
  location /lua304 { content_by_lua_block { ngx.exit(304) } }
  location = /g.html { add_header Content-Length 0; }
}`)
	html := filepath.Join(s.Prefix, "html")
	os.MkdirAll(html, 0o755)
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []string{"f.html", "g.html"} {
		os.WriteFile(filepath.Join(html, f), []byte("hello\n"), 0o644)
		os.Chtimes(filepath.Join(html, f), mod, mod)
	}
	for _, c := range []struct {
		req, status, lens, ct string
	}{
		{"OPTIONS /a204 HTTP/1.1\r\n", "204", "0", ""},
		{"GET /r204 HTTP/1.1\r\n", "204", "", ""},
		{"GET /lua204 HTTP/1.1\r\n", "204", "", ""},
		{"GET /r304 HTTP/1.1\r\n", "304", "0", "text/plain"},
		{"GET /a304 HTTP/1.1\r\n", "304", "0,0", "text/plain"},
		{"GET /lua304 HTTP/1.1\r\n", "304", "0", ""},
		{"GET /f.html HTTP/1.1\r\nIf-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT\r\n", "304", "", ""},
		{"GET /g.html HTTP/1.1\r\nIf-Modified-Since: Thu, 01 Jan 2026 00:00:00 GMT\r\n", "304", "0", ""},
	} {
		c.req += "Host: x\r\nConnection: close\r\n\r\n"
		status, hdr, body := rawAnswer(t, s.Addr, c.req)
		lens := hdr["content-length"]
		ct := strings.Join(hdr["content-type"], ",")
		if status != c.status || strings.Join(lens, ",") != c.lens || ct != c.ct || body != "" {
			t.Errorf("%q: %s, Content-Length %q, Content-Type %q, body %q; want %s, %q, %q",
				c.req, status, lens, ct, body, c.status, c.lens, c.ct)
		}
	}
}

// rawAnswer sends req on a new connection and reads the answer until the
// server closes it: the status, the header lines by lowercase name in the
// order sent (duplicates kept), and what follows the header.
func rawAnswer(t *testing.T, addr, req string) (string, map[string][]string, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	head, body, ok := strings.Cut(string(b), "\r\n\r\n")
	if !ok {
		t.Fatalf("%q: no header end in %q", req, b)
	}
	lines := strings.Split(head, "\r\n")
	status := ""
	if f := strings.Fields(lines[0]); len(f) > 1 {
		status = f[1]
	}
	hdr := map[string][]string{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		k = strings.ToLower(k)
		hdr[k] = append(hdr[k], strings.TrimSpace(v))
	}
	return status, hdr, body
}
