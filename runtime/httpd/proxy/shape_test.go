package proxy_test

import (
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// sortedLines is a request head with its header lines sorted (the order
// of the client's own headers is not compared) and the port made "UP".
func sortedLines(head, port string) string {
	lines := strings.Split(strings.TrimSuffix(head, "\r\n\r\n"), "\r\n")
	sort.Strings(lines[1:])
	return strings.ReplaceAll(strings.Join(lines, "|"), port, "UP")
}

// The upstream request carries what nginx sends: the raw URI when
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
		{"GET /a/../b%41?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nKeep-Alive: 5\r\nUser-Agent: ua\r\nConnection: close\r\n\r\n",
			"GET /a/../b%41?x=1 HTTP/1.0|Connection: close|Host: 127.0.0.1:UP|Proxy-Connection: keep-alive|User-Agent: ua|X-A: 1"},
		{"GET /a%2fb//c?x=%41 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /a%2fb//c?x=%41 HTTP/1.0|Connection: close|Host: 127.0.0.1:UP"},
		{"DELETE /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"DELETE /d HTTP/1.0|Connection: close|Host: 127.0.0.1:UP"},
		{"POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nabc",
			"POST /p HTTP/1.0|Connection: close|Content-Length: 3|Content-Type: text/plain|Host: 127.0.0.1:UP"},
		{"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			"POST /p HTTP/1.0|Connection: close|Content-Length: 0|Host: 127.0.0.1:UP"},
		{"GET /uri/a%20b/../c?q HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /x/c?q HTTP/1.0|Connection: close|Host: 127.0.0.1:UP"},
		{"GET /xff/ HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\nConnection: close\r\n\r\n",
			"GET /xff/ HTTP/1.0|Connection: close|Host: 127.0.0.1:UP|X-Forwarded-For: 1.2.3.4, 5.6.7.8, 127.0.0.1|X-Real-IP: 127.0.0.1"},
		{"GET /xff/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			"GET /xff/ HTTP/1.0|Connection: close|Host: 127.0.0.1:UP|X-Forwarded-For: 127.0.0.1|X-Real-IP: 127.0.0.1"},
	} {
		first := strings.SplitN(c.raw, "\r\n", 2)[0]
		resp, b, _ := rawGet(t, s.Addr, c.raw)
		if resp.StatusCode != 200 || b != "ok" {
			t.Errorf("%s: %d %q", first, resp.StatusCode, b)
		}
		if got := sortedLines(up.lastHead(), up.port); got != c.want {
			t.Errorf("%s: upstream got\n%s\nwant\n%s", first, got, c.want)
		}
	}
}
