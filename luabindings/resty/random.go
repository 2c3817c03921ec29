package resty

import (
	"crypto/rand"
	"math"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.RegisterModule("resty.random", func(_ *luabindings.VM, L *lua.LState) lua.LValue {
		m := L.NewTable()
		m.RawSetString("_VERSION", lua.LString(restyStringVersion))
		m.RawSetString("bytes", L.NewFunction(randomBytes))
		return m
	})
}

// maxRandomBytes bounds one call; LuaJIT's ffi.new fails far above this.
const maxRandomBytes = 1 << 30

// randomBytes(len, strong): both strengths come from crypto/rand (the
// RAND_pseudo_bytes path is just as strong here). A negative or huge
// length gives nil where ffi.new would raise.
func randomBytes(L *lua.LState) int {
	n := float64(L.CheckNumber(1))
	if math.IsNaN(n) || n < 0 || n > maxRandomBytes {
		L.Push(lua.LNil)
		return 1
	}
	buf := make([]byte, int(n))
	if _, err := rand.Read(buf); err != nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(buf))
	return 1
}
