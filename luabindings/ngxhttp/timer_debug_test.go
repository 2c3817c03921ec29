package ngxhttp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Lines lua-nginx-module writes about timers, sleeps and light threads:
// the debug ones only with "error_log ... debug", and the context a
// timer adds to its lines (the client and listening address of the
// request that started it).
var timerDebugCases = []hcase{
	{name: "a timer's lines carry its context",
		loc: `location = /td/ctx { content_by_lua_block {
			ngx.timer.at(0, function() ngx.log(ngx.ERR, "in the timer") end)
			ngx.say("ok")
		} }`,
		path: "/td/ctx", status: 200, want: "ok\n",
		log: []string{"lua ngx.timer expired",
			"in the timer, context: ngx.timer, client: 127.0.0.1, server: 127.0.0.1:",
			"http lua close fake http connection"}},
	{name: "a timer started by a timer keeps the context",
		loc: `location = /td/chain { content_by_lua_block {
			ngx.timer.at(0, function()
				ngx.timer.at(0, function() error("chained boom") end)
			end)
			ngx.say("ok")
		} }`,
		path: "/td/chain", status: 200, want: "ok\n",
		log: []string{"chained boom", ", context: ngx.timer, client: 127.0.0.1, server: 127.0.0.1:"}},
	{name: "sleep announces itself and its end with the request's uri",
		loc: `location = /td/sleep { content_by_lua_block {
			ngx.sleep(0.002)
			ngx.say("ok")
		} }`,
		path: "/td/sleep?a=1", status: 200, want: "ok\n",
		log: []string{"lua ready to sleep for 2 ms", `lua sleep timer expired: "/td/sleep?a=1"`}},
	{name: "killing a sleeping thread cleans up its sleep",
		loc: `location = /td/kill { content_by_lua_block {
			local t = ngx.thread.spawn(function() ngx.sleep(0.05) end)
			ngx.say(ngx.thread.kill(t))
		} }`,
		path: "/td/kill", status: 200, want: "1\n",
		log: []string{"lua clean up the timer for pending ngx.sleep"}},
	{name: "too few running timers name the function",
		loc: `location = /td/running { content_by_lua_block {
			for i = 1, 2 do
				ngx.timer.at(0.01, function() ngx.sleep(0.05) end)
			end
			ngx.say("ok")
		} }`,
		path: "/td/running", status: 200, want: "ok\n",
		log: []string{"lua failed to run timer with function defined at =content_by_lua(nginx.conf:",
			"):3: 1 lua_max_running_timers are not enough"}},
}

// Light thread errors and the rules of ngx.thread.wait and kill.
var threadRuleCases = []hcase{
	{name: "an aborted user thread is logged",
		loc: `location = /tr/err { content_by_lua_block {
			local t = ngx.thread.spawn(function() local x = nil; x.y = 1 end)
			ngx.say(ngx.thread.wait(t))
		} }`,
		path: "/tr/err", status: 200, want: "~false",
		log: []string{"lua user thread aborted: runtime error: content_by_lua(nginx.conf:"}},
	{name: "coroutine.running in a light thread is the thread",
		loc: `location = /tr/running { content_by_lua_block {
			local me
			local t = ngx.thread.spawn(function()
				me = coroutine.running()
				local co = coroutine.create(function() return coroutine.running() end)
				local _, inner = coroutine.resume(co)
				return inner == co
			end)
			local _, inner = ngx.thread.wait(t)
			ngx.say(me == t, " ", inner, " ", coroutine.running() ~= t)
		} }`,
		path: "/tr/running", status: 200, want: "true true true\n"},
	{name: "spawn refuses a C function",
		loc: `location = /tr/cfunc { content_by_lua_block {
			ngx.say(pcall(ngx.thread.spawn, print))
		} }`,
		path: "/tr/cfunc", status: 200, want: "~Lua function expected"},
	{name: "waiting on a plain coroutine",
		loc: `location = /tr/co { content_by_lua_block {
			local co = coroutine.create(function() end)
			ngx.say(pcall(ngx.thread.wait, co))
		} }`,
		path: "/tr/co", status: 200, want: "falseattempt to wait on a coroutine that is not a user thread\n"},
	{name: "only the parent waits",
		loc: `location = /tr/parent { content_by_lua_block {
			local t
			local co = coroutine.create(function() t = ngx.thread.spawn(function() ngx.sleep(0.01) end) end)
			coroutine.resume(co)
			ngx.say(pcall(ngx.thread.wait, t))
		} }`,
		path: "/tr/parent", status: 200, want: "falseonly the parent coroutine can wait on the thread\n"},
	{name: "kill refuses a coroutine and a thread of another parent",
		loc: `location = /tr/kill { content_by_lua_block {
			local t
			local co = coroutine.create(function() t = ngx.thread.spawn(function() ngx.sleep(0.01) end) end)
			coroutine.resume(co)
			ngx.say(ngx.thread.kill(coroutine.running()))
			ngx.say(ngx.thread.kill(t))
		} }`,
		path: "/tr/kill", status: 200, want: "nilnot user thread\nnilkiller not parent\n"},
	{name: "a waited thread is skipped unless it is the last argument",
		loc: `location = /tr/dead { content_by_lua_block {
			local a = ngx.thread.spawn(function() return "a" end)
			local b = ngx.thread.spawn(function() ngx.sleep(0.01) return "b" end)
			ngx.say(ngx.thread.wait(a))
			ngx.say(ngx.thread.wait(a, b))
			ngx.say(ngx.thread.wait(b, a))
		} }`,
		path: "/tr/dead", status: 200, want: "truea\ntrueb\nnilalready waited or killed\n"},
	{name: "a thread may not abort the request while a capture is in flight",
		loc: `location = /tr/abort { content_by_lua_block {
			ngx.thread.spawn(function()
				ngx.sleep(0.01)
				ngx.exit(0)
			end)
			ngx.location.capture("/tr/slow")
			ngx.say("end")
		} }
		location = /tr/slow { content_by_lua_block { ngx.sleep(0.1) } }`,
		path: "/tr/abort", status: 200, want: "end\n",
		log: []string{"lua user thread aborted: runtime error: content_by_lua(nginx.conf:", "attempt to abort with pending subrequests"}},
}

func TestThreadRules(t *testing.T) {
	s := startServer(t, "", "", threadRuleCases)
	runCases(t, s, threadRuleCases)
}

func TestTimerDebugLines(t *testing.T) {
	ref := os.Getenv("NGX_REFERENCE")
	conf := "lua_max_running_timers 1;\nserver {\n    listen 127.0.0.1:PORT;\n"
	for _, c := range timerDebugCases {
		conf += c.loc + "\n"
	}
	hs := httpdtest.StartLevel(t, conf+"}\n", ref, "debug")
	os.MkdirAll(filepath.Join(hs.Prefix, "html"), 0o755)
	runCases(t, &server{base: hs.Addr, prefix: hs.Prefix, ref: ref != ""}, timerDebugCases)
}

// Without debug level none of the debug lines is written.
func TestTimerNoDebugLines(t *testing.T) {
	cases := []hcase{{name: "quiet at info",
		loc: `location = /tq { content_by_lua_block {
			ngx.timer.at(0, function() ngx.log(ngx.ERR, "timer done") end)
			ngx.sleep(0.001)
			ngx.say("ok")
		} }`,
		path: "/tq", status: 200, want: "ok\n",
		log:   []string{"timer done"},
		nolog: []string{"lua ngx.timer expired", "lua ready to sleep", "http lua close fake"}}}
	s := startServer(t, "", "", cases)
	runCases(t, s, cases)
}
