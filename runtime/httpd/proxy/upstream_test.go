package proxy_test

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// proxy_read_timeout is the time between two reads: a slow but live
// upstream is relayed whole; a silent one gets 504 with nginx's line.
func TestReadTimeout(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		switch {
		case strings.HasPrefix(head, "GET /slow"):
			// 5 parts 300 ms apart: 1.2 s in all, more than the timeout
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
			for i := 0; i < 5; i++ {
				time.Sleep(300 * time.Millisecond)
				io.WriteString(c, "x")
			}
		case strings.HasPrefix(head, "GET /silent"):
			time.Sleep(2 * time.Second)
		case strings.HasPrefix(head, "GET /stall"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc")
			time.Sleep(2 * time.Second)
		}
		return false
	})
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    proxy_read_timeout 1s;
    location / { proxy_pass http://127.0.0.1:`+up.port+`; }
}`)
	resp, b, err := rawGet(t, s.Addr, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp.StatusCode != 200 || b != "xxxxx" || err != nil {
		t.Errorf("slow upstream: %d %q %v", resp.StatusCode, b, err)
	}
	resp, _, _ = rawGet(t, s.Addr, "GET /silent HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 504 {
		t.Errorf("silent upstream: %d", resp.StatusCode)
	}
	want := "upstream timed out (110: Connection timed out) while reading response header from upstream"
	waitFor(t, "the 504 log line", func() bool { return strings.Contains(s.ErrorLog(), want) })
	// nginx sends the header and what left its buffers, then closes
	resp, b, err = rawGet(t, s.Addr, "GET /stall HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp.StatusCode != 200 || b != "" || err == nil {
		t.Errorf("stalled body: %d %q %v (want the header, then a cut)", resp.StatusCode, b, err)
	}
	want = "upstream timed out (110: Connection timed out) while reading upstream"
	waitFor(t, "the body timeout log line", func() bool { return strings.Contains(s.ErrorLog(), want) })
}

// An upstream that closes mid-body: the client gets the header and the
// bytes so far, then a closed connection; a broken chunked body and a
// header that is not HTTP give nginx's log lines.
func TestUpstreamFaults(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		switch {
		case strings.HasPrefix(head, "GET /short"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
		case strings.HasPrefix(head, "GET /badchunk"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
		case strings.HasPrefix(head, "GET /closed"):
		case strings.HasPrefix(head, "GET /garbage"):
			io.WriteString(c, "garbage\r\n\r\n")
		}
		return false
	})
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location / { proxy_pass http://127.0.0.1:`+up.port+`; }
}`)
	resp, b, err := rawGet(t, s.Addr, "GET /short HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp.StatusCode != 200 || b != "0123456789" || err == nil {
		t.Errorf("short body: %d %q %v", resp.StatusCode, b, err)
	}
	// nothing had left nginx's buffers: the connection closes bare
	if resp, b, err := rawTry(t, s.Addr, "GET /badchunk HTTP/1.1\r\nHost: h\r\n\r\n"); resp != nil || err == nil {
		t.Errorf("bad chunk: %v %q %v", resp, b, err)
	}
	resp, _, _ = rawGet(t, s.Addr, "GET /closed HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 502 {
		t.Errorf("closed before the header: %d", resp.StatusCode)
	}
	for _, want := range []string{
		"upstream prematurely closed connection while reading upstream",
		"upstream sent invalid chunked response while reading upstream",
		"upstream prematurely closed connection while reading response header from upstream",
	} {
		waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
	}
	// passed on as HTTP/0.9: the bytes without a header
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "GET /garbage HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if got, _ := io.ReadAll(c); string(got) != "garbage\r\n\r\n" {
		t.Errorf("HTTP/0.9 answer: %q", got)
	}
	want := "upstream sent no valid HTTP/1.0 header while reading response header from upstream"
	waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
}

// A connection refused is a 502, an upstream that does not accept in
// time a 504 "while connecting", one that does not read the request a
// 504 "while sending request".
func TestConnectSendTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, deadPort, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	// an upstream that takes the connection but never reads
	hold := make(chan net.Conn, 4)
	lnHold, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lnHold.Close()
	go func() {
		for {
			c, err := lnHold.Accept()
			if err != nil {
				return
			}
			hold <- c
		}
	}()
	t.Cleanup(func() {
		for len(hold) > 0 {
			(<-hold).Close()
		}
	})
	_, holdPort, _ := net.SplitHostPort(lnHold.Addr().String())
	s := httpdtest.StartEnv(t, `
client_max_body_size 100m;
client_body_buffer_size 64m;
server {
    listen 127.0.0.1:PORT;
    proxy_send_timeout 1s;
    location /dead { proxy_pass http://127.0.0.1:`+deadPort+`; }
    location /hold { proxy_pass http://127.0.0.1:`+holdPort+`; }
}`)
	resp, _, _ := rawGet(t, s.Addr, "GET /dead HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 502 {
		t.Errorf("refused: %d", resp.StatusCode)
	}
	want := "connect() failed (111: Connection refused) while connecting to upstream"
	waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
	// a body larger than the socket buffers can hold
	n := 48 << 20
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	go func() {
		io.WriteString(c, "POST /hold HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(n)+"\r\n\r\n")
		c.Write(make([]byte, n))
	}()
	got, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(got), "HTTP/1.1 504") {
		t.Errorf("upstream not reading: %.40q", got)
	}
	want = "upstream timed out (110: Connection timed out) while sending request to upstream"
	waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
}

