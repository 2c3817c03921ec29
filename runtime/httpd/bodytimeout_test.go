package httpd_test

import (
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// A client that stops sending its body past client_body_timeout gets no
// answer: the connection is closed (nginx terminates the request, 408
// in the access log).
func TestBodyTimeoutClosesWithoutAnswer(t *testing.T) {
	s := httpdtest.Start(t, `
client_body_timeout 200ms;
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.req.read_body() ngx.say("read") } }
}`, os.Getenv("NGX_REFERENCE"))
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // hang guard
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nhello")
	got, err := io.ReadAll(c)
	if err != nil || len(got) != 0 {
		t.Fatalf("%v %q", err, got)
	}
}
