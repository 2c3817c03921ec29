package compat

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/goresty/goresty/luabindings"
)

type logLine struct {
	level int
	msg   string
}

type testLog struct {
	mu    sync.Mutex
	lines []logLine
}

func (l *testLog) log(level int, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, logLine{level, msg})
	l.mu.Unlock()
}

func (l *testLog) all() []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logLine(nil), l.lines...)
}

func newVM(t testing.TB) (*luabindings.VM, *testLog) {
	t.Helper()
	lg := &testLog{}
	vm := luabindings.NewVM(3, 4, "/srv/app", lg.log)
	t.Cleanup(vm.Close)
	return vm, lg
}

// run executes code in phase p and returns what it returned, joined by
// spaces with tostring.
func run(t *testing.T, vm *luabindings.VM, p luabindings.Phase, code string) string {
	t.Helper()
	out, err := tryRun(vm, p, code)
	if err != nil {
		t.Fatalf("%s: %v", code, err)
	}
	return out
}

func tryRun(vm *luabindings.VM, p luabindings.Phase, code string) (string, error) {
	c := &luabindings.Ctx{VM: vm, Phase: p}
	vm.Lock(c)
	defer vm.Unlock()
	fn, err := vm.L.LoadString(code)
	if err != nil {
		return "", err
	}
	rets, err := vm.Call(c, fn)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(rets))
	for i, r := range rets {
		parts[i] = vm.L.ToStringMeta(r).String()
	}
	return strings.Join(parts, " "), nil
}

func expect(t *testing.T, vm *luabindings.VM, code, want string) {
	t.Helper()
	if got := run(t, vm, luabindings.PhaseContent, code); got != want {
		t.Errorf("%s\n got: %q\nwant: %q", code, got, want)
	}
}

func expectErr(t *testing.T, vm *luabindings.VM, code, want string) {
	t.Helper()
	_, err := tryRun(vm, luabindings.PhaseContent, code)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want it to contain %q", code, err, want)
	}
}

// Expected values below were taken from OpenResty's LuaJIT 2.1.
func TestBit(t *testing.T) {
	vm, _ := newVM(t)
	cases := []struct{ code, want string }{
		{`return bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(-2.5), bit.tobit(0.5)`, "2 2 -2 -2 0"},
		{`return bit.tobit(2^31), bit.tobit(2^32+5), bit.tobit(2^53), bit.tobit(1/0), bit.tobit(0/0), bit.tobit(-1)`, "-2147483648 5 0 0 0 -1"},
		{`return bit.tobit(2^52+0.5), bit.tobit(1e20), bit.tobit(-2^31-1), bit.tobit(4294967295), bit.tobit(-4294967296)`, "0 2025163840 2147483647 -1 0"},
		{`return bit.tohex(255), bit.tohex(-1), bit.tohex(255, 4), bit.tohex(255, -4), bit.tohex(0x12345678, 2)`, "000000ff ffffffff 00ff 00FF 78"},
		{`return bit.tohex(1, 12), bit.tohex(-1, 16), bit.tohex(-1, -8), bit.tohex(1.5), bit.tohex(65535, 3), "[" .. bit.tohex(1, 0) .. "]"`, "000000000001 00000000ffffffff FFFFFFFF 00000002 fff []"},
		{`return bit.bnot(0), bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bor(1)`, "-1 3 7 6 1"},
		{`return bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(1, -1), bit.rshift(-1, 28), bit.rshift(-1, 0)`, "-2147483648 1 2 -2147483648 15 -1"},
		{`return bit.arshift(-256, 4), bit.arshift(256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8)`, "-16 16 878082066 2014458966"},
		{`return bit.bswap(0x12345678), bit.bswap(-1), bit.rol(1, 32), bit.rol(1, -1), bit.lshift(1, 3.5), bit.rshift(16, 2.5)`, "2018915346 -1 1 -2147483648 16 4"},
		{`return bit.bor(0xffffffff, 0), bit.band(2^32 + 3, 7), bit.bxor(-1, 0x80000000), bit.tohex(0x80000000)`, "-1 3 2147483647 80000000"},
		{`return bit.band("3", 1), bit.lshift(1, "2")`, "1 4"},
		{`return require("bit") == bit, package.loaded.bit == bit`, "true true"},
	}
	for _, c := range cases {
		expect(t, vm, c.code, c.want)
	}
	expectErr(t, vm, `bit.band("x", 1)`, "number expected, got string")
	expectErr(t, vm, `bit.band()`, "number expected, got no value")
	expectErr(t, vm, `bit.band(1, nil)`, "bad argument #2")
}

