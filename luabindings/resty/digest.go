package resty

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"unsafe"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// The digest objects of resty.md5 and resty.sha*: new() gives an object
// with update/final/reset. Objects are userdata around a Go hash.Hash so
// that the per-request new/update/final path allocates only the hash
// state and the result string.

type digestKind struct {
	module string
	size   int
	newH   func() hash.Hash
}

var digestKinds = []digestKind{
	{"resty.md5", md5.Size, md5.New},
	{"resty.sha1", sha1.Size, sha1.New},
	{"resty.sha224", sha256.Size224, sha256.New224},
	{"resty.sha256", sha256.Size, sha256.New},
	{"resty.sha384", sha512.Size384, sha512.New384},
	{"resty.sha512", sha512.Size, sha512.New},
}

type digestObj struct {
	h   hash.Hash
	out [sha512.Size]byte
}

func init() {
	for i := range digestKinds {
		k := &digestKinds[i]
		luabindings.RegisterModule(k.module, func(_ *luabindings.VM, L *lua.LState) lua.LValue {
			return loadDigest(L, k)
		})
	}
	// resty.sha only declared shared FFI types; it has no Lua API.
	luabindings.RegisterModule("resty.sha", func(_ *luabindings.VM, L *lua.LState) lua.LValue {
		m := L.NewTable()
		m.RawSetString("_VERSION", lua.LString(restyStringVersion))
		return m
	})
}

func loadDigest(L *lua.LState, k *digestKind) lua.LValue {
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString(restyStringVersion))
	mt := L.NewTable()
	mt.RawSetString("__index", m)
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		ud := L.NewUserData()
		ud.Value = &digestObj{h: k.newH()}
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	m.RawSetString("update", L.NewFunction(digestUpdate))
	m.RawSetString("final", L.NewFunction(digestFinal))
	m.RawSetString("reset", L.NewFunction(digestReset))
	return m
}

func checkDigest(L *lua.LState) *digestObj {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if d, ok := ud.Value.(*digestObj); ok {
			return d
		}
	}
	L.RaiseError("bad argument #1 self: digest object expected, got %s", L.Get(1).Type().String())
	return nil
}

// digestUpdate(self, s [, len]): len (md5 only upstream) hashes a prefix.
func digestUpdate(L *lua.LState) int {
	d := checkDigest(L)
	s := L.CheckString(2)
	if n, ok := L.Get(3).(lua.LNumber); ok && int(n) >= 0 && int(n) < len(s) {
		s = s[:int(n)]
	}
	if len(s) > 0 {
		// hash.Hash never retains or modifies its input: no copy needed.
		d.h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
	}
	L.Push(lua.LTrue)
	return 1
}

func digestFinal(L *lua.LState) int {
	d := checkDigest(L)
	sum := d.h.Sum(d.out[:0])
	L.PushString(string(sum)) // boxed in the state's block
	return 1
}

func digestReset(L *lua.LState) int {
	d := checkDigest(L)
	d.h.Reset()
	L.Push(lua.LTrue)
	return 1
}
