package compat

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/goresty/goresty/luabindings"
)

// LuaJIT's table extensions (table.new, table.clear) and OpenResty's
// LuaJIT branch additions (table.nkeys, table.isempty, table.clone,
// table.isarray). Each is a field of the table library and also the
// value of require "table.<name>".

var tableFuncs = map[string]lua.LGFunction{
	"new": func(L *lua.LState) int {
		narr, nrec := int(L.CheckNumber(1)), int(L.CheckNumber(2))
		// Cap the preallocation: a huge hint must not take the worker's
		// memory (LuaJIT raises "table overflow" for absurd sizes).
		if narr < 0 || narr > 1<<20 {
			narr = 0
		}
		if nrec < 0 || nrec > 1<<20 {
			nrec = 0
		}
		L.Push(L.CreateTable(narr, nrec))
		return 1
	},
	"clear": func(L *lua.LState) int {
		L.CheckTable(1).Clear()
		return 0
	},
	"nkeys": func(L *lua.LState) int {
		L.Push(lua.LNumber(L.CheckTable(1).Count()))
		return 1
	},
	"isempty": func(L *lua.LState) int {
		L.Push(lua.LBool(L.CheckTable(1).IsEmpty()))
		return 1
	},
	"clone": func(L *lua.LState) int {
		L.Push(L.CheckTable(1).Clone())
		return 1
	},
	"isarray": func(L *lua.LState) int {
		L.Push(lua.LBool(L.CheckTable(1).IsArray()))
		return 1
	},
}

func installTable(vm *luabindings.VM) {
	L := vm.L
	tbl, ok := L.GetGlobal("table").(*lua.LTable)
	if !ok {
		return
	}
	for name, fn := range tableFuncs {
		f := L.NewFunction(fn)
		tbl.RawSetString(name, f)
		setLoaded(L, "table."+name, f)
	}
}