func TestTableExtensions(t *testing.T) {
	vm, _ := newVM(t)
	cases := []struct{ code, want string }{
		{`local t = table.new(10, 4) t[1] = 1 t.x = 2 return #t, t.x, require("table.new") == table.new`, "1 2 true"},
		{`local isarray = require "table.isarray"
		  return isarray({1,nil,3}), isarray({[1]=1,[3]=3}), isarray({[1.5]=1}), isarray({}), isarray({n=1}),
		         isarray({[2]=1}), isarray({[0]=1}), isarray({1,2,3}), isarray({[-1]=1})`, "true true false true false true true true true"},
		{`local nkeys, isempty = require "table.nkeys", require "table.isempty"
		  local t = {a = 1, 2, [1.5] = 3} t.a = nil
		  return nkeys({1,nil,3}), nkeys({}), nkeys({a=1, 2, [1.5]=3}), nkeys(t), isempty({}), isempty({nil}), isempty({a=1}), isempty(t)`,
			"2 0 3 2 true true false false"},
		{`local t = setmetatable({1, 2, x = 3, [true] = 4}, {}) local c = require("table.clone")(t)
		  c[1] = 9 c.y = 5
		  return getmetatable(c), c[1], c[2], c.x, c[true], c ~= t, t[1], t.y`, "nil 9 2 3 4 true 1 nil"},
		{`local t = setmetatable({1, 2, x = 3, [true] = 4}, {}) require("table.clear")(t)
		  local n = next(t) t.z = 1 t[1] = 7
		  return n, getmetatable(t) ~= nil, #t, t.z, t.x, table.nkeys(t)`, "nil true 1 1 nil 2"},
		{`local t = {} for i = 1, 100 do t["k" .. i] = i end table.clear(t) t.a = 1
		  local n = 0 for k, v in pairs(t) do n = n + 1 end return n, t.k1`, "1 nil"},
	}
	for _, c := range cases {
		expect(t, vm, c.code, c.want)
	}
	expectErr(t, vm, `table.isarray(1)`, "table expected, got number")
	expectErr(t, vm, `table.nkeys(nil)`, "table expected, got nil")
	expectErr(t, vm, `table.new()`, "number expected, got no value")
	expectErr(t, vm, `table.new(1)`, "bad argument #2")
}

func TestNgxConfigWorkerProcess(t *testing.T) {
	vm, _ := newVM(t)
	expect(t, vm, `return ngx.config.subsystem, ngx.config.debug, ngx.config.ngx_lua_version, ngx.config.nginx_version, ngx.config.prefix(), ngx.config.is_console`,
		"http false 10023 1022001 /srv/app/ false")
	expect(t, vm, `return type(ngx.config.nginx_configure()), ngx.config.nginx_configure():find("--prefix=/srv/app", 1, true) ~= nil`, "string true")
	expect(t, vm, `return ngx.worker.id(), ngx.worker.count(), ngx.worker.pid() > 0, ngx.worker.exiting()`, "3 4 true false")
	exiting := false
	vm.Exiting = func() bool { return exiting }
	exiting = true
	expect(t, vm, `return ngx.worker.exiting()`, "true")
	expect(t, vm, `local p = require "ngx.process" return p.type(), p.get_master_pid() == ngx.worker.pid(), p.version`, "worker true 0.1.25")
	vm.Services[ServiceProcessType] = "single"
	expect(t, vm, `return require("ngx.process").type()`, "single")
	expect(t, vm, `return ngx.get_phase()`, "content")
	if got := run(t, vm, luabindings.PhaseLog, `return ngx.get_phase()`); got != "log" {
		t.Errorf("get_phase in log: %q", got)
	}
	// With no entity (code run straight on the state, as init code may be).
	if err := vm.L.DoString(`phase_outside = ngx.get_phase()`); err != nil {
		t.Fatal(err)
	}
	if got := vm.L.GetGlobal("phase_outside").String(); got != "init" {
		t.Errorf("get_phase without ctx: %q", got)
	}
}

func TestConstants(t *testing.T) {
	vm, _ := newVM(t)
	expect(t, vm, `return ngx.OK, ngx.ERROR, ngx.AGAIN, ngx.DONE, ngx.DECLINED`, "0 -1 -2 -4 -5")
	expect(t, vm, `return ngx.HTTP_GET, ngx.HTTP_HEAD, ngx.HTTP_POST, ngx.HTTP_PUT, ngx.HTTP_DELETE, ngx.HTTP_MKCOL, ngx.HTTP_COPY, ngx.HTTP_MOVE, ngx.HTTP_OPTIONS, ngx.HTTP_PROPFIND, ngx.HTTP_PROPPATCH, ngx.HTTP_LOCK, ngx.HTTP_UNLOCK, ngx.HTTP_PATCH, ngx.HTTP_TRACE`,
		"2 4 8 16 32 64 128 256 512 1024 2048 4096 8192 16384 32768")
	expect(t, vm, `return ngx.HTTP_OK, ngx.HTTP_NO_CONTENT, ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_NOT_ALLOWED, ngx.HTTP_TOO_MANY_REQUESTS, ngx.HTTP_CLOSE, ngx.HTTP_ILLEGAL, ngx.HTTP_INTERNAL_SERVER_ERROR, ngx.HTTP_NOT_IMPLEMENTED, ngx.HTTP_METHOD_NOT_IMPLEMENTED, ngx.HTTP_INSUFFICIENT_STORAGE`,
		"200 204 302 308 405 429 444 451 500 501 501 507")
	expect(t, vm, `return ngx.STDERR, ngx.EMERG, ngx.ALERT, ngx.CRIT, ngx.ERR, ngx.WARN, ngx.NOTICE, ngx.INFO, ngx.DEBUG`, "0 1 2 3 4 5 6 7 8")
}

