package ngxstring

import (
	"encoding/base64"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

const (
	stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

var stdDecode, urlDecode [256]byte

func init() {
	for i := range stdDecode {
		stdDecode[i], urlDecode[i] = 0xff, 0xff
	}
	for i := 0; i < 64; i++ {
		stdDecode[stdAlphabet[i]] = byte(i)
		urlDecode[urlAlphabet[i]] = byte(i)
	}
}

// decodeNginx is nginx's ngx_decode_base64: input ends at the first "=",
// padding is optional, a length of 4n+1 or a byte outside the alphabet
// is an error.
func decodeNginx(s string, basis *[256]byte) (string, bool) {
	n := 0
	for n < len(s) && s[n] != '=' {
		if basis[s[n]] == 0xff {
			return "", false
		}
		n++
	}
	if n%4 == 1 {
		return "", false
	}
	out := make([]byte, 0, n*3/4+2)
	i := 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := basis[s[i]], basis[s[i+1]], basis[s[i+2]], basis[s[i+3]]
		out = append(out, a<<2|b>>4, b<<4|c>>2, c<<6|d)
	}
	if rest := n - i; rest > 1 {
		a, b := basis[s[i]], basis[s[i+1]]
		out = append(out, a<<2|b>>4)
		if rest > 2 {
			c := basis[s[i+2]]
			out = append(out, b<<4|c>>2)
		}
	}
	return string(out), true
}

// decodeMIME is lua-nginx-module's decode_base64mime: bytes outside the
// alphabet are skipped, input ends at the first "=".
func decodeMIME(s string) (string, bool) {
	var clean []byte
	for i := 0; i < len(s) && s[i] != '='; i++ {
		if stdDecode[s[i]] != 0xff {
			clean = append(clean, s[i])
		}
	}
	return decodeNginx(string(clean), &stdDecode)
}

// ngx.encode_base64(str, no_padding?)
func ngxEncodeBase64(L *lua.LState) int {
	s := optString(L, 1)
	noPad := false
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LBool:
		noPad = bool(v)
	default:
		L.RaiseError("bad no_padding: boolean expected, got %s", typeName(v))
	}
	if noPad {
		return pushString(L, base64.RawStdEncoding.EncodeToString([]byte(s)))
	}
	return pushString(L, base64.StdEncoding.EncodeToString([]byte(s)))
}

// ngx.decode_base64(str): nil for invalid input.
func ngxDecodeBase64(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		L.RaiseError("string argument only")
	}
	out, ok := decodeNginx(string(s), &stdDecode)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	return pushString(L, out)
}

// ngx.decode_base64mime(str)
func ngxDecodeBase64MIME(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		L.RaiseError("string argument only")
	}
	out, ok := decodeMIME(string(s))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	return pushString(L, out)
}

// require "ngx.base64": encode_base64url / decode_base64url.
func loadBase64Module(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("version", lua.LNumber(1025))
	m.RawSetString("encode_base64url", L.NewFunction(func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("must provide a string"))
			return 2
		}
		return pushString(L, base64.RawURLEncoding.EncodeToString([]byte(s)))
	}))
	m.RawSetString("decode_base64url", L.NewFunction(func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("must provide a string"))
			return 2
		}
		out, ok := decodeNginx(string(s), &urlDecode)
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("invalid input"))
			return 2
		}
		return pushString(L, out)
	}))
	return m
}
