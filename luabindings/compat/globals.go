package compat

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/goresty/goresty/luabindings"
)

// The _G write guard of lua-nginx-module 0.10.16+: creating a global from
// request-handling code logs a warning (the global is still created and
// persists across requests). Only __newindex is set, so reads and writes
// of existing globals stay on the fast path.

const guardMsgPrefix = "[lua] _G write guard:12: __newindex(): writing a global Lua variable ('"
const guardMsgSuffix = "') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables"

// warnPhase reports whether creating a global in phase p is warned about;
// init, init_worker and timers are not.
func warnPhase(p luabindings.Phase) bool {
	switch p {
	case luabindings.PhaseInit, luabindings.PhaseInitWorker, luabindings.PhaseTimer:
		return false
	}
	return true
}

func installGlobalGuard(vm *luabindings.VM) {
	L := vm.L
	g := L.Get(lua.GlobalsIndex).(*lua.LTable)
	var traceback lua.LValue = lua.LNil
	if dbg, ok := L.GetGlobal("debug").(*lua.LTable); ok {
		traceback = dbg.RawGetString("traceback")
	}
	mt := L.NewTable()
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		k, v := L.Get(2), L.Get(3)
		t.RawSet(k, v)
		c := vm.Current()
		if c == nil || !warnPhase(c.Phase) {
			return 0
		}
		msg := guardMsgPrefix + L.ToStringMeta(k).String() + guardMsgSuffix
		if fn, ok := traceback.(*lua.LFunction); ok {
			if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, lua.LString(""), lua.LNumber(2)); err == nil {
				msg += L.Get(-1).String()
				L.Pop(1)
			}
		}
		vm.Log(luabindings.LogWarn, msg)
		return 0
	}))
	L.SetMetatable(g, mt)
}