func TestNull(t *testing.T) {
	vm, _ := newVM(t)
	expect(t, vm, `return tostring(ngx.null), type(ngx.null), ngx.null == nil, ngx.null == ngx.null, not ngx.null`, "userdata: NULL userdata false true false")
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	vm.Lock(c)
	v := vm.L.GetField(vm.Ngx(), "null")
	th, _ := vm.L.NewThread()
	if v != Null(vm) || v != NullOf(th) || !IsNull(v) || IsNull(lua.LNil) || IsNull(vm.L.NewUserData()) {
		t.Error("Null must be the one ngx.null value of the VM")
	}
	vm.Unlock()
	other, _ := newVM(t)
	if Null(other) == Null(vm) || !IsNull(Null(other)) {
		t.Error("each VM has its own ngx.null, all recognised by IsNull")
	}
}

func TestRestyCoreModules(t *testing.T) {
	vm, _ := newVM(t)
	for _, m := range append([]string{"resty.core.base", "ngx.process"}, restyCoreModules...) {
		expect(t, vm, fmt.Sprintf(`local m = require %q return type(m), m.version, require(%q) == m`, m, m), "table 0.1.25 true")
	}
	expect(t, vm, `local b = require "resty.core.base" return b.FFI_OK, b.FFI_NO_REQ_CTX, b.FFI_DECLINED, b.new_tab == table.new, b.allows_subsystem("stream", "http"), b.allows_subsystem("stream"), b.get_request()`,
		"0 -100 -5 true true false nil")
	expect(t, vm, `local tm = require "resty.core.time" local a = tm.monotonic_msec() return a >= 0, tm.monotonic_time() >= 0`, "true true")
}

func TestGlobalWriteGuard(t *testing.T) {
	vm, lg := newVM(t)
	if got := run(t, vm, luabindings.PhaseInit, `initglob = 1 return initglob`); got != "1" {
		t.Fatal(got)
	}
	run(t, vm, luabindings.PhaseInitWorker, `iwglob = 1`)
	run(t, vm, luabindings.PhaseTimer, `tglob = 1`)
	if n := len(lg.all()); n != 0 {
		t.Fatalf("no warning expected in init/init_worker/timer, got %v", lg.all())
	}
	run(t, vm, luabindings.PhaseContent, `myglob = 1 myglob = 2 local function f() fglob = 3 end f() rawset(_G, "rawglob", 1) _G.viaG = 1`)
	lines := lg.all()
	if len(lines) != 3 {
		t.Fatalf("want 3 warnings (myglob, fglob, viaG), got %v", lines)
	}
	for i, name := range []string{"myglob", "fglob", "viaG"} {
		want := "writing a global Lua variable ('" + name + "') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables"
		if lines[i].level != luabindings.LogWarn || !strings.Contains(lines[i].msg, want) || !strings.Contains(lines[i].msg, "stack traceback:") {
			t.Errorf("warning %d: %+v", i, lines[i])
		}
	}
	// The globals persist for later requests.
	expect(t, vm, `return myglob, fglob, rawglob, viaG, initglob, tglob`, "2 3 1 1 1 1")
	run(t, vm, luabindings.PhaseAccess, `myglob = nil`)
	run(t, vm, luabindings.PhaseLog, `myglob = 5`)
	if n := len(lg.all()); n != 4 {
		t.Errorf("re-creating a deleted global warns again: %d warnings", n)
	}
	expect(t, vm, `local mt = getmetatable(_G) return type(mt), mt.__index, type(mt.__newindex)`, "table nil function")
}

// Many requests on one VM creating globals concurrently (each holding the
// VM lock as the runtime does) stay race-free.
func TestGlobalGuardConcurrent(t *testing.T) {
	vm, lg := newVM(t)
	fn, err := vm.L.LoadString(`counter = (counter or 0) + 1 local k = "g" .. (counter % 7) _G[k] = true`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
			if _, err := vm.Exec(c, fn); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	expect(t, vm, `return counter`, "50")
	if n := len(lg.all()); n != 8 { // counter + g0..g6
		t.Errorf("%d warnings, want 8", n)
	}
}

func BenchmarkGlobalWriteExisting(b *testing.B) {
	vm, _ := newVM(b)
	vm.L.DoString(`x = 0`)
	fn, _ := vm.L.LoadString(`for i = 1, 1000 do x = i end`)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm.Exec(c, fn)
	}
}

func BenchmarkBitBand(b *testing.B) {
	vm, _ := newVM(b)
	fn, _ := vm.L.LoadString(`local band = bit.band for i = 1, 1000 do band(i, 0xff) end`)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm.Exec(c, fn)
	}
}

// Bytes over 0x7f are identifier characters, as in LuaJIT: UTF-8 names
// work for locals, fields and globals.
func TestUTF8Identifiers(t *testing.T) {
	vm, _ := newVM(t)
	expect(t, vm, `local 语言 = 1 local t = {中文 = 2} é = 3 return 语言, t.中文, é`, "1 2 3")
}
