//go:build linux

package proxy_test

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// fullListener is a socket that listens with a backlog of 0 and never
// accepts: once its queue is full, connecting to it waits for ever.
func fullListener(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	// fill the queue; a connection that does not complete shows it is full
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err != nil {
			return port
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the listen queue did not fill")
	return 0
}

// proxy_connect_timeout: an upstream that does not take the connection
// in time gives 504 and nginx's "while connecting" line.
func TestConnectTimeout(t *testing.T) {
	port := fullListener(t)
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    proxy_connect_timeout 1s;
    location / { proxy_pass http://127.0.0.1:`+strconv.Itoa(port)+`; }
}`)
	resp, _, _ := rawGet(t, s.Addr, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 504 {
		t.Errorf("connect timeout: %d", resp.StatusCode)
	}
	want := "upstream timed out (110: Connection timed out) while connecting to upstream"
	waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
}
