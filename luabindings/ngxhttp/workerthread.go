package ngxhttp

import (
	"strconv"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/compat"
	lua "github.com/yuin/gopher-lua"
)

// ngx.run_worker_thread(pool, module, func, ...) as lua-nginx-module's
// ngx_http_lua_worker_thread.c: func of require(module) runs in a Lua
// state of its own (from the worker's pool of lua_worker_thread_vm_pool_size
// states) on a thread of the named thread_pool, while the calling
// coroutine waits with the worker free. Arguments and results are copied
// between the states: nil, booleans, numbers, strings and tables of them
// only. The task's state has a reduced ngx table: the string helpers,
// ngx.config and ngx.shared.

// ThreadPoolsKey is the vm.Services key for the configuration's
// thread_pool blocks, a map[string]*luabindings.ThreadPool.
const ThreadPoolsKey = "thread.pools"

// WorkerThreadVMsKey is the vm.Services key for lua_worker_thread_vm_pool_size (an int).
const WorkerThreadVMsKey = "worker_thread.vm_pool_size"

// DefaultWorkerThreadVMs is lua_worker_thread_vm_pool_size's default.
const DefaultWorkerThreadVMs = 10

const threadVMPoolKey = "worker_thread.vms"

// copyMaxDepth is LUA_COPY_MAX_DEPTH: deeper tables are taken for
// circular references.
const copyMaxDepth = 100

// threadNgxFields are the ngx functions and tables of a task's state
// (the string API, resty.core.hash and base64, config, shared dicts).
var threadNgxFields = []string{"encode_args", "decode_args", "quote_sql_str", "hmac_sha1",
	"md5", "md5_bin", "sha1_bin", "crc32_short", "crc32_long",
	"encode_base64", "decode_base64", "decode_base64mime", "config", "shared"}

var workerThreadPhases = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite,
	luabindings.PhaseAccess, luabindings.PhaseContent, luabindings.PhaseTimer}

func init() {
	luabindings.Register("ngx.worker_thread", func(vm *luabindings.VM, ngx *lua.LTable) {
		ngx.RawSetString("run_worker_thread", vm.L.NewFunction(func(L *lua.LState) int {
			return runWorkerThread(vm, L)
		}))
	})
}

func fail(L *lua.LState, msg string) int {
	L.Push(lua.LFalse)
	L.Push(lua.LString(msg))
	return 2
}

func runWorkerThread(vm *luabindings.VM, L *lua.LState) int {
	vm.CheckPhase(L, workerThreadPhases...)
	n := L.GetTop()
	if n < 3 {
		return fail(L, "expecting at least 3 arguments")
	}
	poolName, ok := luaString(L.Get(1))
	if !ok {
		return fail(L, "threadpool should be a string")
	}
	pools, _ := vm.Services[ThreadPoolsKey].(map[string]*luabindings.ThreadPool)
	pool := pools[poolName]
	if pool == nil {
		return fail(L, "thread pool "+poolName+" not found")
	}
	mod, ok := luaString(L.Get(2))
	if !ok {
		return fail(L, "module name should be a string")
	}
	fname, ok := luaString(L.Get(3))
	if !ok {
		return fail(L, "function name should be a string")
	}
	vms := threadVMs(vm)
	tvm := vms.Get(func() *luabindings.VM { return newThreadVM(vm) })
	if tvm == nil {
		return fail(L, "no available Lua vm")
	}
	T := tvm.L
	// the module is loaded and the arguments copied on the caller's
	// side, as upstream does before posting the task
	if err := T.CallByParam(lua.P{Fn: T.GetGlobal("require"), NRet: 1, Protect: true}, lua.LString(mod)); err != nil {
		vms.Put(tvm)
		return fail(L, errValue(err))
	}
	tbl, ok := T.Get(-1).(*lua.LTable)
	if !ok {
		vms.Put(tvm)
		return fail(L, "invalid lua module")
	}
	fn, ok := tbl.RawGetString(fname).(*lua.LFunction)
	if !ok {
		// lua_getfield honours __index
		fn, ok = T.GetField(tbl, fname).(*lua.LFunction)
	}
	if !ok {
		vms.Put(tvm)
		return fail(L, "invalid function")
	}
	T.SetTop(0)
	T.Push(fn)
	for i := 4; i <= n; i++ {
		v, msg := xcopy(T, L.Get(i), true, 1)
		if msg != "" {
			vms.Put(tvm)
			return fail(L, msg+" in the argument")
		}
		T.Push(v)
	}
	done := make(chan error, 1)
	if waiting, ok := pool.Post(func() { done <- T.PCall(n-3, lua.MultRet, nil) }); !ok {
		vm.Log(luabindings.LogErr, "thread pool \""+pool.Name+"\" queue overflow: "+
			strconv.FormatInt(waiting, 10)+" tasks waiting")
		vms.Put(tvm)
		return fail(L, "ngx_thread_task_post failed")
	}
	// the state goes back to the pool once the task ended, also when the
	// waiting coroutine was killed or its request ended meanwhile
	defer vms.Put(tvm)
	var err error
	vm.Unlocked(func() { err = <-done })
	if err != nil {
		return fail(L, errValue(err))
	}
	nres := T.GetTop()
	rets := make([]lua.LValue, 0, nres+1)
	rets = append(rets, lua.LTrue)
	for i := 1; i <= nres; i++ {
		v, msg := xcopy(L, T.Get(i), true, 1)
		if msg != "" {
			return fail(L, msg+" in the return value")
		}
		rets = append(rets, v)
	}
	for _, v := range rets {
		L.Push(v)
	}
	return len(rets)
}

