package compat

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"

	"github.com/goresty/goresty/luabindings"
)

// LuaJIT's BitOp: every operation works on 32-bit integers and returns a
// signed 32-bit result.

// ToBit normalises a Lua number to a signed 32-bit integer exactly as
// LuaJIT's bit.tobit: adding 2^52+2^51 rounds to an integer (ties to
// even) and the low 32 bits of the double are the result, so values
// beyond 2^51 and non-finite ones wrap the way LuaJIT's do.
func ToBit(n float64) int32 {
	return int32(uint32(math.Float64bits(n + 6755399441055744.0)))
}

func checkBit(L *lua.LState, i int) int32 {
	return ToBit(float64(L.CheckNumber(i)))
}

func pushBit(L *lua.LState, v int32) int {
	L.Push(lua.LNumber(v))
	return 1
}

var bitFuncs = map[string]lua.LGFunction{
	"tobit": func(L *lua.LState) int { return pushBit(L, checkBit(L, 1)) },
	"bnot":  func(L *lua.LState) int { return pushBit(L, ^checkBit(L, 1)) },
	"band": func(L *lua.LState) int {
		v := checkBit(L, 1)
		for i, n := 2, L.GetTop(); i <= n; i++ {
			v &= checkBit(L, i)
		}
		return pushBit(L, v)
	},
	"bor": func(L *lua.LState) int {
		v := checkBit(L, 1)
		for i, n := 2, L.GetTop(); i <= n; i++ {
			v |= checkBit(L, i)
		}
		return pushBit(L, v)
	},
	"bxor": func(L *lua.LState) int {
		v := checkBit(L, 1)
		for i, n := 2, L.GetTop(); i <= n; i++ {
			v ^= checkBit(L, i)
		}
		return pushBit(L, v)
	},
	"lshift": func(L *lua.LState) int {
		v, n := checkBit(L, 1), uint32(checkBit(L, 2))&31
		return pushBit(L, int32(uint32(v)<<n))
	},
	"rshift": func(L *lua.LState) int {
		v, n := checkBit(L, 1), uint32(checkBit(L, 2))&31
		return pushBit(L, int32(uint32(v)>>n))
	},
	"arshift": func(L *lua.LState) int {
		v, n := checkBit(L, 1), uint32(checkBit(L, 2))&31
		return pushBit(L, v>>n)
	},
	"rol": func(L *lua.LState) int {
		v, n := checkBit(L, 1), checkBit(L, 2)
		return pushBit(L, int32(bits.RotateLeft32(uint32(v), int(n&31))))
	},
	"ror": func(L *lua.LState) int {
		v, n := checkBit(L, 1), checkBit(L, 2)
		return pushBit(L, int32(bits.RotateLeft32(uint32(v), -int(n&31))))
	},
	"bswap": func(L *lua.LState) int {
		return pushBit(L, int32(bits.ReverseBytes32(uint32(checkBit(L, 1)))))
	},
	"tohex": bitToHex,
}

const hexLower, hexUpper = "0123456789abcdef", "0123456789ABCDEF"

// bitToHex is bit.tohex(x [,n]): n digits (default 8), uppercase when n
// is negative. As in LuaJIT 2.1, fewer than 8 digits keep the low ones
// and more than 8 zero-pad the (zero-extended) 32-bit value.
func bitToHex(L *lua.LState) int {
	v := uint64(uint32(checkBit(L, 1)))
	n := int32(8)
	if L.GetTop() >= 2 {
		n = checkBit(L, 2)
	}
	digits := hexLower
	if n < 0 {
		n = -n
		digits = hexUpper
	}
	if n > 255 {
		n = 255
	}
	if n < 16 {
		v &= 1<<(4*uint(n)) - 1
	}
	buf := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		buf[i] = digits[v&15]
		v >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}

func installBit(vm *luabindings.VM) {
	L := vm.L
	mod := L.NewTable()
	for name, fn := range bitFuncs {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	L.SetGlobal("bit", mod)
	setLoaded(L, "bit", mod)
}

// setLoaded makes require(name) return v.
func setLoaded(L *lua.LState, name string, v lua.LValue) {
	loaded := L.GetField(L.Get(lua.RegistryIndex), "_LOADED")
	if t, ok := loaded.(*lua.LTable); ok {
		t.RawSetString(name, v)
	}
}
