package httpd_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, method, url string, hdr map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestClientVisibleDirectives(t *testing.T) {
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/moved":
			w.Header().Set("Location", "http://"+r.Host+"/v1/elsewhere")
			w.WriteHeader(302)
		default:
			fmt.Fprintf(w, "under=%q", r.Header.Get("X_Under"))
		}
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(ln)
	defer up.Close()
	base, p := start(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT;
    charset utf-8;
    location /json { default_type application/json; return 200 "{}"; }
    location /text { return 200 "t"; }
    location /cached { expires 1h; return 200 "c"; }
    location /close { keepalive_timeout 0; return 200 "x"; }
    location /ro {
        limit_except GET { deny all; }
        content_by_lua_block { ngx.print("read") }
    }
    location /small { client_max_body_size 4; return 200 "ok"; }
    location /api/ {
        proxy_pass http://%s/v1/;
    }
}`, ln.Addr()))
	_ = p
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		check                    func(*http.Response, string) string
	}{
		{name: "charset skips types outside charset_types", method: "GET", path: "/json", status: 200,
			check: func(r *http.Response, _ string) string { return want(r.Header.Get("Content-Type"), "application/json") }},
		{name: "charset applies to text/plain", method: "GET", path: "/text", status: 200,
			check: func(r *http.Response, _ string) string {
				return want(r.Header.Get("Content-Type"), "text/plain; charset=utf-8")
			}},
		{name: "expires sets Cache-Control", method: "GET", path: "/cached", status: 200,
			check: func(r *http.Response, _ string) string { return want(r.Header.Get("Cache-Control"), "max-age=3600") }},
		{name: "keepalive_timeout 0 closes", method: "GET", path: "/close", status: 200,
			check: func(r *http.Response, _ string) string { return want(fmt.Sprint(r.Close), "true") }},
		{name: "limit_except lets GET through", method: "GET", path: "/ro", status: 200},
		{name: "limit_except denies other methods", method: "DELETE", path: "/ro", status: 403},
		{name: "client_max_body_size without Content-Length", method: "POST", path: "/small", body: "0123456789",
			hdr: map[string]string{"Transfer-Encoding": "chunked"}, status: 413},
		{name: "proxy_redirect default", method: "GET", path: "/api/moved", status: 302,
			check: func(r *http.Response, _ string) string { return want(r.Header.Get("Location"), "/api/elsewhere") }},
		{name: "headers with underscores are not proxied", method: "GET", path: "/api/x", status: 200,
			hdr:   map[string]string{"X_Under": "1"},
			check: func(_ *http.Response, b string) string { return want(b, `under=""`) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, c.method, base+c.path, c.hdr, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, c.status, body)
			}
			if c.check != nil {
				if msg := c.check(resp, body); msg != "" {
					t.Fatal(msg)
				}
			}
		})
	}
}

func TestAutoindex(t *testing.T) {
	base, p := start(t, `
server {
    listen 127.0.0.1:PORT;
    location /files/ { root html; autoindex on; }
}`)
	dir := filepath.Join(p.Current().Prefix(), "html/files")
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("12345"), 0o644)
	resp, body := do(t, "GET", base+"/files/", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "<title>Index of /files/</title>") ||
		!strings.Contains(body, `<a href="d/">d/</a>`) || !strings.Contains(body, `<a href="b.txt">b.txt</a>`) ||
		strings.Index(body, "d/") > strings.Index(body, "b.txt") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func want(got, exp string) string {
	if got != exp {
		return fmt.Sprintf("got %q, want %q", got, exp)
	}
	return ""
}

func TestStaticFiles(t *testing.T) {
	base, p := start(t, `
