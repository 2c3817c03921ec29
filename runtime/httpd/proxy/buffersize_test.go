package proxy_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// TestProxyBufferSize: the upstream's status line and header must fit in
// proxy_buffer_size (one memory page by default); a bigger one is a 502
// with nginx's "upstream sent too big header" error.
func TestProxyBufferSize(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		n := 2000
		if strings.Contains(head, "/5000") {
			n = 5000
		}
		return reply(c, "ok", "X-Big: "+strings.Repeat("a", n))
	})
	s := httpdtest.StartEnv(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT;
    location / { proxy_pass http://127.0.0.1:%[1]s; }
    location /big/ { proxy_buffer_size 16k; proxy_buffers 8 16k; proxy_pass http://127.0.0.1:%[1]s; }
    location /small/ { proxy_buffer_size 1k; proxy_pass http://127.0.0.1:%[1]s; }
}`, up.port))
	for _, c := range []struct {
		path string
		want int
	}{
		{"/2000", 200},
		{"/5000", 502},
		{"/big/5000", 200},
		{"/small/2000", 502},
	} {
		resp, _, _ := rawGet(t, s.Addr, "GET "+c.path+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}
	want := "upstream sent too big header while reading response header from upstream"
	waitFor(t, want, func() bool { return strings.Count(s.ErrorLog(), want) == 2 })
}
