package ngxhttp_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// ngx.run_worker_thread: the module function runs in a state of its own;
// arguments and results are copied, with upstream's errors.
var workerThreadCases = []hcase{
	{name: "a function of a module returns its values",
		loc: `location = /wt/hello { content_by_lua_block {
			ngx.say(ngx.run_worker_thread("testpool", "wtmod", "hello", "x", 2))
		} }`,
		path: "/wt/hello", status: 200, want: "truehello x2\n"},
	{name: "tables are copied both ways",
		loc: `location = /wt/table { content_by_lua_block {
			local ok, t = ngx.run_worker_thread("testpool", "wtmod", "echo", {a = "b", [1] = {n = 1}})
			ngx.say(ok, " ", t.a, " ", t[1].n)
		} }`,
		path: "/wt/table", status: 200, want: "true b 1\n"},
	{name: "the task state is separate: no request API, a reduced ngx",
		loc: `location = /wt/sep { content_by_lua_block {
			ngx.say(ngx.run_worker_thread("testpool", "wtmod", "probe"))
		} }`,
		path: "/wt/sep", status: 200, want: "truenil nil function table table aGk=\n"},
	{name: "argument errors",
		loc: `location = /wt/args { content_by_lua_block {
			local f = function() end
			local t = {} t.a = t
			local r = {}
			local function add(...) r[#r + 1] = table.concat({tostring(select(1, ...)), tostring(select(2, ...))}, ":") end
			add(ngx.run_worker_thread("testpool"))
			add(ngx.run_worker_thread(f, "wtmod", "hello"))
			add(ngx.run_worker_thread("nopool", "wtmod", "hello"))
			add(ngx.run_worker_thread("testpool", f, "hello"))
			add(ngx.run_worker_thread("testpool", "wtmod", f))
			add(ngx.run_worker_thread("testpool", "wtmod", "hello", f))
			add(ngx.run_worker_thread("testpool", "wtmod", "hello", {x = {y = f}}))
			add(ngx.run_worker_thread("testpool", "wtmod", "hello", t))
			add(ngx.run_worker_thread("testpool", "wtmod", "nosuch"))
			add(ngx.run_worker_thread("testpool", "wtmod", "badret"))
			ngx.say(table.concat(r, "\n"))
		} }`,
		path: "/wt/args", status: 200, want: "false:expecting at least 3 arguments\n" +
			"false:threadpool should be a string\n" +
			"false:thread pool nopool not found\n" +
			"false:module name should be a string\n" +
			"false:function name should be a string\n" +
			"false:unsupported Lua type: LUA_TFUNCTION in the argument\n" +
			"false:unsupported Lua type: LUA_TFUNCTION in the argument\n" +
			"false:suspicious circular references, table depth exceed max depth: 100 in the argument\n" +
			"false:invalid function\n" +
			"false:unsupported Lua type: LUA_TFUNCTION in the return value\n"},
	{name: "a missing module and a failing function",
		loc: `location = /wt/fail { content_by_lua_block {
			local ok1, e1 = ngx.run_worker_thread("testpool", "nosuchmod", "f")
			local ok2, e2 = ngx.run_worker_thread("testpool", "wtmod", "boom")
			ngx.say(ok1, " ", e1:match("module 'nosuchmod' not found") ~= nil, " ", ok2, " ", e2:match("boom") ~= nil)
		} }`,
		path: "/wt/fail", status: 200, want: "false true false true\n"},
	{name: "shared dicts are shared with the task",
		loc: `location = /wt/dict { access_by_lua_block {
			ngx.shared.dogs:set("k", 8)
			local ok, v = ngx.run_worker_thread("testpool", "wtmod", "dict")
			ngx.say(ok, " ", v, " ", ngx.shared.dogs:get("k2"))
		} }`,
		path: "/wt/dict", status: 200, want: "true 8 set\n"},
	{name: "disabled outside yieldable phases",
		loc: `location = /wt/phase {
			content_by_lua_block { ngx.say("ok") }
			header_filter_by_lua_block {
				ngx.header["X-E"] = select(2, pcall(ngx.run_worker_thread, "testpool", "wtmod", "hello"))
			}
		}`,
		path: "/wt/phase", status: 200, want: "ok\n", hdr: map[string]string{"X-E": "API disabled in the context of header_filter_by_lua*"}},
	{name: "a timer may run a task",
		loc: `location = /wt/timer { content_by_lua_block {
			ngx.timer.at(0, function()
				local ok, v = ngx.run_worker_thread("testpool", "wtmod", "hello", "t", 1)
				ngx.log(ngx.ERR, "timer task: ", ok, " ", v)
			end)
		} }`,
		path: "/wt/timer", status: 200, want: "", log: []string{"timer task: true hello t1"}},
}

