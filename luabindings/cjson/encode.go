package cjson

import (
	"errors"
	"math"

	lua "github.com/yuin/gopher-lua"
)

type encoder struct {
	cfg *config
	L   *lua.LState
	buf []byte
}

type encodeError string

func (e encodeError) Error() string { return string(e) }

func exception(typ, reason string) error {
	return encodeError("Cannot serialise " + typ + ": " + reason)
}

// errSkip reports an unsupported value skipped under
// encode_skip_unsupported_value_types.
var errSkip = errors.New("skip")

// encodeValue serialises v. The buffer is taken out of the config while
// in use so that a re-entrant encode (from a metamethod) gets its own.
func (cfg *config) encodeValue(L *lua.LState, v lua.LValue) (string, error) {
	e := encoder{cfg: cfg, L: L, buf: cfg.buf[:0]}
	cfg.buf = nil
	err := e.value(v, 0)
	if err == errSkip {
		err = nil
	}
	var s string
	if err == nil {
		s = string(e.buf)
	}
	if cfg.keepBuffer && cap(e.buf) <= 1<<20 {
		cfg.buf = e.buf[:0]
	}
	return s, err
}

func (e *encoder) value(v lua.LValue, depth int) error {
	switch x := v.(type) {
	case lua.LString:
		e.str(string(x))
	case lua.LNumber:
		return e.number(float64(x))
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		return e.table(x, depth+1)
	case *lua.LUserData:
		if x == e.cfg.st.null {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if x == e.cfg.st.emptyArray {
			e.buf = append(e.buf, "[]"...)
			return nil
		}
		return e.unsupported(v)
	default:
		return e.unsupported(v)
	}
	return nil
}

func (e *encoder) unsupported(v lua.LValue) error {
	if e.cfg.skipUnsupported {
		return errSkip
	}
	return exception(v.Type().String(), "type not supported")
}

func (e *encoder) number(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch e.cfg.encodeInvalid {
		case 0:
			return exception("number", "must not be NaN or Infinity")
		case 1:
			switch {
			case math.IsNaN(f):
				e.buf = append(e.buf, "NaN"...)
			case f < 0:
				e.buf = append(e.buf, "-Infinity"...)
			default:
				e.buf = append(e.buf, "Infinity"...)
			}
		default:
			e.buf = append(e.buf, "null"...)
		}
		return nil
	}
	e.buf = appendNumber(e.buf, f, e.cfg.precision)
	return nil
}

// str appends a quoted JSON string, escaping with lua-cjson's table.
func (e *encoder) str(s string) {
	tbl := &escapeTable
	if !e.cfg.escapeSlash {
		tbl = &escapeTableNoSlash
	}
	buf := append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if esc := tbl[s[i]]; esc != "" {
			buf = append(buf, s[start:i]...)
			buf = append(buf, esc...)
			start = i + 1
		}
	}
	buf = append(buf, s[start:]...)
	e.buf = append(buf, '"')
}

func (e *encoder) newline(depth int) {
	e.buf = append(e.buf, '\n')
	for i := 0; i < depth; i++ {
		e.buf = append(e.buf, e.cfg.indent...)
	}
}

func (e *encoder) table(t *lua.LTable, depth int) error {
	cfg := e.cfg
	if depth > cfg.encodeMaxDepth {
		return encodeError("Cannot serialise, excessive nesting (" + itoa(depth) + ")")
	}
	mt, hasMT := t.Metatable.(*lua.LTable)
	if hasMT {
		if mt == cfg.st.arrayMT {
			return e.array(t, depth, t.Len(), true)
		}
		if lenFn := mt.RawGetString("__len"); lenFn != lua.LNil {
			n, err := e.callLen(lenFn, t)
			if err != nil {
				return err
			}
			return e.array(t, depth, n, false)
		}
	}
	n, err := e.arrayLength(t)
	if err != nil {
		return err
	}
	if n > 0 || (n == 0 && !cfg.emptyTableAsObject) {
		return e.array(t, depth, n, !hasMT)
	}
	if hasMT && mt == cfg.st.emptyArrayMT {
		return e.array(t, depth, t.Len(), true)
	}
	return e.object(t, depth)
}

func (e *encoder) callLen(fn lua.LValue, t *lua.LTable) (int, error) {
	L := e.L
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, t); err != nil {
		return 0, apiErr(err)
	}
	r := L.Get(-1)
	L.Pop(1)
	var n float64
	switch x := r.(type) {
	case lua.LNumber:
		n = float64(x)
	case lua.LString:
		n, _ = parseLuaNumber(string(x))
	}
	return int(n), nil
}

