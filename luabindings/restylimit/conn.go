package restylimit

import (
	"math"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// resty.limit.conn: concurrent requests per key, counted with incr.

func init() {
	luabindings.RegisterModule("resty.limit.conn", newConnModule)
}

func newConnModule(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.CreateTable(0, 8)
	m.RawSetString("_VERSION", lua.LString("0.09"))
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		max, burst, delay := checkNumber(L, 2), checkNumber(L, 3), checkNumber(L, 4)
		self, ok := newObject(L, m, L.Get(1))
		if !ok {
			return 2
		}
		if !(max > 0 && burst >= 0 && delay > 0) {
			L.RaiseError("assertion failed!")
		}
		self.RawSetString("max", lua.LNumber(max))
		self.RawSetString("burst", lua.LNumber(burst))
		self.RawSetString("unit_delay", lua.LNumber(delay))
		L.Push(self)
		return 1
	}))
	m.RawSetString("incoming", L.NewFunction(connIncoming))
	m.RawSetString("is_committed", L.NewFunction(func(L *lua.LState) int {
		L.Push(L.CheckTable(1).RawGetString("committed"))
		return 1
	}))
	m.RawSetString("leaving", L.NewFunction(connLeaving))
	m.RawSetString("uncommit", L.NewFunction(func(L *lua.LState) int {
		_, z := selfZone(L)
		if L.Get(2) == lua.LNil {
			L.RaiseError("assertion failed!")
		}
		v, err := incr(z, key(L, 2), -1, false, 0, 0)
		if err != nil {
			return fail(L, err.Error())
		}
		L.Push(lua.LNumber(v))
		return 1
	}))
	m.RawSetString("set_conn", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1).RawSetString("max", lua.LNumber(checkNumber(L, 2)))
		return 0
	}))
	m.RawSetString("set_burst", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1).RawSetString("burst", lua.LNumber(checkNumber(L, 2)))
		return 0
	}))
	return m
}

func connIncoming(L *lua.LState) int {
	self, z := selfZone(L)
	k := key(L, 2)
	commit := lua.LVAsBool(L.Get(3))
	max, burst := field(self, "max"), field(self, "burst")
	self.RawSetString("committed", lua.LFalse)
	var conn float64
	if commit {
		v, err := incr(z, k, 1, true, 0, 0)
		if err != nil {
			return fail(L, err.Error())
		}
		conn = v
		if conn > max+burst {
			if _, err := incr(z, k, -1, false, 0, 0); err != nil {
				return fail(L, err.Error())
			}
			return fail(L, "rejected")
		}
		self.RawSetString("committed", lua.LTrue)
	} else {
		v, _, err := getNumber(z, k)
		if err != nil {
			return fail(L, err.Error())
		}
		conn = v + 1
		if conn > max+burst {
			return fail(L, "rejected")
		}
	}
	if conn > max {
		L.Push(lua.LNumber(field(self, "unit_delay") * math.Floor((conn-1)/max)))
		L.Push(lua.LNumber(conn))
		return 2
	}
	L.Push(lua.LNumber(0))
	L.Push(lua.LNumber(conn))
	return 2
}

func connLeaving(L *lua.LState) int {
	self, z := selfZone(L)
	if L.Get(2) == lua.LNil {
		L.RaiseError("assertion failed!")
	}
	v, err := incr(z, key(L, 2), -1, false, 0, 0)
	if err != nil {
		return fail(L, err.Error())
	}
	if lat := L.Get(3); lat != lua.LNil && lat != lua.LFalse {
		self.RawSetString("unit_delay", lua.LNumber((checkNumber(L, 3)+field(self, "unit_delay"))/2))
	}
	L.Push(lua.LNumber(v))
	return 1
}
