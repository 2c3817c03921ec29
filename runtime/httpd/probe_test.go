package httpd_test

import (
	"os"
	"strings"
	"testing"
	"fmt"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

const probeConf = `
client_header_timeout 60s;
access_log logs/access.log;
large_client_header_buffers 4 1k;
server {
    listen 127.0.0.1:PORT;
    client_max_body_size 1k;
    location / { return 200 "ok\n"; }
    location /big { client_max_body_size 0; content_by_lua_block { ngx.req.read_body() ngx.say(#(ngx.req.get_body_data() or "")) } }
    location /body { content_by_lua_block { ngx.req.read_body() ngx.say(#(ngx.req.get_body_data() or "")) } }
}`

func TestProbe(t *testing.T) {
	s := httpdtest.Start(t, probeConf, os.Getenv("NGX_REFERENCE"))
	long := strings.Repeat("a", 2000)
	cases := []string{
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 107374182400\r\n\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + long[:2048%2000] + long + "\r\n",
		"POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: ..\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: .\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a..b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n",
		"get / HTTP/1.1\r\nHost: a\r\n\r\n",
		"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
		"GET / HTTP/3.0\r\nHost: a\r\n\r\n",
		"GET /" + long + " HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + long + "\r\n\r\n",
		"GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET\r\nBad Header\r\n\r\n",
		"FOO / HTTP/1.1\r\nHost: a\r\n\r\n",
	}
	for _, c := range cases {
		resp, body, conn := s.Exchange(t, c)
		conn.Close()
		fmt.Printf("%q\n  -> %d %v close=%v body=%q\n", trunc(c), resp.StatusCode, resp.Header, resp.Close, trunc(body))
	}
	fmt.Println(s.ErrorLog())
	fmt.Println(s.AccessLog())
}

func trunc(s string) string { if len(s) > 120 { return s[:120] }; return s }
