// Package cjson implements require "cjson" and require "cjson.safe" with
// the semantics of OpenResty's lua-cjson fork (2.1.0.x): the same option
// functions, defaults, quirks and error messages, on gopher-lua values.
package cjson

import (
	"math"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/compat"
	lua "github.com/yuin/gopher-lua"
)

const (
	modName    = "cjson"
	modVersion = "2.1.0.11"
)

func init() {
	luabindings.RegisterModule("cjson", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		return newModule(L, stateOf(vm, L), false)
	})
	luabindings.RegisterModule("cjson.safe", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		return newModule(L, stateOf(vm, L), true)
	})
}

// vmState holds the values every cjson instance of one VM shares, as the
// C module keeps them in the registry: null, empty_array and the two
// array metatables.
type vmState struct {
	null         *lua.LUserData
	emptyArray   *lua.LUserData
	arrayMT      *lua.LTable
	emptyArrayMT *lua.LTable
	defaults     *config // for Encode/Decode from Go
}

const registryKey = "goresty.cjson.state"

// stateOf finds or creates the per-VM shared values. cjson.null is
// ngx.null (compat owns that value).
func stateOf(vm *luabindings.VM, L *lua.LState) *vmState {
	reg := L.G.Registry
	if ud, ok := reg.RawGetString(registryKey).(*lua.LUserData); ok {
		if st, ok := ud.Value.(*vmState); ok {
			return st
		}
	}
	st := &vmState{
		null:         compat.NullOf(L),
		emptyArray:   L.NewUserData(),
		arrayMT:      L.NewTable(),
		emptyArrayMT: L.NewTable(),
	}
	st.emptyArray.Value = "cjson.empty_array"
	holder := L.NewUserData()
	holder.Value = st
	reg.RawSetString(registryKey, holder)
	return st
}

// config mirrors json_config_t.
type config struct {
	st *vmState

	sparseConvert      bool
	sparseRatio        int
	sparseSafe         int
	encodeMaxDepth     int
	decodeMaxDepth     int
	encodeInvalid      int // 0 off, 1 on, 2 "null"
	decodeInvalid      bool
	keepBuffer         bool
	precision          int
	emptyTableAsObject bool
	decodeArrayMT      bool
	allowComment       bool
	escapeSlash        bool
	skipUnsupported    bool
	indent             string

	buf []byte // kept between encodes when keepBuffer is on
	dec decoder
}

func newConfig(st *vmState) *config {
	return &config{
		st:                 st,
		sparseRatio:        2,
		sparseSafe:         10,
		encodeMaxDepth:     1000,
		decodeMaxDepth:     1000,
		decodeInvalid:      true,
		keepBuffer:         true,
		precision:          14,
		emptyTableAsObject: true,
		escapeSlash:        true,
	}
}

type cfgFunc func(L *lua.LState, cfg *config) int

