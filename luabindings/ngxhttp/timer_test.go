package ngxhttp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// ngx.timer.*, ngx.sleep, ngx.thread.* and ngx.log.
var asyncCases = []hcase{
	{name: "timer.at passes premature=false and the extra args",
		loc: `location = /timer/at { content_by_lua_block {
			local ok, err = ngx.timer.at(0, function(premature, a, b)
				ngx.log(ngx.ERR, "timer ran: ", tostring(premature), " ", a, " ", b, " ", ngx.get_phase())
			end, "x", 2)
			ngx.say(ok, " ", err)
		} }`,
		path: "/timer/at", status: 200, want: "1 nil\n", log: []string{"timer ran: false x 2 timer"}},
	{name: "timer errors are logged",
		loc: `location = /timer/err { content_by_lua_block {
			ngx.timer.at(0, function() error("boom in timer") end)
			ngx.say("ok")
		} }`,
		path: "/timer/err", status: 200, want: "ok\n", log: []string{"boom in timer", "context: ngx.timer"}},
	{name: "timer.every repeats",
		loc: `location = /timer/every { content_by_lua_block {
			local n = 0
			ngx.timer.every(0.01, function()
				n = n + 1
				if n == 3 then ngx.log(ngx.ERR, "every ran 3 times") end
			end)
			ngx.say("ok")
		} }`,
		path: "/timer/every", status: 200, want: "ok\n", log: []string{"every ran 3 times"}},
	{name: "timer argument errors",
		loc: `location = /timer/args { content_by_lua_block {
			local ok1, e1 = pcall(ngx.timer.at, -1, function() end) -- a negative delay is accepted
			local ok2, e2 = pcall(ngx.timer.every, 0, function() end)
			local ok3, e3 = pcall(ngx.timer.at, 0, "nope")
			ngx.say(e1, "|", e2, "|", e3)
		} }`,
		path: "/timer/args", status: 200,
		want: "1|delay cannot be zero|bad argument #2 to '?' (Lua function expected)\n"},
	{name: "request APIs in a timer",
		loc: `location = /timer/api { content_by_lua_block {
			ngx.timer.at(0, function()
				local _, e1 = pcall(ngx.say, "x")
				local _, e2 = pcall(ngx.req.get_headers)
				local _, e3 = pcall(ngx.exec, "/x")
				ngx.log(ngx.ERR, "in timer: ", e1, " | ", e2, " | ", e3)
			end)
		} }`,
		path: "/timer/api", status: 200, want: "",
		log: []string{"in timer: API disabled in the context of ngx.timer | API disabled in the current context | API disabled in the context of ngx.timer"}},
	{name: "request body, req.socket and ngx.status in a timer",
		loc: `location = /timer/fake { content_by_lua_block {
			ngx.timer.at(0, function()
				local _, e1 = pcall(ngx.req.read_body)
				local _, e2 = pcall(ngx.req.socket)
				local _, e3 = pcall(function() return ngx.status end)
				ngx.log(ngx.ERR, "fake request: ", e1, " | ", e2, " | ", e3)
			end)
		} }`,
		path: "/timer/fake", status: 200, want: "",
		log: []string{"fake request: API disabled in the context of ngx.timer | API disabled in the context of ngx.timer | content_by_lua(nginx.conf:", "):5: API disabled in the current context"}},
	{name: "sleep is allowed in a timer",
		loc: `location = /timer/sleep { content_by_lua_block {
			ngx.timer.at(0, function() ngx.sleep(0.01) ngx.log(ngx.ERR, "slept in timer") end)
		} }`,
		path: "/timer/sleep", status: 200, want: "", log: []string{"slept in timer"}},
	{name: "sleep is disabled in header_filter and log",
		loc: `location = /timer/sleepphase {
			content_by_lua_block { ngx.say("ok") }
			header_filter_by_lua_block { ngx.header["X-Err"] = select(2, pcall(ngx.sleep, 0.001)) }
			log_by_lua_block { ngx.log(ngx.ERR, "log sleep: ", select(2, pcall(ngx.sleep, 0.001))) }
		}`,
		path: "/timer/sleepphase", status: 200, want: "ok\n",
		hdr: map[string]string{"X-Err": "API disabled in the context of header_filter_by_lua*"},
		log: []string{"log sleep: API disabled in the context of log_by_lua*"}},

	// light threads
	{name: "spawn runs the thread until it yields, then the parent",
		loc: `location = /thread/order { content_by_lua_block {
			local log = {}
			local t = ngx.thread.spawn(function(a)
				log[#log + 1] = "child start " .. a
				ngx.sleep(0.01)
				log[#log + 1] = "child end"
				return "r1", "r2"
			end, "arg")
			log[#log + 1] = "parent"
			local ok, r1, r2 = ngx.thread.wait(t)
			log[#log + 1] = tostring(ok) .. " " .. r1 .. " " .. r2
			ngx.say(table.concat(log, ", "))
		} }`,
		path: "/thread/order", status: 200, want: "child start arg, parent, child end, true r1 r2\n"},
	{name: "a thread that does not yield finishes before spawn returns",
		loc: `location = /thread/sync { content_by_lua_block {
			local x = 0
			local t = ngx.thread.spawn(function() x = 1 return "done" end)
			ngx.say(x, " ", select(2, ngx.thread.wait(t)))
		} }`,
		path: "/thread/sync", status: 200, want: "1 done\n"},
	{name: "wait returns the first to finish",
		loc: `location = /thread/any { content_by_lua_block {
			local slow = ngx.thread.spawn(function() ngx.sleep(0.2) return "slow" end)
			local fast = ngx.thread.spawn(function() ngx.sleep(0.01) return "fast" end)
			local ok, res = ngx.thread.wait(slow, fast)
			ngx.say(res)
			ngx.thread.kill(slow)
		} }`,
		path: "/thread/any", status: 200, want: "fast\n"},
	{name: "an error in a thread is returned by wait",
		loc: `location = /thread/err { content_by_lua_block {
			local t = ngx.thread.spawn(function() error("thread failed", 0) end)
			local ok, err = ngx.thread.wait(t)
			ngx.say(ok, " ", err)
		} }`,
		path: "/thread/err", status: 200, want: "false thread failed\n"},
	{name: "kill a pending thread, and one already dead",
		loc: `location = /thread/kill { content_by_lua_block {
			local t = ngx.thread.spawn(function() ngx.sleep(1) ngx.log(ngx.ERR, "killed thread ran on") end)
			local ok, err = ngx.thread.kill(t)
			local t2 = ngx.thread.spawn(function() return 1 end)
			ngx.thread.wait(t2)
			local ok2, err2 = ngx.thread.kill(t2)
			ngx.say(ok, " ", err, " ", ok2, " ", err2)
		} }`,
		path: "/thread/kill", status: 200, want: "1 nil nil already waited or killed\n",
		nolog: []string{"killed thread ran on"}},
	{name: "kill of a finished thread not yet waited",
		loc: `location = /thread/zombie { content_by_lua_block {
			local t = ngx.thread.spawn(function() return 1 end)
			ngx.say(ngx.thread.kill(t))
		} }`,
		path: "/thread/zombie", status: 200, want: "nilalready terminated\n"},
	{name: "both threads output",
		loc: `location = /thread/say { content_by_lua_block {
			local t = ngx.thread.spawn(function() ngx.say("a") ngx.sleep(0.01) ngx.say("c") end)
			ngx.say("b")
			ngx.thread.wait(t)
			ngx.say("d")
		} }`,
		path: "/thread/say", status: 200, want: "a\nb\nc\nd\n"},
	{name: "the request waits for unwaited threads",
		loc: `location = /thread/nowait { content_by_lua_block {
			ngx.thread.spawn(function() ngx.sleep(0.02) ngx.say("late") end)
			ngx.say("early")
		} }`,
		path: "/thread/nowait", status: 200, want: "early\nlate\n"},

	// ngx.log and print
	{name: "ngx.log formats its arguments with the chunk and line",
		loc: `location = /log/fmt { content_by_lua_block {
			ngx.log(ngx.WARN, "a", 1, nil, true, 2.5)
			print("from print ", ngx.null)
		} }`,
		path: "/log/fmt", status: 200, want: "",
		log: []string{"[warn]", "[lua] content_by_lua(nginx.conf:", "a1niltrue2.5", "[notice]", "from print null"}},
	{name: "ngx.log from a function names it",
		loc: `location = /log/func { content_by_lua_block {
			local function helper() ngx.log(ngx.ERR, "in helper") end
			helper()
		} }`,
		path: "/log/func", status: 200, want: "", log: []string{"):2: helper(): in helper"}},
	{name: "ngx.log below the error_log level is dropped",
		loc:  `location = /log/level { content_by_lua_block { ngx.log(ngx.DEBUG, "debug line dropped") ngx.log(ngx.INFO, "info line kept") } }`,
		path: "/log/level", status: 200, want: "", log: []string{"info line kept"}, nolog: []string{"debug line dropped"}},
	{name: "ngx.log argument errors",
		loc: `location = /log/bad { content_by_lua_block {
			local _, e1 = pcall(ngx.log, 99, "x")
			local _, e2 = pcall(ngx.log, ngx.ERR, print)
			local _, e3 = pcall(ngx.log, ngx.ERR, {})
			ngx.say(e1, "|", e2, "|", e3)
		} }`,
		path: "/log/bad", status: 200,
		want: "bad argument #1 to '?' (bad log level: 99)|bad argument #1 to '?' (string, number, boolean, or nil expected, got function)|bad argument #1 to '?' (expected table to have __tostring metamethod)\n"},
	{name: "ngx.log of a table with __tostring",
		loc: `location = /log/tostring { content_by_lua_block {
			ngx.log(ngx.ERR, setmetatable({}, {__tostring = function() return "custom repr" end}))
		} }`,
		path: "/log/tostring", status: 200, want: "", log: []string{"custom repr"}},
	// last: the timer.every above is pending for good, with
	// lua_max_pending_timers 2 one more fits
	{name: "the pending timer limit",
		loc: `location = /timer/limit { content_by_lua_block {
			local r = {}
			for i = 1, 3 do
				local ok, err = ngx.timer.at(5, function() end)
				r[#r + 1] = tostring(ok) .. "/" .. tostring(err)
			end
			ngx.say(table.concat(r, " "))
		} }`,
		path: "/timer/limit", status: 200, want: "1/nil nil/too many pending timers nil/too many pending timers\n"},
}

