package restylimit

import (
	"encoding/binary"
	"math"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/shdict"
	lua "github.com/yuin/gopher-lua"
)

// resty.limit.req: a leaky bucket per key, kept in the dict as the
// library's 16-byte record (unsigned long excess in 1/1000 requests,
// uint64 last in milliseconds, little-endian).

func init() {
	luabindings.RegisterModule("resty.limit.req", newReqModule)
}

const recSize = 16

func newReqModule(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.CreateTable(0, 6)
	m.RawSetString("_VERSION", lua.LString("0.09"))
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		rate, burst := checkNumber(L, 2), checkNumber(L, 3)
		self, ok := newObject(L, m, L.Get(1))
		if !ok {
			return 2
		}
		if !(rate > 0 && burst >= 0) {
			L.RaiseError("assertion failed!")
		}
		self.RawSetString("rate", lua.LNumber(rate*1000))
		self.RawSetString("burst", lua.LNumber(burst*1000))
		L.Push(self)
		return 1
	}))
	m.RawSetString("incoming", L.NewFunction(reqIncoming))
	m.RawSetString("uncommit", L.NewFunction(reqUncommit))
	m.RawSetString("set_rate", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1).RawSetString("rate", lua.LNumber(checkNumber(L, 2)*1000))
		return 0
	}))
	m.RawSetString("set_burst", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1).RawSetString("burst", lua.LNumber(checkNumber(L, 2)*1000))
		return 0
	}))
	return m
}

// readRec is the record of key: ok false when missing; errAbused when
// the value is not a record.
func readRec(z *shdict.Zone, k string) (excess, last uint64, ok bool, abused bool) {
	v, _, _, err := z.Get(k, false)
	if err != nil {
		return 0, 0, false, true
	}
	if v.Type == shdict.TNil {
		return 0, 0, false, false
	}
	if v.Type != shdict.TString || len(v.Str) != recSize {
		return 0, 0, false, true
	}
	b := []byte(v.Str)
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), true, false
}

// toUlong is the FFI's conversion of a Lua number to an unsigned long
// field: truncation.
func toUlong(f float64) uint64 {
	if f <= 0 || math.IsNaN(f) {
		return 0
	}
	return uint64(f)
}

func writeRec(z *shdict.Zone, k string, excess, last uint64) {
	var b [recSize]byte
	binary.LittleEndian.PutUint64(b[:], excess)
	binary.LittleEndian.PutUint64(b[8:], last)
	z.Store(shdict.OpSet, k, shdict.Value{Type: shdict.TString, Str: string(b[:])}, 0, 0)
}

// now is ngx.now() * 1000.
func now(L *lua.LState) float64 {
	if ngx := L.GetGlobal("ngx"); ngx != lua.LNil {
		if f, ok := L.GetField(ngx, "now").(*lua.LFunction); ok {
			L.Push(f)
			L.Call(0, 1)
			n := L.Get(-1)
			L.Pop(1)
			return float64(lua.LVAsNumber(n)) * 1000
		}
	}
	return 0
}

func reqIncoming(L *lua.LState) int {
	self, z := selfZone(L)
	k := key(L, 2)
	commit := lua.LVAsBool(L.Get(3))
	rate := field(self, "rate")
	t := now(L)
	excess := 0.0
	e, last, ok, abused := readRec(z, k)
	if abused {
		return fail(L, "shdict abused by other users")
	}
	if ok {
		elapsed := t - float64(last)
		excess = math.Max(float64(e)-rate*math.Abs(elapsed)/1000+1000, 0)
		if excess > field(self, "burst") {
			return fail(L, "rejected")
		}
	}
	if commit {
		writeRec(z, k, toUlong(excess), toUlong(t))
	}
	L.Push(lua.LNumber(excess / rate))
	L.Push(lua.LNumber(excess / 1000))
	return 2
}

func reqUncommit(L *lua.LState) int {
	_, z := selfZone(L)
	if L.Get(2) == lua.LNil {
		L.RaiseError("assertion failed!")
	}
	k := key(L, 2)
	e, last, ok, abused := readRec(z, k)
	if abused {
		return fail(L, "shdict abused by other users")
	}
	if !ok {
		return fail(L, "not found")
	}
	writeRec(z, k, toUlong(math.Max(float64(e)-1000, 0)), last)
	L.Push(lua.LTrue)
	return 1
}