// luaString is lua_tolstring: strings, and numbers as strings.
func luaString(v lua.LValue) (string, bool) {
	switch s := v.(type) {
	case lua.LString:
		return string(s), true
	case lua.LNumber:
		return s.String(), true
	}
	return "", false
}

// errValue is the error object of a failed call in the task's state, as
// a string.
func errValue(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		return ae.Object.String()
	}
	return err.Error()
}

// xcopy is ngx_http_lua_xcopy: v as a value of another Lua state, or the
// reason it cannot be. Strings are immutable and shared; tables are
// copied deeply.
func xcopy(to *lua.LState, v lua.LValue, allowNil bool, depth int) (lua.LValue, string) {
	switch x := v.(type) {
	case lua.LBool, lua.LNumber, lua.LString:
		return v, ""
	case *lua.LNilType:
		if allowNil {
			return lua.LNil, ""
		}
		return nil, "unsupported Lua type: LUA_TNIL"
	case *lua.LTable:
		if depth >= copyMaxDepth {
			return nil, "suspicious circular references, table depth exceed max depth: " + strconv.Itoa(copyMaxDepth)
		}
		t := to.NewTable()
		var msg string
		key, val := x.Next(lua.LNil)
		for key != lua.LNil {
			k, m := xcopy(to, key, false, depth+1)
			if m != "" {
				msg = m
				break
			}
			nv, m := xcopy(to, val, false, depth+1)
			if m != "" {
				msg = m
				break
			}
			t.RawSet(k, nv)
			key, val = x.Next(key)
		}
		if msg != "" {
			return nil, msg
		}
		return t, ""
	case *lua.LFunction:
		return nil, "unsupported Lua type: LUA_TFUNCTION"
	case *lua.LUserData:
		if x.Value == compat.NullPayload {
			// ngx.null is a light userdata (NULL) upstream: the same
			// value in every state
			return compat.NullOf(to), ""
		}
		return nil, "unsupported Lua type: LUA_TUSERDATA"
	case *lua.LState:
		return nil, "unsupported Lua type: LUA_TTHREAD"
	}
	return nil, "unsupported Lua type"
}

func threadVMs(vm *luabindings.VM) *luabindings.ThreadVMPool {
	p, _ := vm.Services[threadVMPoolKey].(*luabindings.ThreadVMPool)
	if p == nil {
		size, ok := vm.Services[WorkerThreadVMsKey].(int)
		if !ok {
			size = DefaultWorkerThreadVMs
		}
		p = luabindings.NewThreadVMPool(size)
		vm.Services[threadVMPoolKey] = p
	}
	return p
}

// newThreadVM makes a task state: the caller's package.path and cpath,
// and the reduced ngx table.
func newThreadVM(owner *luabindings.VM) *luabindings.VM {
	tvm := luabindings.NewVM(0, 1, owner.Prefix, nil)
	T := tvm.L
	full := tvm.Ngx()
	ngx := T.NewTable()
	for _, name := range threadNgxFields {
		if v := full.RawGetString(name); v != lua.LNil {
			ngx.RawSetString(name, v)
		}
	}
	T.SetGlobal("ngx", ngx)
	pkg, _ := T.GetGlobal("package").(*lua.LTable)
	if pkg != nil {
		if loaded, ok := pkg.RawGetString("loaded").(*lua.LTable); ok {
			loaded.RawSetString("ngx", ngx)
		}
		if opkg, ok := owner.L.GetGlobal("package").(*lua.LTable); ok {
			pkg.RawSetString("path", opkg.RawGetString("path"))
			pkg.RawSetString("cpath", opkg.RawGetString("cpath"))
		}
	}
	return tvm
}