func TestAsync(t *testing.T) {
	s := startServer(t, "lua_max_pending_timers 2;", "", asyncCases)
	runCases(t, s, asyncCases)
}

// A server letting go of its VM runs the pending timers at once, in
// expiry order, with premature set; none is refused for lack of running
// timers since each ends before the next starts. A timer may not be
// added with a delay then.
func TestTimerPrematureAbort(t *testing.T) {
	conf := `lua_max_running_timers 2;
	server {
		listen 127.0.0.1:PORT;
		location = /t { content_by_lua_block {
			local n = 0
			for i = 1, 50 do
				ngx.timer.at(100 + i, function(premature, i)
					n = n + 1
					if i == 50 then
						local ok, err = ngx.timer.at(1, function() end)
						ngx.log(ngx.ERR, "last: ", premature, " ", n, " ", err, " ", ngx.worker.exiting())
					end
				end, i)
			end
			ngx.say("ok")
		} }
	}`
	hs := httpdtest.StartLevel(t, conf, "", "debug")
	s := &server{base: hs.Addr, prefix: hs.Prefix}
	if r := s.do(t, "GET", "/t", nil, "", false); r.body != "ok\n" {
		t.Fatalf("body %q", r.body)
	}
	hs.Process.Shutdown(true)
	log := s.waitLog(0, []string{"last: true 50 process exiting true"}, 5*time.Second)
	for _, w := range []string{"lua abort pending timers", "lua found 50 pending timers to be aborted prematurely",
		"last: true 50 process exiting true"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q", w)
		}
	}
	if strings.Contains(log, "lua_max_running_timers are not enough") {
		t.Errorf("a premature timer was refused")
	}
}

