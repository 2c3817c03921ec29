// Package restylimit implements lua-resty-limit-traffic's modules as
// built-ins on the shared dict Go API: require "resty.limit.req",
// "resty.limit.conn" and "resty.limit.count" (one file each). The objects
// are tables with the library's fields (dict, rate, burst, ...) and its
// methods, its return values and error strings.
package restylimit

import (
	"github.com/goresty/goresty/luabindings/shdict"
	lua "github.com/yuin/gopher-lua"
)

// newObject makes the object of a limiter: a table whose metatable's
// __index is the module, with dict = ngx.shared[name]; nil, "shared dict
// not found" when there is no such dict.
func newObject(L *lua.LState, mod *lua.LTable, name lua.LValue) (*lua.LTable, bool) {
	var dict lua.LValue = lua.LNil
	if ngx := L.GetGlobal("ngx"); ngx != lua.LNil {
		if shared := L.GetField(ngx, "shared"); shared != lua.LNil {
			dict = L.GetField(shared, lua.LVAsString(name))
		}
	}
	if zoneOf(dict) == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("shared dict not found"))
		return nil, false
	}
	self := L.CreateTable(0, 4)
	self.RawSetString("dict", dict)
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__index", mod)
	L.SetMetatable(self, mt)
	return self, true
}

// zoneOf is the zone of an ngx.shared.DICT object: a table holding the
// zone's userdata at [1], as lua-nginx-module makes it.
func zoneOf(v lua.LValue) *shdict.Zone {
	if t, ok := v.(*lua.LTable); ok {
		v = t.RawGetInt(1)
	}
	if ud, ok := v.(*lua.LUserData); ok {
		if z, ok := ud.Value.(*shdict.Zone); ok {
			return z
		}
	}
	return nil
}

// selfZone is the object (argument 1) and its dict's zone.
func selfZone(L *lua.LState) (*lua.LTable, *shdict.Zone) {
	self := L.CheckTable(1)
	z := zoneOf(self.RawGetString("dict"))
	if z == nil {
		L.RaiseError("attempt to index field 'dict' (a nil value)")
	}
	return self, z
}

func field(self *lua.LTable, name string) float64 {
	return float64(lua.LVAsNumber(self.RawGetString(name)))
}

// checkNumber is what the library's arithmetic on an argument needs.
func checkNumber(L *lua.LState, n int) float64 {
	v := L.Get(n)
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		if f, ok := lua.ParseNumber(string(x)); ok {
			return f
		}
	}
	L.RaiseError("attempt to perform arithmetic on local (a %s value)", v.Type().String())
	return 0
}

// key is a shared dict key argument as resty.core's shdict takes it.
func key(L *lua.LState, n int) string {
	v := L.Get(n)
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return L.ToStringMeta(v).String()
}

func fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// getNumber is dict:get(key) as a number (nil when missing).
func getNumber(z *shdict.Zone, k string) (float64, bool, error) {
	v, _, _, err := z.Get(k, false)
	if err != nil {
		return 0, false, err
	}
	if v.Type == shdict.TNil {
		return 0, false, nil
	}
	return v.Num, true, nil
}

// incr is dict:incr(key, delta[, init[, init_ttl]]) with its results.
func incr(z *shdict.Zone, k string, delta float64, hasInit bool, init float64, ttl int64) (float64, error) {
	v, _, err := z.Incr(k, delta, hasInit, init, ttl)
	return v, err
}
