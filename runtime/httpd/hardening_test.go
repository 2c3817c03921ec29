package httpd_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The conf of the hostile-client tests: run against goresty, and against
// the reference nginx with NGX_REFERENCE=/usr/sbin/nginx.
const hostileConf = `
client_header_timeout 60s;
client_body_timeout 60s;
large_client_header_buffers 4 1k;
access_log logs/access.log;
server {
    listen 127.0.0.1:PORT;
    client_max_body_size 1k;
    location / { return 200 "ok\n"; }
    location /big { client_max_body_size 0; client_body_buffer_size 1m; content_by_lua_block { ngx.req.read_body() ngx.say(#(ngx.req.get_body_data() or "")) } }
    location /body { content_by_lua_block { ngx.req.read_body() ngx.say(#(ngx.req.get_body_data() or "")) } }
    location /host { return 200 "$host\n"; }
    location /av/ { alias html/vhosts/$host/; }
}`

func startHostile(t *testing.T) (*httpdtest.Server, bool) {
	t.Helper()
	ref := os.Getenv("NGX_REFERENCE")
	s := httpdtest.Start(t, hostileConf, ref)
	os.MkdirAll(filepath.Join(s.Prefix, "html/vhosts/a"), 0o755)
	os.WriteFile(filepath.Join(s.Prefix, "html/vhosts/a/f.txt"), []byte("vhost a\n"), 0o644)
	os.WriteFile(filepath.Join(s.Prefix, "html/secret.txt"), []byte("above the alias\n"), 0o644)
	return s, ref != ""
}

