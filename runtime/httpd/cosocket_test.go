package httpd_test

// Cosockets as lua-nginx-module runs them: names resolved by the
// "resolver" directive's server, its error texts, and the keepalive pool's
// debug lines (NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx).

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
	"github.com/goresty/goresty/runtime/resolver/resolvertest"
)

func TestCosocketResolver(t *testing.T) {
	dns := resolvertest.Start(t, map[string][]string{"svc.test": {"127.0.0.1"}},
		map[string]dnsmessage.RCode{"broken.test": dnsmessage.RCodeServerFailure},
		map[string]bool{"slow.test": true})
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    resolver `+dns.Addr+` ipv6=off;
    resolver_timeout 200ms;
    location /t {
        content_by_lua_block {
            for _, name in ipairs({"svc.test", "nope.test", "broken.test", "slow.test"}) do
                local sock = ngx.socket.tcp()
                local ok, err = sock:connect(name, PORT)
                ngx.say(name, ": ", ok, " ", err)
                if ok then sock:close() end
            end
        }
    }
}`)
	code, _, body := s.Get(t, "/t")
	want := `svc.test: 1 nil
nope.test: nil nope.test could not be resolved (3: Host not found)
broken.test: nil broken.test could not be resolved (2: Server failure)
slow.test: nil slow.test could not be resolved (110: Operation timed out)
`
	if code != 200 || body != want {
		t.Fatalf("status %d, body:\n%s\nwant:\n%s", code, body, want)
	}
}

func TestCosocketKeepaliveDebugLog(t *testing.T) {
	s := httpdtest.StartLevel(t, `
server {
    listen 127.0.0.1:PORT;
    location /echo { content_by_lua_block { ngx.print("ok") } }
    location /t {
        content_by_lua_block {
            for i = 1, 2 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", PORT, {pool = "dbg", pool_size = 3}))
                ngx.say("reused ", sock:getreusedtimes())
                assert(sock:send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"))
                local reader = sock:receiveuntil("\r\n0\r\n\r\n")
                assert(reader())
                ngx.say(sock:setkeepalive(i == 1 and 0 or 1))
            end
        }
    }
}`, os.Getenv("NGX_REFERENCE"), "debug")
	code, _, body := s.Get(t, "/t")
	if code != 200 || body != "reused 0\n1\nreused 1\n1\n" {
		t.Fatalf("status %d, body %q", code, body)
	}
	log := s.ErrorLog()
	for _, want := range []string{
		"lua tcp socket connection pool size: 3, backlog: -1",
		`lua tcp socket keepalive create connection pool for key "dbg"`,
		"lua tcp socket get keepalive peer: using connection",
		"lua tcp socket keepalive timeout: unlimited",
		"lua tcp socket keepalive timeout: 1 ms",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q", want)
		}
	}
}
