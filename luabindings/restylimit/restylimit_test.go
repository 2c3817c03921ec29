package restylimit_test

import (
	"os"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The same Lua runs on goresty's built-ins and, with NGX_REFERENCE set and
// RESTY_LIMIT_TRAFFIC_LIB naming the lib directory of a
// lua-resty-limit-traffic checkout, on nginx with the library itself. The
// rates are such that the printed values do not depend on the machine's
// speed (the req limiter leaks 0.001 request per second).
func TestRestyLimit(t *testing.T) {
	path := ""
	if lib := os.Getenv("RESTY_LIMIT_TRAFFIC_LIB"); lib != "" && os.Getenv("NGX_REFERENCE") != "" {
		path = "lua_package_path '" + lib + "/?.lua;;';"
	}
	s := httpdtest.StartEnv(t, path+`
lua_shared_dict limits 1m;
server {
    listen 127.0.0.1:PORT;
    location /req {
        content_by_lua_block {
            local limit_req = require "resty.limit.req"
            ngx.say(limit_req._VERSION)
            ngx.say(limit_req.new("nope", 1, 1))
            local lim = limit_req.new("limits", 0.001, 2)
            ngx.say(lim.rate, " ", lim.burst, " ", lim.dict == ngx.shared.limits)
            local function show(d, e)
                if not d then ngx.say("nil ", e) return end
                ngx.say(string.format("%.0f %.2f", d / 1000, e))
            end
            show(lim:incoming("k", true))
            show(lim:incoming("k", true))
            show(lim:incoming("k", true))
            show(lim:incoming("k", true))
            show(lim:incoming("k", false))
            ngx.say(lim:uncommit("k"))
            show(lim:incoming("k", false))
            show(lim:incoming("k", true))
            ngx.say(lim:uncommit("none"))
            ngx.shared.limits:set("bad", 5)
            show(lim:incoming("bad", true))
            ngx.say(#ngx.shared.limits:get("k"))
            lim:set_burst(5)
            lim:set_rate(2)
            ngx.say(lim.rate, " ", lim.burst)
            show(lim:incoming("k", false))
        }
    }
    location /conn {
        content_by_lua_block {
            local limit_conn = require "resty.limit.conn"
            ngx.say(limit_conn._VERSION)
            local lim = limit_conn.new("limits", 2, 1, 0.5)
            ngx.say(lim:incoming("c", true))
            ngx.say(lim:is_committed())
            ngx.say(lim:incoming("c", true))
            ngx.say(lim:incoming("c", true))
            ngx.say(lim:incoming("c", true))
            ngx.say(ngx.shared.limits:get("c"))
            ngx.say(lim:incoming("c", false))
            ngx.say(lim:is_committed())
            ngx.say(lim:leaving("c", 0.1))
            ngx.say(lim.unit_delay)
            ngx.say(lim:uncommit("c"))
            ngx.say(lim:leaving("missing"))
            lim:set_conn(1)
            lim:set_burst(0)
            ngx.say(lim:incoming("c", false))
            ngx.say(lim:incoming("d", false))
            ngx.shared.limits:set("s", "x")
            ngx.say(lim:incoming("s", true))
        }
    }
    location /count {
        content_by_lua_block {
            local limit_count = require "resty.limit.count"
            ngx.say(limit_count._VERSION)
            ngx.say(limit_count.new("nope", 1, 1))
            local lim = limit_count.new("limits", 2, 60)
            ngx.say(lim:incoming("n", false))
            ngx.say(lim:incoming("n", true))
            ngx.say(lim:incoming("n", true))
            ngx.say(lim:incoming("n", true))
            ngx.say(lim:incoming("n", false))
            ngx.say(lim:uncommit("n"))
            ngx.say(lim:incoming("n", false))
            ngx.say(lim:uncommit("m"))
            local ttl = ngx.shared.limits:ttl("n")
            ngx.say(ttl > 59 and ttl <= 60)
        }
    }
}`)
	for _, c := range []struct{ path, want string }{
		{"/req", `0.09
nilshared dict not found
1 2000 true
0 0.00
1 1.00
2 2.00
nil rejected
nil rejected
true
2 2.00
2 2.00
nilnot found
nil shdict abused by other users
16
2000 5000
0 3.00
`},
		{"/conn", `0.09
01
true
02
0.53
nilrejected
3
nilrejected
false
2
0.3
1
nilnot found
nilrejected
01
nilnot a number
`},
		{"/count", `0.09
nilshared dict not found
01
01
00
nilrejected
nilrejected
0
nilrejected
2
true
`},
	} {
		st, _, body := s.Get(t, c.path)
		if st != 200 || body != c.want {
			t.Errorf("%s: got %d\n%s\nwant\n%s", c.path, st, body, c.want)
		}
	}
}