var timerOrderCases = []hcase{
	{name: "ngx.exit in a timer's thread ends the timer, its sleeping entry thread too",
		loc: `location = /timer/uexit { content_by_lua_block {
			ngx.timer.at(0, function()
				ngx.thread.spawn(function() ngx.sleep(0.01) ngx.exit(0) end)
				ngx.sleep(100)
				ngx.log(ngx.ERR, "entry END")
			end)
			ngx.timer.at(0.5, function()
				ngx.log(ngx.ERR, "running after exit: ", ngx.timer.running_count())
			end)
		} }`,
		path: "/timer/uexit", status: 200, want: "", log: []string{"running after exit: 1"}, nolog: []string{"entry END"}},
	{name: "timers run in expiry order, equal expiries in creation order",
		loc: `location = /timer/order { content_by_lua_block {
			local out = {}
			local function f(_, x) out[#out + 1] = x end
			ngx.timer.at(0.03, f, "c")
			ngx.timer.at(0.01, f, "a")
			ngx.timer.at(0.02, f, "b")
			for i = 1, 5 do ngx.timer.at(0, f, i) end
			ngx.timer.at(0.06, function() ngx.log(ngx.ERR, "order: ", table.concat(out, ",")) end)
			ngx.say("ok")
		} }`,
		path: "/timer/order", status: 200, want: "ok\n", log: []string{"order: 1,2,3,4,5,a,b,c"}},
}

func TestTimerOrder(t *testing.T) {
	s := startServer(t, "", "", timerOrderCases)
	runCases(t, s, timerOrderCases)
}