func newModule(L *lua.LState, st *vmState, safe bool) *lua.LTable {
	cfg := newConfig(st)
	m := L.CreateTable(0, 24)
	set := func(name string, fn cfgFunc) {
		m.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return fn(L, cfg) }))
	}
	if safe {
		set("encode", encodeSafe)
		set("decode", decodeSafe)
	} else {
		set("encode", encodeRaise)
		set("decode", decodeRaise)
	}
	set("encode_empty_table_as_object", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_empty_table_as_object")
		return boolOption(L, 1, &c.emptyTableAsObject, "encode_empty_table_as_object")
	})
	set("decode_array_with_array_mt", func(L *lua.LState, c *config) int {
		argInit(L, 1, "decode_array_with_array_mt")
		return boolOption(L, 1, &c.decodeArrayMT, "decode_array_with_array_mt")
	})
	set("decode_allow_comment", func(L *lua.LState, c *config) int {
		argInit(L, 1, "decode_allow_comment")
		return boolOption(L, 1, &c.allowComment, "decode_allow_comment")
	})
	set("encode_sparse_array", func(L *lua.LState, c *config) int {
		const fn = "encode_sparse_array"
		argInit(L, 3, fn)
		boolOption(L, 1, &c.sparseConvert, fn)
		intOption(L, 2, &c.sparseRatio, 0, math.MaxInt32, fn)
		intOption(L, 3, &c.sparseSafe, 0, math.MaxInt32, fn)
		return 3
	})
	set("encode_max_depth", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_max_depth")
		return intOption(L, 1, &c.encodeMaxDepth, 1, math.MaxInt32, "encode_max_depth")
	})
	set("decode_max_depth", func(L *lua.LState, c *config) int {
		argInit(L, 1, "decode_max_depth")
		return intOption(L, 1, &c.decodeMaxDepth, 1, math.MaxInt32, "decode_max_depth")
	})
	set("encode_number_precision", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_number_precision")
		return intOption(L, 1, &c.precision, 1, 16, "encode_number_precision")
	})
	set("encode_keep_buffer", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_keep_buffer")
		n := boolOption(L, 1, &c.keepBuffer, "encode_keep_buffer")
		if !c.keepBuffer {
			c.buf = nil
		}
		return n
	})
	set("encode_invalid_numbers", func(L *lua.LState, c *config) int {
		const fn = "encode_invalid_numbers"
		argInit(L, 1, fn)
		switch v := L.Get(1).(type) {
		case *lua.LNilType:
		case lua.LBool:
			c.encodeInvalid = 0
			if v {
				c.encodeInvalid = 1
			}
		default:
			c.encodeInvalid = checkOption(L, 1, fn, "off", "on", "null")
		}
		if c.encodeInvalid == 2 {
			L.Push(lua.LString("null"))
		} else {
			L.Push(lua.LBool(c.encodeInvalid == 1))
		}
		return 1
	})
	set("decode_invalid_numbers", func(L *lua.LState, c *config) int {
		argInit(L, 1, "decode_invalid_numbers")
		return boolOption(L, 1, &c.decodeInvalid, "decode_invalid_numbers")
	})
	set("encode_escape_forward_slash", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_escape_forward_slash")
		return boolOption(L, 1, &c.escapeSlash, "encode_escape_forward_slash")
	})
	set("encode_skip_unsupported_value_types", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_skip_unsupported_value_types")
		return boolOption(L, 1, &c.skipUnsupported, "encode_skip_unsupported_value_types")
	})
	set("encode_indent", func(L *lua.LState, c *config) int {
		argInit(L, 1, "encode_indent")
		if L.Get(1) != lua.LNil {
			c.indent = checkString(L, 1, "encode_indent")
		}
		L.Push(lua.LString(c.indent))
		return 1
	})
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(newModule(L, st, safe))
		return 1
	}))
	m.RawSetString("null", st.null)
	m.RawSetString("empty_array_mt", st.emptyArrayMT)
	m.RawSetString("array_mt", st.arrayMT)
	m.RawSetString("empty_array", st.emptyArray)
	m.RawSetString("_NAME", lua.LString(modName))
	m.RawSetString("_VERSION", lua.LString(modVersion))
	return m
}

// encodeRaise is cjson.encode: errors are raised without position, as
// luaL_error does from a C function.
func encodeRaise(L *lua.LState, cfg *config) int {
	if L.GetTop() != 1 {
		argError(L, 1, "encode", "expected 1 argument")
	}
	s, err := cfg.encodeValue(L, L.Get(1))
	if err != nil {
		raise(L, err)
	}
	L.PushString(s) // boxed in the state's block: no allocation
	return 1
}

func encodeSafe(L *lua.LState, cfg *config) int {
	if L.GetTop() != 1 {
		argError(L, 1, "encode", "expected 1 argument")
	}
	s, err := cfg.encodeValue(L, L.Get(1))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(errValue(err))
		return 2
	}
	L.PushString(s) // boxed in the state's block: no allocation
	return 1
}

func decodeArg(L *lua.LState) string {
	if L.GetTop() != 1 {
		argError(L, 1, "decode", "expected 1 argument")
	}
	switch v := L.Get(1).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	typeError(L, 1, "decode", "string")
	return ""
}

