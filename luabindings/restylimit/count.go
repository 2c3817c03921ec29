package restylimit

import (
	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/shdict"
	lua "github.com/yuin/gopher-lua"
)

// resty.limit.count: a fixed window of requests per key, counted down
// with incr (init = limit, init_ttl = window).

func init() {
	luabindings.RegisterModule("resty.limit.count", newCountModule)
}

func newCountModule(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.CreateTable(0, 4)
	m.RawSetString("_VERSION", lua.LString("0.09"))
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		limit, window := checkNumber(L, 2), checkNumber(L, 3)
		self, ok := newObject(L, m, L.Get(1))
		if !ok {
			return 2
		}
		if !(limit > 0 && window > 0) {
			L.RaiseError("assertion failed!")
		}
		self.RawSetString("limit", lua.LNumber(limit))
		self.RawSetString("window", lua.LNumber(window))
		L.Push(self)
		return 1
	}))
	m.RawSetString("incoming", L.NewFunction(countIncoming))
	m.RawSetString("uncommit", L.NewFunction(countUncommit))
	return m
}

func countIncoming(L *lua.LState) int {
	self, z := selfZone(L)
	k := key(L, 2)
	limit, window := field(self, "limit"), field(self, "window")
	var remaining float64
	if lua.LVAsBool(L.Get(3)) {
		v, err := incr(z, k, -1, true, limit, int64(window*1000))
		if err != nil {
			return fail(L, err.Error())
		}
		remaining = v
	} else {
		v, ok, err := getNumber(z, k)
		if err != nil {
			return fail(L, err.Error())
		}
		if !ok {
			v = limit
		}
		remaining = v - 1
	}
	if remaining < 0 {
		return fail(L, "rejected")
	}
	L.Push(lua.LNumber(0))
	L.Push(lua.LNumber(remaining))
	return 2
}

func countUncommit(L *lua.LState) int {
	self, z := selfZone(L)
	if L.Get(2) == lua.LNil {
		L.RaiseError("assertion failed!")
	}
	v, err := incr(z, key(L, 2), 1, false, 0, 0)
	if err == shdict.ErrNotFound {
		v, err = field(self, "limit"), nil
	}
	if err != nil {
		return fail(L, err.Error())
	}
	L.Push(lua.LNumber(v))
	return 1
}
