package proxy_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// A client that goes away while the upstream thinks cancels the
// upstream request (proxy_ignore_client_abort off): the upstream sees
// its connection closed, the access log has 499.
func TestClientAbortCancelsUpstream(t *testing.T) {
	got := make(chan struct{}, 1)
	gone := make(chan struct{}, 1)
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		got <- struct{}{}
		c.SetReadDeadline(time.Now().Add(20 * time.Second)) // hang guard
		if _, err := io.Copy(io.Discard, c); err == nil {
			gone <- struct{}{} // end of stream: the proxy closed it
		}
		return false
	})
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    access_log logs/access.log;
    location / { proxy_pass http://127.0.0.1:`+up.port+`; }
}`)
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /think HTTP/1.1\r\nHost: h\r\n\r\n")
	select {
	case <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("the request did not reach the upstream")
	}
	c.Close()
	select {
	case <-gone:
	case <-time.After(20 * time.Second): // hang guard
		t.Fatal("the upstream connection stayed open after the client left")
	}
	waitFor(t, "the access log line", func() bool { return strings.Contains(s.AccessLog(), "GET /think") })
	if l := s.AccessLog(); !strings.Contains(l, "\" 499 ") {
		t.Errorf("access log %q", l)
	}
}