const workerThreadModule = `
local function hello(a, b) return "hello " .. tostring(a) .. tostring(b) end
local function echo(t) return t end
local function probe()
	return tostring(ngx.say) .. " " .. tostring(ngx.var) .. " " .. type(ngx.md5) .. " " ..
		type(ngx.config) .. " " .. type(ngx.shared) .. " " .. ngx.encode_base64("hi")
end
local function boom() error("boom") end
local function badret() return {f = function() end} end
local function dict()
	ngx.shared.dogs:set("k2", "set")
	return ngx.shared.dogs:get("k")
end
return {hello = hello, echo = echo, probe = probe, boom = boom, badret = badret, dict = dict}
`

func TestWorkerThread(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wtmod.lua"), []byte(workerThreadModule), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startMainServer(t, "worker_processes 1; thread_pool testpool threads=4;",
		"lua_shared_dict dogs 1m; lua_package_path '"+dir+"/?.lua;;';", workerThreadCases)
	runCases(t, s, workerThreadCases)
}

// With lua_worker_thread_vm_pool_size 1 a second task waits for no
// state: it fails while the first one runs.
func TestWorkerThreadVMPoolSize(t *testing.T) {
	dir := t.TempDir()
	mod := `return {
		slow = function(path) local f = io.open(path) while not f do f = io.open(path) end f:close() return "slow" end,
		fast = function() return "fast" end,
	}`
	if err := os.WriteFile(filepath.Join(dir, "wtpool.lua"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(dir, "gate")
	cases := []hcase{{name: "one state in use: no available Lua vm",
		loc: `location = /wt/pool { content_by_lua_block {
			local th = ngx.thread.spawn(function(...) return ngx.run_worker_thread(...) end, "testpool", "wtpool", "slow", "` + gate + `")
			local ok, err = ngx.run_worker_thread("testpool", "wtpool", "fast")
			io.open("` + gate + `", "w"):close()
			local _, ok2, v = ngx.thread.wait(th)
			local ok3, v3 = ngx.run_worker_thread("testpool", "wtpool", "fast")
			ngx.say(ok, " ", err, " ", ok2, " ", v, " ", ok3, " ", v3)
		} }`,
		path: "/wt/pool", status: 200, want: "false no available Lua vm true slow true fast\n"}}
	s := startMainServer(t, "worker_processes 1; thread_pool testpool threads=4;",
		"lua_worker_thread_vm_pool_size 1; lua_package_path '"+dir+"/?.lua;;';", cases)
	runCases(t, s, cases)
}

func TestThreadPoolDirective(t *testing.T) {
	for _, c := range []struct{ main, err string }{
		{"thread_pool p max_queue=3;", "must have \"threads\" parameter"},
		{"thread_pool p threads=0;", "invalid threads value"},
		{"thread_pool p threads=2 max_queue=x;", "invalid max_queue value"},
		{"thread_pool p threads=2 foo=1;", "invalid parameter \"foo=1\""},
		{"thread_pool p threads=2; thread_pool p threads=3;", "duplicate thread pool \"p\""},
	} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
		os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(c.main+"\nevents {}\nhttp {}\n"), 0o644)
		_, err := httpd.Load(dir, "conf/nginx.conf")
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: got %v, want %q", c.main, err, c.err)
		}
	}
}

func startMainServer(t *testing.T, mainConf, httpConf string, cases []hcase) *server {
	t.Helper()
	var b strings.Builder
	for _, c := range cases {
		b.WriteString("\n")
		b.WriteString(c.loc)
	}
	ref := os.Getenv("NGX_REFERENCE")
	hs := httpdtest.StartMain(t, mainConf, httpConf+"\nserver {\n    listen 127.0.0.1:PORT;\n"+b.String()+"\n}\n", ref)
	return &server{base: hs.Addr, prefix: hs.Prefix, ref: ref != ""}
}
