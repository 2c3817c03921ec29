package resty

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"unsafe"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// resty.hmac (jkeys089/lua-resty-hmac, vendored by lua-resty-jwt):
// hmac:new(key, hmac.ALGOS.X), :update(s), :final([s [, hex]]), :reset().

type hmacObj struct {
	h   hash.Hash
	out [sha512.Size]byte
}

func init() {
	luabindings.RegisterModule("resty.hmac", loadHMAC)
}

func loadHMAC(_ *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString("0.02"))
	algos := L.NewTable()
	for _, a := range []struct {
		name string
		f    func() hash.Hash
	}{{"MD5", md5.New}, {"SHA1", sha1.New}, {"SHA224", sha256.New224}, {"SHA256", sha256.New},
		{"SHA384", sha512.New384}, {"SHA512", sha512.New}} {
		ud := L.NewUserData()
		ud.Value = &hashSpec{a.f}
		algos.RawSetString(a.name, ud)
	}
	m.RawSetString("ALGOS", algos)
	mt := L.NewTable()
	mt.RawSetString("__index", m)
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		key := L.CheckString(2)
		newH := md5.New
		if v := L.Get(3); v != lua.LNil {
			ud, ok := v.(*lua.LUserData)
			var hs *hashSpec
			if ok {
				hs, _ = ud.Value.(*hashSpec)
			}
			if hs == nil {
				L.Push(lua.LNil)
				return 1
			}
			newH = hs.newH
		}
		ud := L.NewUserData()
		ud.Value = &hmacObj{h: hmac.New(newH, []byte(key))}
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	m.RawSetString("update", L.NewFunction(func(L *lua.LState) int {
		o := checkHMAC(L)
		writeString(o.h, L.CheckString(2))
		L.Push(lua.LTrue)
		return 1
	}))
	m.RawSetString("final", L.NewFunction(func(L *lua.LState) int {
		o := checkHMAC(L)
		if v := L.Get(2); v != lua.LNil {
			writeString(o.h, L.CheckString(2))
		}
		sum := o.h.Sum(o.out[:0])
		if L.Get(3) == lua.LTrue {
			L.Push(lua.LString(toHex(string(sum))))
		} else {
			L.Push(lua.LString(sum))
		}
		return 1
	}))
	m.RawSetString("reset", L.NewFunction(func(L *lua.LState) int {
		checkHMAC(L).h.Reset()
		L.Push(lua.LTrue)
		return 1
	}))
	return m
}

func writeString(h hash.Hash, s string) {
	if len(s) > 0 {
		h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
	}
}

func checkHMAC(L *lua.LState) *hmacObj {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if o, ok := ud.Value.(*hmacObj); ok {
			return o
		}
	}
	L.RaiseError("bad argument #1 self: hmac object expected, got %s", L.Get(1).Type().String())
	return nil
}
