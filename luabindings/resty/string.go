// Package resty provides Go-native versions of the lua-resty libraries
// that OpenResty implements with LuaJIT FFI over OpenSSL: resty.string,
// resty.md5/sha*, resty.random, resty.aes, resty.jwt and
// resty.jwt-validators. Each module is registered as a built-in for
// require().
package resty

import (
	"fmt"
	"strconv"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

const restyStringVersion = "0.17"

func init() {
	luabindings.RegisterModule("resty.string", loadString)
}

func loadString(_ *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString(restyStringVersion))
	m.RawSetString("to_hex", L.NewFunction(strToHex))
	m.RawSetString("atoi", L.NewFunction(strAtoi))
	return m
}

const hexDigits = "0123456789abcdef"

// strToHex is ngx_hex_dump: lower-case hex of every byte.
func strToHex(L *lua.LState) int {
	s := L.CheckString(1)
	L.Push(lua.LString(toHex(s)))
	return 1
}

func toHex(s string) string {
	buf := make([]byte, len(s)*2)
	for i := 0; i < len(s); i++ {
		buf[2*i] = hexDigits[s[i]>>4]
		buf[2*i+1] = hexDigits[s[i]&0xf]
	}
	return string(buf)
}

// strAtoi is ngx_atoi: unsigned decimal digits only; -1 for an empty
// string, any other byte, or an overflow of intptr_t.
func strAtoi(L *lua.LState) int {
	L.Push(lua.LNumber(ngxAtoi(L.CheckString(1))))
	return 1
}

func ngxAtoi(s string) int64 {
	if s == "" {
		return -1
	}
	const cutoff = (1<<63 - 1) / 10
	const cutlim = (1<<63 - 1) % 10
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		d := int64(c - '0')
		if v >= cutoff && (v > cutoff || d > cutlim) {
			return -1
		}
		v = v*10 + d
	}
	return v
}

// fmtNumber renders a Lua number the way LuaJIT's tostring does (%.14g).
func fmtNumber(n float64) string {
	if n == float64(int64(n)) && n < 1e15 && n > -1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	return formatG14(n)
}

func formatG14(n float64) string {
	switch {
	case n != n:
		return "nan"
	case n > 1.7976931348623157e308:
		return "inf"
	case n < -1.7976931348623157e308:
		return "-inf"
	}
	return strconv.FormatFloat(n, 'g', 14, 64)
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}
