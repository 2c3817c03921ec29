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
