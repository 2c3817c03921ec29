package proxy_test

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The error log line names the upstream with the URI sent, args included.
func TestErrorLogUpstream(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /u/ { proxy_pass http://127.0.0.1:1/x/; }
    location / { proxy_pass http://127.0.0.1:1; }
}`)
	rawGet(t, s.Addr, "GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	rawGet(t, s.Addr, "GET /u/c?y=2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	for _, want := range []string{
		`connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /a%20b?x=1 HTTP/1.1", upstream: "http://127.0.0.1:1/a%20b?x=1", host: "h"`,
		`connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /u/c?y=2 HTTP/1.1", upstream: "http://127.0.0.1:1/x/c?y=2", host: "h"`,
	} {
		waitFor(t, want, func() bool { return strings.Contains(s.ErrorLog(), want) })
	}
}