func apiErr(err error) error {
	if ae, ok := err.(*lua.ApiError); ok {
		return &luaError{ae.Object}
	}
	return err
}

// arrayLength mirrors lua_array_length: -1 for an object, else the
// largest positive integer key, subject to the sparse array rules.
func (e *encoder) arrayLength(t *lua.LTable) (int, error) {
	max, items := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		kn, ok := k.(lua.LNumber)
		if !ok || kn == 0 {
			return -1, nil
		}
		f := float64(kn)
		if math.Floor(f) != f || f < 1 {
			return -1, nil
		}
		if f > float64(max) {
			if f > math.MaxInt32 {
				max = math.MaxInt32
			} else {
				max = int(f)
			}
		}
		items++
	}
	cfg := e.cfg
	if cfg.sparseRatio > 0 && max > items*cfg.sparseRatio && max > cfg.sparseSafe {
		if !cfg.sparseConvert {
			return 0, exception("table", "excessively sparse array")
		}
		return -1, nil
	}
	return max, nil
}

func (e *encoder) array(t *lua.LTable, depth, n int, raw bool) error {
	e.buf = append(e.buf, '[')
	indent := e.cfg.indent != ""
	comma := false
	for i := 1; i <= n; i++ {
		pos := len(e.buf)
		if comma {
			e.buf = append(e.buf, ',')
		}
		if indent {
			e.newline(depth)
		}
		var v lua.LValue
		if raw {
			v = t.RawGetInt(i)
		} else {
			var err error
			if v, err = e.index(t, lua.LNumber(i)); err != nil {
				return err
			}
		}
		if err := e.value(v, depth); err != nil {
			if err != errSkip {
				return err
			}
			e.buf = e.buf[:pos]
			continue
		}
		comma = true
	}
	if comma && indent {
		e.newline(depth - 1)
	}
	e.buf = append(e.buf, ']')
	return nil
}

// index is t[k] honouring __index, with Lua errors returned.
func (e *encoder) index(t *lua.LTable, k lua.LValue) (lua.LValue, error) {
	for loop := 0; loop < 100; loop++ {
		v := t.RawGet(k)
		if v != lua.LNil {
			return v, nil
		}
		mt, ok := t.Metatable.(*lua.LTable)
		if !ok {
			return lua.LNil, nil
		}
		h := mt.RawGetString("__index")
		switch x := h.(type) {
		case *lua.LNilType:
			return lua.LNil, nil
		case *lua.LTable:
			t = x
			continue
		default:
			L := e.L
			if err := L.CallByParam(lua.P{Fn: h, NRet: 1, Protect: true}, t, k); err != nil {
				return nil, apiErr(err)
			}
			v = L.Get(-1)
			L.Pop(1)
			return v, nil
		}
	}
	return nil, encodeError("loop in gettable")
}

func (e *encoder) object(t *lua.LTable, depth int) error {
	e.buf = append(e.buf, '{')
	indent := e.cfg.indent != ""
	comma := false
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		pos := len(e.buf)
		if comma {
			e.buf = append(e.buf, ',')
		}
		if indent {
			e.newline(depth)
		}
		switch kk := k.(type) {
		case lua.LString:
			e.str(string(kk))
			e.buf = append(e.buf, ':')
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			if err := e.number(float64(kk)); err != nil {
				return err
			}
			e.buf = append(e.buf, '"', ':')
		default:
			return exception(k.Type().String(), "table key must be a number or string")
		}
		if indent {
			e.buf = append(e.buf, ' ')
		}
		if err := e.value(v, depth); err != nil {
			if err != errSkip {
				return err
			}
			e.buf = e.buf[:pos]
			continue
		}
		comma = true
	}
	if comma && indent {
		e.newline(depth - 1)
	}
	e.buf = append(e.buf, '}')
	return nil
}

var escapeTable, escapeTableNoSlash [256]string

func init() {
	const hex = "0123456789abcdef"
	for i := 0; i < 0x20; i++ {
		escapeTable[i] = "\\u00" + string(hex[i>>4]) + string(hex[i&15])
	}
	escapeTable['\b'] = "\\b"
	escapeTable['\t'] = "\\t"
	escapeTable['\n'] = "\\n"
	escapeTable['\f'] = "\\f"
	escapeTable['\r'] = "\\r"
	escapeTable['"'] = "\\\""
	escapeTable['\\'] = "\\\\"
	escapeTable['/'] = "\\/"
	escapeTable[0x7f] = "\\u007f"
	escapeTableNoSlash = escapeTable
	escapeTableNoSlash['/'] = ""
}
