package stubstatus_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx. Requests go
// over one keepalive connection so that the counts are known.
func TestStubStatus(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location = /status { stub_status; }
    location = /old { stub_status on; }
    location = /vars { return 200 "$connections_active $connections_reading $connections_writing $connections_waiting\n"; }
}`)
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	get := func(req string) (int, string, string) {
		t.Helper()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, body, err := httpdtest.ReadResponse(br, req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}
	st, ct, body := get("GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
	// the reference's start-up probe connected once before the test
	var acc int
	fmt.Sscanf(strings.TrimPrefix(body, "Active connections: 1 \nserver accepts handled requests\n"), " %d", &acc)
	if acc < 1 || acc > 2 {
		t.Fatalf("accepts: %q", body)
	}
	want := fmt.Sprintf("Active connections: 1 \nserver accepts handled requests\n %d %d 1 \nReading: 0 Writing: 1 Waiting: 0 \n", acc, acc)
	if st != 200 || ct != "text/plain" || body != want {
		t.Errorf("first: %d %q %q, want %q", st, ct, body, want)
	}
	st, _, body = get("GET /old HTTP/1.1\r\nHost: x\r\n\r\n")
	want = fmt.Sprintf("Active connections: 1 \nserver accepts handled requests\n %d %d 2 \nReading: 0 Writing: 1 Waiting: 0 \n", acc, acc)
	if st != 200 || body != want {
		t.Errorf("second: %d %q, want %q", st, body, want)
	}
	if _, _, body = get("GET /vars HTTP/1.1\r\nHost: x\r\n\r\n"); body != "1 0 1 0\n" {
		t.Errorf("variables: %q", body)
	}
	if st, _, _ = get("POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"); st != 405 {
		t.Errorf("POST: %d", st)
	}
	if st, _, body = get("HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n"); st != 200 || body != "" {
		t.Errorf("HEAD: %d %q", st, body)
	}
	// a second, idle connection is waiting
	c2, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for i := 0; ; i++ {
		_, _, body = get("GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
		if strings.HasPrefix(body, "Active connections: 2 \n") || i > 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(body, fmt.Sprintf("Active connections: 2 \nserver accepts handled requests\n %d %d ", acc+1, acc+1)) || !strings.HasSuffix(body, "Reading: 0 Writing: 1 Waiting: 1 \n") {
		t.Errorf("with an idle connection: %q", body)
	}
}
