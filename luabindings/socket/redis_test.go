package socket

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
)

// lua-resty-redis (Debian's lua-nginx-redis, installed as nginx.redis) runs
// unchanged on these cosockets against a real Redis.
func TestRestyRedis(t *testing.T) {
	const lib = "/usr/share/lua/5.1/nginx/redis.lua"
	if _, err := os.Stat(lib); err != nil {
		t.Skip("lua-nginx-redis not installed")
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second); err != nil {
		t.Skip("no redis at 127.0.0.1:6379")
	} else {
		c.Close()
	}
	vm, sb := newVM(t)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	err := vm.DoString(c, "t", `
		package.path = "/usr/share/lua/5.1/?.lua;" .. package.path
		if ngx.null == nil then ngx.null = newproxy and newproxy() or setmetatable({}, {}) end
		local redis = require "nginx.redis"
		local key = "goresty:test:" .. tostring(os.time()) .. ":" .. tostring(math.random(1e9))

		local red = redis:new()
		red:set_timeout(1000)
		out("connect", red:connect("127.0.0.1", 6379))
		out("reused", red:get_reused_times())
		out("set", red:set(key, "hello\r\nworld"))
		out("get", red:get(key))
		out("missing is null", red:get(key .. ":none") == ngx.null)
		out("del", red:del(key))
		out("err", red:hget(key .. ":s", "x") == ngx.null)
		red:set(key .. ":s", "str")
		local ok, err = red:hget(key .. ":s", "x")
		out("wrongtype", ok, (err:gsub(" .*", "")))

		red:init_pipeline()
		red:set(key .. ":a", 1)
		red:incr(key .. ":a")
		red:rpush(key .. ":l", "x", "y", "z")
		red:lrange(key .. ":l", 0, -1)
		red:get(key .. ":a")
		local results, err = red:commit_pipeline()
		out("pipeline", #results, results[1], results[2], results[3], table.concat(results[4], ","), results[5])
		red:del(key .. ":a", key .. ":l", key .. ":s")
		out("keepalive", red:set_keepalive(10000, 10))

		local red2 = redis:new()
		out("connect2", red2:connect("127.0.0.1", 6379))
		out("reused2", red2:get_reused_times())
		out("ping", red2:ping())
		out("close", red2:close())
	`)
	if err != nil {
		t.Fatal(err)
	}
	check(t, sb.String(), `connect 1
reused 0
set OK
get hello`+"\r\n"+`world
missing is null true
del 1
err true
wrongtype false WRONGTYPE
pipeline 5 OK 2 3 x,y,z 2
keepalive 1
connect2 1
reused2 1
ping PONG
close 1
`)
}