func decodeRaise(L *lua.LState, cfg *config) int {
	v, err := cfg.decode(L, decodeArg(L))
	if err != nil {
		raise(L, err)
	}
	L.Push(v)
	return 1
}

func decodeSafe(L *lua.LState, cfg *config) int {
	v, err := cfg.decode(L, decodeArg(L))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(errValue(err))
		return 2
	}
	L.Push(v)
	return 1
}

// luaError carries an error raised by Lua code run during encoding
// (a __len or __index metamethod), to be re-raised as is.
type luaError struct{ v lua.LValue }

func (e *luaError) Error() string { return e.v.String() }

func errValue(err error) lua.LValue {
	if le, ok := err.(*luaError); ok {
		return le.v
	}
	return lua.LString(err.Error())
}

// raise is luaL_error: a message gets the position of the Lua code that
// called the cjson function ("content_by_lua(nginx.conf:8):3: Expected
// value but ..."), none when a C function (pcall) called it.
func raise(L *lua.LState, err error) {
	if le, ok := err.(*luaError); ok {
		if s, ok := le.v.(lua.LString); ok {
			L.Error(lua.LString(callerWhere(L)+string(s)), 0)
		}
		L.Error(le.v, 0)
	}
	L.Error(lua.LString(callerWhere(L)+err.Error()), 0)
}

func callerWhere(L *lua.LState) string { return L.CallerWhere() }

// --- argument helpers (luaL_* style messages) ---

// calledFromLua reports whether the running Go function was called
// directly by Lua code; LuaJIT names the function in argument errors
// only then ("?" when called through pcall and friends).
func calledFromLua(L *lua.LState) bool {
	dbg, ok := L.GetStack(1)
	if !ok {
		return false
	}
	fn, err := L.GetInfo("f", dbg, lua.LNil)
	if err != nil {
		return false
	}
	f, ok := fn.(*lua.LFunction)
	return ok && !f.IsG
}

func argError(L *lua.LState, n int, fname, msg string) {
	if !calledFromLua(L) {
		fname = "?"
	}
	L.Error(lua.LString("bad argument #"+itoa(n)+" to '"+fname+"' ("+msg+")"), 0)
}

func typeError(L *lua.LState, n int, fname, expected string) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	argError(L, n, fname, expected+" expected, got "+got)
}

func itoa(n int) string {
	return string(appendInt(nil, int64(n)))
}

// argInit mirrors json_arg_init: too many arguments is an error.
func argInit(L *lua.LState, n int, fname string) {
	if L.GetTop() > n {
		argError(L, n+1, fname, "found too many arguments")
	}
	for L.GetTop() < n {
		L.Push(lua.LNil)
	}
}

func checkString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	typeError(L, n, fname, "string")
	return ""
}

func checkOption(L *lua.LState, n int, fname string, opts ...string) int {
	s := checkString(L, n, fname)
	for i, o := range opts {
		if o == s {
			return i
		}
	}
	argError(L, n, fname, "invalid option '"+s+"'")
	return 0
}

func boolOption(L *lua.LState, n int, setting *bool, fname string) int {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
	case lua.LBool:
		*setting = bool(v)
	default:
		*setting = checkOption(L, n, fname, "off", "on") == 1
	}
	L.Push(lua.LBool(*setting))
	return 1
}

func intOption(L *lua.LState, n int, setting *int, min, max int, fname string) int {
	v := L.Get(n)
	if v != lua.LNil {
		var f float64
		switch x := v.(type) {
		case lua.LNumber:
			f = float64(x)
		case lua.LString:
			num, err := parseLuaNumber(string(x))
			if err != nil {
				typeError(L, n, fname, "number")
			}
			f = num
		default:
			typeError(L, n, fname, "number")
		}
		i := int(f) // luaL_checkinteger truncates
		if i < min || i > max {
			// the C code always blames argument #1
			argError(L, 1, fname, "expected integer between "+itoa(min)+" and "+itoa(max))
		}
		*setting = i
	}
	L.Push(lua.LNumber(*setting))
	return 1
}