// Every case is answered while the client keeps its connection open (the
// exchange's deadline only guards against a hang), with nginx's status,
// and the connection is closed after an error as nginx does.
func TestHostileRequests(t *testing.T) {
	s, ref := startHostile(t)
	long := strings.Repeat("a", 2000)
	cases := []struct {
		name, raw string
		status    int
		close     bool
		body      string
	}{
		{"declared body past the limit", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 107374182400\r\n\r\n", 413, true, ""},
		{"declared body past the location's limit", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413, true, ""},
		{"no 100 Continue for a refused body", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n", 413, true, ""},
		{"100 Continue for an accepted body", "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", 100, false, ""},
		{"chunked body past the limit", "POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + long[:48] + long + "\r\n", 413, true, ""},
		{"chunked body within the limit", "POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200, false, "5\n"},
		{"Host ..", "GET / HTTP/1.1\r\nHost: ..\r\n\r\n", 400, true, ""},
		{"Host .", "GET / HTTP/1.1\r\nHost: .\r\n\r\n", 400, true, ""},
		{"Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, true, ""},
		{"Host with ..", "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", 400, true, ""},
		{"Host with NUL", "GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n", 400, true, ""},
		{"Host .. reaching alias", "GET /av/secret.txt HTTP/1.1\r\nHost: ..\r\n\r\n", 400, true, ""},
		{"$host lowercased, port and trailing dot dropped", "GET /host HTTP/1.1\r\nHost: A.Example.COM.:8080\r\n\r\n", 200, false, "a.example.com\n"},
		{"Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true, ""},
		{"Transfer-Encoding chunked, identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 501, true, ""},
		{"Transfer-Encoding xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501, true, ""},
		{"Transfer-Encoding after a tab", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", 501, true, ""},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400, true, ""},
		{"header name with a space", "GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n", 400, true, ""},
		{"header line without a colon", "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", 400, true, ""},
		{"lowercase method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, ""},
		{"unknown method", "FOO / HTTP/1.1\r\nHost: a\r\n\r\n", 200, false, "ok\n"},
		{"TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 405, true, ""},
		{"HTTP/2.0 on HTTP/1", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, true, ""},
		{"HTTP/3.0 on HTTP/1", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, true, ""},
		{"URI longer than a buffer", "GET /" + long + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, true, ""},
		{"header line longer than a buffer", "GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + long + "\r\n\r\n", 400, true, ""},
		{"%00 in the path", "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, ""},
		{"%00 in the args", "GET /host?a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 200, false, "a\n"},
		{"header block ended by bare LFs", "GET /host HTTP/1.1\nHost: a\n\n", 200, false, "a\n"},
		{"bare LF after CRLF lines", "GET /host HTTP/1.1\r\nHost: a\r\n\n", 200, false, "a\n"},
		{"bare LF block with a body", "POST /body HTTP/1.1\nHost: a\nContent-Length: 3\n\nabc", 200, false, "3\n"},
	}
	if !ref {
		// stricter than nginx 1.22 on Unix, which serves it
		cases = append(cases, struct {
			name, raw string
			status    int
			close     bool
			body      string
		}{"Host with a backslash", "GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", 400, true, ""})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body, conn := s.Exchange(t, c.raw)
			conn.Close()
			if resp.StatusCode != c.status || resp.Close != c.close || (c.body != "" && body != c.body) {
				t.Fatalf("got %d close=%v %q, want %d close=%v %q", resp.StatusCode, resp.Close, body, c.status, c.close, c.body)
			}
			if c.name == "header line longer than a buffer" && !strings.Contains(body, "Request Header Or Cookie Too Large") {
				t.Fatalf("body %q", body)
			}
		})
	}
	log := s.ErrorLog()
	for _, want := range []string{
		"client intended to send too large body: 107374182400 bytes",
		"client intended to send too large chunked body",
		"client sent invalid host header while reading client request headers",
		"client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time",
		"client sent invalid header line: \"X\\x20...\" while reading client request headers",
		"client sent invalid method while reading client request line",
		"client sent TRACE method",
		"client sent invalid version while reading client request line",
		"client sent too long URI while reading client request line",
		"client sent too long header line",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q:\n%s", want, log)
		}
	}
}

// A body past the limit is refused while the client is still sending it:
// the server reads no more than the limit (and a read's worth).
func TestBodyRefusedWhileArriving(t *testing.T) {
	s, _ := startHostile(t)
	for _, head := range []string{
		"POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 104857600\r\n\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
	} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, head)
		chunked := strings.Contains(head, "chunked")
		go func() {
			// 100 MB at most, stopped by the server closing
			part := strings.Repeat("x", 512)
			if chunked {
				part = "200\r\n" + part + "\r\n"
			}
			for i := 0; i < 200000; i++ {
				if _, err := io.WriteString(c, part); err != nil {
					return
				}
			}
		}()
		resp, _, err := httpdtest.ReadResponse(bufio.NewReader(c), head)
		c.Close()
		if err != nil {
			t.Fatalf("%q: %v", head, err)
		}
		if resp.StatusCode != 413 || !resp.Close {
			t.Fatalf("%q: %d close=%v", head, resp.StatusCode, resp.Close)
		}
	}
}

// An accepted body of unlimited size arrives whole; Expect gets 100.
func TestBodyAccepted(t *testing.T) {
	s, _ := startHostile(t)
	body := strings.Repeat("y", 300000)
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	for _, raw := range []string{
		fmt.Sprintf("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s", len(body), body),
		"POST /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
	} {
		resp, got, conn := s.Exchange(t, raw)
		conn.Close()
		if resp.StatusCode != 200 || got != "300000\n" {
			t.Fatalf("%d %q", resp.StatusCode, got)
		}
	}
	head := "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
	resp, _, conn := s.Exchange(t, head)
	if resp.StatusCode != 100 {
		t.Fatalf("%d", resp.StatusCode)
	}
	io.WriteString(conn, "0123456789")
	resp, got, err := httpdtest.ReadResponse(bufio.NewReader(conn), head)
	if err != nil || resp.StatusCode != 200 || got != "10\n" {
		t.Fatalf("%v %v %q", err, resp, got)
	}
}

// A malformed request shows no header value anywhere (error log, stderr),
// and what fasthttp refuses itself reaches the access log as in nginx.
func TestMalformedRequestLogs(t *testing.T) {
	s, ref := startHostile(t)
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-TOKEN\r\nCookie: s=SECRET-COOKIE\r\nBad Header\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-TOKEN\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("Cookie: SECRET-COOKIE"+strings.Repeat("c", 900)+"\r\n", 6) + "\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-TOKEN\r\nContent-Length: 2000\r\n\r\n",
	} {
		resp, _, conn := s.Exchange(t, raw)
		conn.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("%q: %d", raw, resp.StatusCode)
		}
	}
	// nginx writes the access log line of a request it closes lingering
	// once the client has gone: wait for the four lines (as long as the
	// test may run)
	access := s.AccessLog()
	for strings.Count(access, "\n") < 4 {
		time.Sleep(5 * time.Millisecond)
		access = s.AccessLog()
	}
	log := s.ErrorLog()
	// nginx itself shows the start of a too long header line's value
	if strings.Contains(log, "SECRET") && !ref {
		t.Fatalf("credentials in the error log:\n%s", log)
	}
	if !strings.Contains(log, "client sent invalid header line") {
		t.Fatalf("error log:\n%s", log)
	}
	if strings.Count(access, "\" 400 ") != 2 || strings.Count(access, "\" 501 ") != 1 || strings.Count(access, "\" 413 ") != 1 {
		t.Fatalf("access log:\n%s", access)
	}
}

// Idle keepalive connections hold no request buffers and no goroutine:
// the memory of 2,000 of them, after one request each, stays small per
// connection.
func TestIdleConnectionMemory(t *testing.T) {
	if os.Getenv("NGX_REFERENCE") != "" {
		t.Skip("measures goresty's own memory")
	}
	// the default header buffers (nginx's 4 8k)
	s := httpdtest.Start(t, "server { listen 127.0.0.1:PORT; location / { return 200 \"ok\\n\"; } }", "")
	const n = 2000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		raw := "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
		io.WriteString(c, raw)
		if resp, _, err := httpdtest.ReadResponse(bufio.NewReader(c), raw); err != nil || resp.StatusCode != 200 {
			t.Fatal(err)
		}
	}
	// after ParkIdleAfter, each waits without a goroutine (the loop
	// only guards against a hang)
	for i := 0; httpd.ParkedConns(s.Process) != n; i++ {
		if i > 2000 {
			t.Fatalf("%d of %d idle connections parked", httpd.ParkedConns(s.Process), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC() // pooled buffers go in two collections
	runtime.GC()
	runtime.ReadMemStats(&after)
	if f := os.Getenv("IDLE_HEAP_PROFILE"); f != "" {
		w, _ := os.Create(f)
		pprof.Lookup("heap").WriteTo(w, 0)
		w.Close()
	}
	used := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
	per := used / n
	t.Logf("%d idle keepalive connections: %d KB, %d bytes each (server and client sides; heap %d, stacks %d)", n, used>>10, per,
		(int64(after.HeapInuse)-int64(before.HeapInuse))/n, (int64(after.StackInuse)-int64(before.StackInuse))/n)
	// An idle connection holds no buffer, request context or goroutine
	// (parked in the patched fasthttp, third_party/fasthttp/PATCHES.md):
	// what is left is the socket's Go side, on both ends of each loopback
	// connection here, and the bookkeeping. It was about 40 KB before.
	if per > 4<<10 {
		t.Fatalf("%d bytes per idle connection", per)
	}
}

// The whole header block may use every large_client_header_buffers
// buffer, as in nginx: 512 short headers in 30 buffers of 561 bytes.
func TestLargeHeaderBlockFitsAllBuffers(t *testing.T) {
	s := httpdtest.Start(t, `
large_client_header_buffers 30 561;
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "ok\n"; }
}`, os.Getenv("NGX_REFERENCE"))
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n")
	for i := 1; i <= 512; i++ {
		fmt.Fprintf(&b, "Header%d: value-%d\r\n", i, i)
	}
	b.WriteString("\r\n")
	resp, body, c := s.Exchange(t, b.String())
	c.Close()
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	// one line longer than a buffer (and than client_header_buffer_size) is still refused
	resp, _, c = s.Exchange(t, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: "+strings.Repeat("x", 2000)+"\r\n\r\n")
	c.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("long line: %d", resp.StatusCode)
	}
}

// client_header_buffer_size is a connection's first read buffer: a
// header that does not fit moves to the large buffers with what was
// already read, a pipelined request after it included, as in nginx.
func TestClientHeaderBufferGrows(t *testing.T) {
	s := httpdtest.Start(t, `
client_header_buffer_size 128;
large_client_header_buffers 4 2k;
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "$uri ${http_x_big}\n"; }
}`, os.Getenv("NGX_REFERENCE"))
	big := strings.Repeat("b", 1500)
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) // only against a hang
	if _, err := c.Write([]byte("GET /small HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /grown HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n" +
		"GET /after HTTP/1.1\r\nHost: a\r\nX-Big: c\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, want := range []string{"/small \n", "/grown " + big + "\n", "/after c\n"} {
		resp, b, err := httpdtest.ReadResponse(br, "GET")
		if err != nil {
			t.Fatalf("%q: %v", want, err)
		}
		if resp.StatusCode != 200 || b != want {
			t.Fatalf("want %q, got %d %q", want, resp.StatusCode, b)
		}
	}
}

// try_files: the values (compiled once) are evaluated per request, a
// named fallback gets an internal redirect, "=code" answers with it.
func TestTryFiles(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    root html;
    location /a/ { try_files $uri $uri/ /fallback?from=$uri; }
    location /b/ { try_files $uri =418; }
    location = /fallback { return 200 "fallback $arg_from\n"; }
}`, os.Getenv("NGX_REFERENCE"))
	if code, _, body := s.Get(t, "/a/missing"); code != 200 || body != "fallback /a/missing\n" {
		t.Fatalf("%d %q", code, body)
	}
	if code, _, _ := s.Get(t, "/b/missing"); code != 418 {
		t.Fatalf("=418: %d", code)
	}
}
