package compat

import (
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/goresty/goresty/luabindings"
)

// Versions reported through ngx.config, matching the reference
// (nginx 1.22.1, lua-nginx-module 0.10.23, lua-resty-core 0.1.25).
const (
	NginxVersion  = 1022001
	NgxLuaVersion = 10023
	RestyCoreVer  = "0.1.25"
)

// ServiceProcessType names the vm.Services entry (a string) that overrides
// what ngx.process.type() returns ("worker" by default; nginx says
// "single" with master_process off).
const ServiceProcessType = "ngx.process.type"

// ServiceGracefulExit names the vm.Services entry (a func()) that
// ngx.process.signal_graceful_exit() calls.
const ServiceGracefulExit = "ngx.process.signal_graceful_exit"

func subTable(L *lua.LState, parent *lua.LTable, name string) *lua.LTable {
	if t, ok := parent.RawGetString(name).(*lua.LTable); ok {
		return t
	}
	t := L.NewTable()
	parent.RawSetString(name, t)
	return t
}

func installNgxConfig(vm *luabindings.VM, ngx *lua.LTable) {
	L := vm.L
	cfg := subTable(L, ngx, "config")
	cfg.RawSetString("subsystem", lua.LString("http"))
	cfg.RawSetString("debug", lua.LFalse)
	cfg.RawSetString("is_console", lua.LFalse)
	cfg.RawSetString("ngx_lua_version", lua.LNumber(NgxLuaVersion))
	cfg.RawSetString("nginx_version", lua.LNumber(NginxVersion))
	cfg.RawSetString("prefix", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(prefixDir(vm.Prefix)))
		return 1
	}))
	cfg.RawSetString("nginx_configure", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(" --prefix=" + strings.TrimSuffix(prefixDir(vm.Prefix), "/") +
			" --with-http_ssl_module --with-http_realip_module --with-http_v2_module" +
			" --with-http_stub_status_module --with-pcre-jit --with-threads"))
		return 1
	}))

	w := subTable(L, ngx, "worker")
	w.RawSetString("id", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(vm.Worker))
		return 1
	}))
	w.RawSetString("count", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(vm.WorkerCount))
		return 1
	}))
	w.RawSetString("pid", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(os.Getpid()))
		return 1
	}))
	w.RawSetString("exiting", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(vm.Exiting != nil && vm.Exiting()))
		return 1
	}))

	ngx.RawSetString("get_phase", L.NewFunction(func(L *lua.LState) int {
		name := "init"
		if c := vm.Current(); c != nil {
			name = c.Phase.String()
		}
		L.Push(lua.LString(name))
		return 1
	}))
}

// prefixDir is the prefix as nginx reports it: with a trailing slash.
func prefixDir(p string) string {
	if p == "" || !strings.HasSuffix(p, "/") {
		return p + "/"
	}
	return p
}

func loadProcess(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("version", lua.LString(RestyCoreVer))
	m.RawSetString("type", L.NewFunction(func(L *lua.LState) int {
		t := "worker"
		if s, ok := vm.Services[ServiceProcessType].(string); ok && s != "" {
			t = s
		}
		L.Push(lua.LString(t))
		return 1
	}))
	// goresty is one process: the master is the process itself.
	m.RawSetString("get_master_pid", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(os.Getpid()))
		return 1
	}))
	m.RawSetString("enable_privileged_agent", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNil)
		L.Push(lua.LString("privileged agent not supported"))
		return 2
	}))
	m.RawSetString("signal_graceful_exit", L.NewFunction(func(L *lua.LState) int {
		if f, ok := vm.Services[ServiceGracefulExit].(func()); ok {
			f()
		}
		return 0
	}))
	return m
}

// resty.core modules: lua-nginx-module loads resty.core at startup and
// applications require its parts; here the APIs are built in, so these
// modules only carry their version (and the few helpers libraries use).
var restyCoreModules = []string{
	"resty.core", "resty.core.regex", "resty.core.shdict", "resty.core.var",
	"resty.core.worker", "resty.core.phase", "resty.core.uri", "resty.core.hash",
	"resty.core.base64", "resty.core.request", "resty.core.response", "resty.core.exit",
	"resty.core.misc", "resty.core.ndk", "resty.core.socket", "resty.core.coroutine",
	"resty.core.param", "resty.core.utils", "resty.core.ctx", "resty.core.time",
}

var processStart = time.Now()

func loadRestyCore(name string) luabindings.ModuleLoader {
	return func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		m := L.NewTable()
		m.RawSetString("version", lua.LString(RestyCoreVer))
		switch name {
		case "resty.core.time":
			m.RawSetString("monotonic_msec", L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LNumber(time.Since(processStart).Milliseconds()))
				return 1
			}))
			m.RawSetString("monotonic_time", L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LNumber(float64(time.Since(processStart).Microseconds()) / 1e6))
				return 1
			}))
		case "resty.core.ctx":
			m.RawSetString("get_ctx_table", L.NewFunction(func(L *lua.LState) int {
				L.Push(L.GetField(L.GetGlobal("ngx"), "ctx"))
				return 1
			}))
		}
		return m
	}
}

// The FFI status codes resty.core.base exports.
var ffiCodes = map[string]int{
	"FFI_OK": 0, "FFI_ERROR": -1, "FFI_AGAIN": -2, "FFI_BUSY": -3, "FFI_DONE": -4,
	"FFI_DECLINED": -5, "FFI_NO_REQ_CTX": -100, "FFI_BAD_CONTEXT": -101,
}

func loadRestyCoreBase(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("version", lua.LString(RestyCoreVer))
	for k, v := range ffiCodes {
		m.RawSetString(k, lua.LNumber(v))
	}
	tbl := L.GetGlobal("table")
	m.RawSetString("new_tab", L.GetField(tbl, "new"))
	m.RawSetString("clear_tab", L.GetField(tbl, "clear"))
	// get_request returns a non-nil handle inside a request and nil
	// elsewhere; libraries only test it for "no request found".
	req := L.NewUserData()
	req.Value = "request"
	m.RawSetString("get_request", L.NewFunction(func(L *lua.LState) int {
		if c := vm.Current(); c != nil && c.Req != nil {
			L.Push(req)
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	m.RawSetString("allows_subsystem", L.NewFunction(func(L *lua.LState) int {
		for i, n := 1, L.GetTop(); i <= n; i++ {
			if L.CheckString(i) == "http" {
				L.Push(lua.LTrue)
				return 1
			}
		}
		L.Push(lua.LFalse)
		return 1
	}))
	return m
}

func init() {
	luabindings.RegisterModule("ngx.process", loadProcess)
	luabindings.RegisterModule("resty.core.base", loadRestyCoreBase)
	for _, name := range restyCoreModules {
		luabindings.RegisterModule(name, loadRestyCore(name))
	}
}