server {
    listen 127.0.0.1:PORT;
    location / { root html; index index.html; }
}`)
	dir := filepath.Join(p.Current().Prefix(), "html")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>home</h1>"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("0123456789"), 0o644)
	if resp, body := do(t, "GET", base+"/", nil, ""); resp.StatusCode != 200 || body != "<h1>home</h1>" ||
		resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("index: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ := do(t, "GET", base+"/a.txt", nil, "")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r2, _ := do(t, "GET", base+"/a.txt", map[string]string{"If-None-Match": etag}, ""); r2.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", r2.StatusCode)
	}
	if r3, b := do(t, "GET", base+"/a.txt", map[string]string{"Range": "bytes=2-4"}, ""); r3.StatusCode != 206 || b != "234" {
		t.Fatalf("range: %d %q", r3.StatusCode, b)
	}
	if r4, _ := do(t, "GET", base+"/sub", nil, ""); r4.StatusCode != 301 || !strings.HasSuffix(r4.Header.Get("Location"), "/sub/") {
		t.Fatalf("dir redirect: %d %v", r4.StatusCode, r4.Header)
	}
	if r6, b := do(t, "GET", base+"/sub/", nil, ""); r6.StatusCode != 403 || !strings.Contains(b, "403") {
		t.Fatalf("directory without index or autoindex: %d", r6.StatusCode)
	}
	if r5, _ := do(t, "GET", base+"/missing", nil, ""); r5.StatusCode != 404 {
		t.Fatalf("missing: %d", r5.StatusCode)
	}
}

// Debian's lua-resty-cookie (as nginx.cookie), pure Lua over ngx.var and
// ngx.header, runs unchanged.
func TestThirdPartyRestyCookie(t *testing.T) {
	if _, err := os.Stat("/usr/share/lua/5.1/nginx/cookie.lua"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("lua-nginx-cookie is not installed")
		}
		t.Skip("lua-nginx-cookie is not installed")
	}
	base, _ := start(t, `
lua_package_path "/usr/share/lua/5.1/?.lua;;";
server {
    listen 127.0.0.1:PORT;
    location /c {
        content_by_lua_block {
            local ck = require "nginx.cookie"
            local cookie, err = ck:new()
            if not cookie then ngx.say(err) return end
            -- headers go out with the first ngx.say: set the cookie first
            local ok, err = cookie:set({ key = "seen", value = "yes", path = "/", httponly = true, max_age = 60 })
            local all = cookie:get_all()
            ngx.say("session=", cookie:get("session"))
            ngx.say("theme=", all.theme)
            ngx.say("set ", tostring(ok), " ", tostring(err))
        }
    }
}`)
	resp, body := do(t, "GET", base+"/c", map[string]string{"Cookie": "session=abc; theme=dark"}, "")
	if resp.StatusCode != 200 || body != "session=abc\ntheme=dark\nset true nil\n" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if sc := resp.Header.Get("Set-Cookie"); sc != "seen=yes; Max-Age=60; Path=/; HttpOnly" {
		t.Fatalf("Set-Cookie %q", sc)
	}
}

// balancer_by_lua picks the peer (older Starter Kit configs use it).
func TestBalancerByLua(t *testing.T) {
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "from upstream ", r.URL.Path)
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(ln)
	defer up.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	base, _ := start(t, fmt.Sprintf(`
upstream dyn {
    server 0.0.0.1;
    balancer_by_lua_block {
        local b = require "ngx.balancer"
        assert(b.set_current_peer("127.0.0.1", %d))
    }
    keepalive 8;
}
server {
    listen 127.0.0.1:PORT;
    location / { proxy_pass http://dyn; }
    location /wrongphase {
        content_by_lua_block { ngx.say(select(2, require("ngx.balancer").set_current_peer("127.0.0.1", 1))) }
    }
}`, port))
	if resp, body := do(t, "GET", base+"/x", nil, ""); resp.StatusCode != 200 || body != "from upstream /x" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if _, body := do(t, "GET", base+"/wrongphase", nil, ""); body != "API disabled in the context of content_by_lua*\n" {
		t.Fatalf("%q", body)
	}
}

// An upstream slower than proxy_read_timeout gives 504 and an nginx-style
// log line; the worker goes on serving.
func TestUpstreamTimeout(t *testing.T) {
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond)
		fmt.Fprint(w, "late")
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(ln)
	defer up.Close()
	base, p := start(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT;
    location /slow { proxy_connect_timeout 100ms; proxy_read_timeout 100ms; proxy_pass http://%s; }
    location /ok { return 200 "fine"; }
}`, ln.Addr()))
	if resp, _ := do(t, "GET", base+"/slow", nil, ""); resp.StatusCode != 504 {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
	if resp, body := do(t, "GET", base+"/ok", nil, ""); resp.StatusCode != 200 || body != "fine" {
		t.Fatalf("after timeout: %d %q", resp.StatusCode, body)
	}
	log, _ := os.ReadFile(filepath.Join(p.Current().Prefix(), "logs/error.log"))
	if !strings.Contains(string(log), "upstream timed out") {
		t.Fatalf("log: %s", log)
	}
}

