package httpd_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Cases the fuzz targets found, checked on a running server (and on the
// reference nginx with NGX_REFERENCE=/usr/sbin/nginx).
func TestFuzzFoundRequestTargets(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "[$arg_a]"; }
}`, os.Getenv("NGX_REFERENCE"))
	for _, c := range []struct {
		target string
		status int
		body   string
	}{
		{"http://", 400, ""}, // killed the process (slice out of range)
		{"https://", 400, ""},
		{"http:///c", 400, ""},
		{"HTTP://x/y?a=1", 200, "[1]"},
		{"http://x?a=2", 200, "[2]"},
		{"/?a&a=3", 200, "[3]"}, // a bare "a" does not end the search
		{"/?A=4", 200, "[4]"},
		{"/?b=1&a", 200, "[]"},
		{"/", 200, "[]"}, // the server is still up
	} {
		conn, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatalf("%s: %v", c.target, err)
		}
		io.WriteString(conn, "GET "+c.target+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Fatalf("%s: %v", c.target, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != c.status || c.status == 200 && string(body) != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.target, resp.StatusCode, body, c.status, c.body)
		}
	}
}
