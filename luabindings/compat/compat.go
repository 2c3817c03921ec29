// Package compat supplies what OpenResty Lua code expects from LuaJIT and
// lua-nginx-module beyond the ngx request API: the bit module, LuaJIT's
// table extensions, the resty.core modules that are no-ops here, ngx.config,
// ngx.worker, ngx.process, ngx.get_phase, the ngx constants, ngx.null and
// the global-variable write guard.
package compat

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/goresty/goresty/luabindings"
)

// nullKey marks the registry slot holding a VM's ngx.null.
const nullKey = "goresty.ngx.null"

// nullValue is the userdata payload of ngx.null; IsNull checks for it so
// that a value from any VM is recognised.
type nullValue struct{}

// NullPayload is ngx.null's Value field. Bindings that build userdata must
// not use it.
var NullPayload any = &nullValue{}

// Null returns the VM's ngx.null: one userdata shared by every use in the
// VM (cjson.null and ngx.null compare equal to it). It is created on first
// use, so bindings installed before compat may call it too.
func Null(vm *luabindings.VM) *lua.LUserData { return NullOf(vm.L) }

// NullOf is Null for code that only has an LState (or a thread of it).
func NullOf(L *lua.LState) *lua.LUserData {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if ud, ok := reg.RawGetString(nullKey).(*lua.LUserData); ok {
		return ud
	}
	ud := L.NewUserData()
	ud.Value = NullPayload
	mt := L.NewTable()
	// tostring(ngx.null) is "userdata: NULL" in OpenResty (a NULL
	// lightuserdata).
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("userdata: NULL"))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	ud.Metatable = mt
	reg.RawSetString(nullKey, ud)
	return ud
}

// IsNull reports whether v is ngx.null.
func IsNull(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	return ok && ud.Value == NullPayload
}

func init() {
	luabindings.Register("compat", install)
}

func install(vm *luabindings.VM, ngx *lua.LTable) {
	ngx.RawSetString("null", Null(vm))
	installBit(vm)
	installTable(vm)
	installNgxConfig(vm, ngx)
	installConstants(ngx)
	installGlobalGuard(vm)
}
