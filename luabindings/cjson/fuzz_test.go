package cjson

import (
	"math"
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// jsonSeeds: RFC 8259's examples, PostgREST-shaped answers as the example
// app receives them, and the corners of the grammar lua-cjson has code for.
var jsonSeeds = []string{
	`{"Image":{"Width":800,"Height":600,"Title":"View from 15th Floor","Thumbnail":{"Url":"http://www.example.com/image/481989943","Height":125,"Width":100},"Animated":false,"IDs":[116,943,234,38793]}}`,
	`[{"precision":"zip","Latitude":37.7668,"Longitude":-122.3959,"Address":"","City":"SAN FRANCISCO","State":"CA","Zip":"94107","Country":"US"},{"precision":"zip","Latitude":37.371991,"Longitude":-122.026020,"Address":"","City":"SUNNYVALE","State":"CA","Zip":"94085","Country":"US"}]`,
	`"Hello world!"`, `42`, `true`, `null`,
	`[{"id":1,"title":"buy milk","done":false,"created_at":"2024-01-02T03:04:05+00:00","tags":null}]`,
	`{"code":"23505","details":"Key (email)=(a@b.c) already exists.","hint":null,"message":"duplicate key value violates unique constraint \"users_email_key\""}`,
	`{"token":"eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoid2ViX3VzZXIifQ.x","exp":1735689600}`,
	`{"a":[1,2,[3,[4,{"b":{}}]]],"c":[],"d":{"":""}}`,
	`"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"`, `"\ud800"`, `"\u0000x"`, "\"\x00\"", `"\uDFFF"`,
	`[1e308,-1e-308,0.1,-0,1E+2,123456789012345678901234567890,9007199254740993,-9223372036854775809]`,
	`[0x10, nan, -inf, Infinity, 01]`, ` [ 1 , 2 ] `, `{"a":1,}`, `[1,]`, `{"a" 1}`, `[`, `{`, `"`,
	"\xef\xbb\xbf{}", "\x00{}", `{"a":"b","a":"c"}`, `[true,false,null]`,
	strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
	strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
	strings.Repeat(`{"a":`, 999) + "1" + strings.Repeat("}", 999),
}

// FuzzDecode: decoding never panics and nesting is bounded; whatever
// decodes re-encodes (unless it holds NaN or an infinity, which encode
// refuses by default), and decode(encode(decode(x))) equals decode(x)
// (numbers to the 16 digits encode_number_precision allows at most).
func FuzzDecode(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add(s)
	}
	vm := luabindings.NewVM(0, 1, f.TempDir(), nil)
	f.Cleanup(vm.Close)
	L := vm.L
	cfg := newConfig(stateOf(vm, L))
	cfg.precision = 16 // the most encode_number_precision allows
	f.Fuzz(func(t *testing.T, s string) {
		v, err := cfg.decode(L, s)
		if err != nil {
			if strings.Count(s, "[")+strings.Count(s, "{") <= cfg.decodeMaxDepth &&
				strings.Contains(err.Error(), "too many nested") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if depth(v) > cfg.decodeMaxDepth {
			t.Fatalf("%q decoded deeper than %d", s, cfg.decodeMaxDepth)
		}
		enc, err := cfg.encodeValue(L, v)
		if err != nil {
			if hasNonFinite(v) && strings.Contains(err.Error(), "must not be NaN or Infinity") {
				return
			}
			t.Fatalf("%q decodes but does not encode: %v", s, err)
		}
		v2, err := cfg.decode(L, enc)
		if err != nil {
			t.Fatalf("%q -> %q does not decode: %v", s, enc, err)
		}
		if !same(v, v2, cfg.st.null) {
			t.Fatalf("%q -> %q decodes to another value", s, enc)
		}
	})
}

func depth(v lua.LValue) int {
	t, ok := v.(*lua.LTable)
	if !ok {
		return 0
	}
	d := 0
	t.ForEach(func(_, x lua.LValue) { d = max(d, depth(x)) })
	return d + 1
}

func hasNonFinite(v lua.LValue) bool {
	switch x := v.(type) {
	case lua.LNumber:
		f := float64(x)
		return math.IsNaN(f) || math.IsInf(f, 0)
	case *lua.LTable:
		bad := false
		x.ForEach(func(_, e lua.LValue) { bad = bad || hasNonFinite(e) })
		return bad
	}
	return false
}

// same compares decoded values structurally; numbers agree to the 16
// significant digits they were written with (-0 == 0).
func same(a, b lua.LValue, null *lua.LUserData) bool {
	switch x := a.(type) {
	case lua.LString, lua.LBool:
		return a == b
	case lua.LNumber:
		y, ok := b.(lua.LNumber)
		return ok && (x == y || math.Abs(float64(x-y)) <= 1e-15*math.Abs(float64(x)))
	case *lua.LUserData:
		return x == null && b == lua.LValue(null)
	case *lua.LTable:
		y, ok := b.(*lua.LTable)
		if !ok {
			return false
		}
		n, m := 0, 0
		eq := true
		x.ForEach(func(k, v lua.LValue) {
			n++
			eq = eq && same(v, y.RawGet(k), null)
		})
		y.ForEach(func(lua.LValue, lua.LValue) { m++ })
		return eq && n == m
	}
	return false
}