// headers-more on the request: the Starter Kit users' cookie-to-
// Authorization recipe, and clearing a header before Lua and the upstream.
func TestMoreInputHeaders(t *testing.T) {
	base, _ := start(t, `
server {
    listen 127.0.0.1:PORT;
    location /in {
        more_set_input_headers 'Authorization: Bearer $cookie_session';
        more_clear_input_headers X-Secret;
        content_by_lua_block {
            ngx.say(ngx.var.http_authorization, "|", tostring(ngx.req.get_headers()["x-secret"]))
        }
    }
}`)
	_, body := do(t, "GET", base+"/in", map[string]string{"Cookie": "session=tok123", "X-Secret": "s"}, "")
	if body != "Bearer tok123|nil\n" {
		t.Fatalf("%q", body)
	}
}

// proxy_buffering off relays each upstream chunk as it arrives.
func TestProxyBufferingOff(t *testing.T) {
	// the upstream sends its second chunk only after the client has read
	// the first: a buffered body would never arrive (the deadline below
	// only guards against that hang)
	gotFirst := make(chan struct{})
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-gotFirst:
		case <-time.After(30 * time.Second):
		}
		fmt.Fprint(w, "second\n")
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(ln)
	defer up.Close()
	base, _ := start(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT;
    location /sse { proxy_buffering off; proxy_http_version 1.1; proxy_pass http://%s; }
}`, ln.Addr()))
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
		t.Fatalf("%q %v", buf, err)
	}
	close(gotFirst)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "second\n" {
		t.Fatalf("rest %q", rest)
	}
}

func TestRedirectDirectives(t *testing.T) {
	base, _ := start(t, `
server {
    listen 127.0.0.1:PORT;
    server_name canonical.example;
    location /abs { return 302 /x; }
    location /rel { absolute_redirect off; return 302 /x; }
    location /noport { port_in_redirect off; return 302 /x; }
    location /name { server_name_in_redirect on; return 302 /x; }
}`)
	port := strings.TrimPrefix(base, "http://127.0.0.1")
	for path, want := range map[string]string{
		"/abs":    "http://127.0.0.1" + port + "/x",
		"/rel":    "/x",
		"/noport": "http://127.0.0.1/x",
		"/name":   "http://canonical.example" + port + "/x",
	} {
		if resp, _ := do(t, "GET", base+path, nil, ""); resp.Header.Get("Location") != want {
			t.Errorf("%s: Location %q, want %q", path, resp.Header.Get("Location"), want)
		}
	}
}

func TestMergeSlashes(t *testing.T) {
	base, _ := start(t, `
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.say(ngx.var.uri) } }
}
server {
    listen 127.0.0.1:PORT;
    server_name keep;
    merge_slashes off;
    location / { content_by_lua_block { ngx.say(ngx.var.uri) } }
}`)
	if _, body := do(t, "GET", base+"//a///b", nil, ""); body != "/a/b\n" {
		t.Fatalf("merged: %q", body)
	}
	req, _ := http.NewRequest("GET", base+"//a///b", nil)
	req.Host = "keep"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "//a///b\n" {
		t.Fatalf("merge_slashes off: %q", b)
	}
}

// client_header_timeout: a client that stops mid-header is disconnected.
func TestClientHeaderTimeout(t *testing.T) {
	base, _ := start(t, `
client_header_timeout 200ms;
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "ok"; }
}`)
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	// the deadline only guards against a hang: the server must close
	// the connection (EOF), long before it
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("the server did not close the connection: %v", err)
	}
}
