package proxy_test

import (
	"net"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// headLines is a request head's lines in order, the port made "UP".
func headLines(head, port string) string {
	lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
	return strings.ReplaceAll(strings.Join(lines, "|"), port, "UP")
}

// The upstream request carries what nginx sends, in its order: the raw URI when
// proxy_pass has no URI part, no Content-Length without a client body,
// no Expect, TE or Keep-Alive, Proxy-Connection passed on,
// $proxy_add_x_forwarded_for joining the client's X-Forwarded-For lines.
func TestUpstreamRequest(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool { return reply(c, "ok") })
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location / { proxy_pass http://127.0.0.1:`+up.port+`; }
    location /uri/ { proxy_pass http://127.0.0.1:`+up.port+`/x/; }
    location /xff/ {
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_pass http://127.0.0.1:`+up.port+`;
    }
}`)
	for _, c := range []struct{ raw, want string }{
		{"GET /a/../b%41?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nKeep-Alive: 5\r\nUser-Agent: ua\r\nX-B: 2\r\nCookie: c=1\r\nConnection: close\r\n\r\n",
			"GET /a/../b%41?x=1 HTTP/1.0|Host: 127.0.0.1:UP|Connection: close|X-A: 1|Proxy-Connection: keep-alive|User-Agent: ua|X-B: 2|Cookie: c=1"},
		{"GET /a%2fb//c?x=%41 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /a%2fb//c?x=%41 HTTP/1.0|Host: 127.0.0.1:UP|Connection: close"},
		{"DELETE /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"DELETE /d HTTP/1.0|Host: 127.0.0.1:UP|Connection: close"},
		{"POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nabc",
			"POST /p HTTP/1.0|Host: 127.0.0.1:UP|Connection: close|Content-Length: 3|Content-Type: text/plain"},
		{"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			"POST /p HTTP/1.0|Host: 127.0.0.1:UP|Connection: close|Content-Length: 0"},
		{"GET /uri/a%20b/../c?q HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /x/c?q HTTP/1.0|Host: 127.0.0.1:UP|Connection: close"},
		{"GET /xff/ HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\nConnection: close\r\n\r\n",
			"GET /xff/ HTTP/1.0|X-Forwarded-For: 1.2.3.4, 5.6.7.8, 127.0.0.1|X-Real-IP: 127.0.0.1|Host: 127.0.0.1:UP|Connection: close"},
		{"GET /xff/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /xff/ HTTP/1.0|X-Forwarded-For: 127.0.0.1|X-Real-IP: 127.0.0.1|Host: 127.0.0.1:UP|Connection: close"},
	} {
		first := strings.SplitN(c.raw, "\r\n", 2)[0]
		resp, b, _ := rawGet(t, s.Addr, c.raw)
		if resp.StatusCode != 200 || b != "ok" {
			t.Errorf("%s: %d %q", first, resp.StatusCode, b)
		}
		if got := headLines(up.lastHead(), up.port); got != c.want {
			t.Errorf("%s: upstream got\n%s\nwant\n%s", first, got, c.want)
		}
	}
}