// A chunked upstream answer stays chunked to an HTTP/1.1 client, with or
// without a body filter; one with a length keeps it.
func TestFraming(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		if strings.Contains(head, "/len") {
			return reply(c, "hello")
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
		return true
	})
	s := httpdtest.StartEnv(t, `
upstream keep { server 127.0.0.1:`+up.port+`; keepalive 4; }
server {
    listen 127.0.0.1:PORT;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location / { proxy_pass http://keep; }
    location /filter/ {
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
        proxy_pass http://keep;
    }
}`)
	for _, c := range []struct {
		path, body string
		chunked    bool
	}{
		{"/chunked", "hello", true},
		{"/filter/chunked", "HELLO", true},
		{"/len", "hello", false},
		{"/filter/len", "HELLO", false},
	} {
		resp, b, err := rawGet(t, s.Addr, "GET "+c.path+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
		chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
		if resp.StatusCode != 200 || b != c.body || err != nil || chunked != c.chunked {
			t.Errorf("%s: %d %q %v chunked=%v length=%d", c.path, resp.StatusCode, b, err, chunked, resp.ContentLength)
		}
	}
}

// Upstream connections are reused only with keepalive in the upstream
// block.
func TestKeepalive(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool { return reply(c, "ok") })
	s := httpdtest.StartEnv(t, `
upstream keep { server 127.0.0.1:`+up.port+`; keepalive 4; }
upstream nokeep { server 127.0.0.1:`+up.port+`; }
server {
    listen 127.0.0.1:PORT;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location /keep { proxy_pass http://keep; }
    location /nokeep { proxy_pass http://nokeep; }
}`)
	for i := 0; i < 3; i++ {
		rawGet(t, s.Addr, "GET /nokeep HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	}
	if n := up.conns.Load(); n != 3 {
		t.Errorf("without keepalive: %d connections for 3 requests", n)
	}
	for i := 0; i < 3; i++ {
		rawGet(t, s.Addr, "GET /keep HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	}
	if n := up.conns.Load(); n != 4 {
		t.Errorf("with keepalive: %d connections in all, want 4", n)
	}
}

// The $upstream_* variables in the access log.
func TestUpstreamVariables(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Up: yes\r\n\r\nok")
		return false
	})
	s := httpdtest.StartEnv(t, `
log_format up '$upstream_addr|$upstream_status|$upstream_connect_time|$upstream_header_time|$upstream_response_time|$upstream_bytes_sent|$upstream_bytes_received|$upstream_http_x_up';
server {
    listen 127.0.0.1:PORT;
    access_log logs/access.log up;
    location / { proxy_pass http://127.0.0.1:`+up.port+`; }
}`)
	raw := "GET /v HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
	rawGet(t, s.Addr, raw)
	sent := len(up.lastHead())
	re := regexp.MustCompile(`^127\.0\.0\.1:` + up.port + `\|201\|0\.\d{3}\|0\.\d{3}\|0\.\d{3}\|` + strconv.Itoa(sent) + `\|` +
		strconv.Itoa(len("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Up: yes\r\n\r\nok")) + `\|yes\n$`)
	waitFor(t, "the access log line", func() bool { return s.AccessLog() != "" })
	if l := s.AccessLog(); !re.MatchString(l) {
		t.Errorf("access log %q", l)
	}
}

// goresty is stricter than nginx 1.22 with an upstream's framing: a
// negative or repeated Content-Length is a 502 with nginx's log line for
// an invalid header, where nginx 1.22 passes the answer on.
func TestUpstreamLengthStricter(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		switch {
		case strings.HasPrefix(head, "GET /negative"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc")
		case strings.HasPrefix(head, "GET /twice"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde")
		}
		return false
	})
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location / { proxy_pass http://127.0.0.1:`+up.port+`; }
}`)
	for _, path := range []string{"/negative", "/twice"} {
		resp, b, _ := rawGet(t, s.Addr, "GET "+path+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
		want := 502
		if s.Process == nil {
			want = 200 // nginx 1.22 passes it on
		}
		if resp.StatusCode != want {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
	if s.Process != nil {
		for _, want := range []string{"upstream sent invalid \"Content-Length\" header while reading response header from upstream",
			"upstream sent duplicate header line while reading response header from upstream"} {
			waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
		}
	}
}
