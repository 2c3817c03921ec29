package resty

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// A small cjson-compatible codec for the JWT parts: it encodes like
// cjson.encode (%.14g numbers, "\/" escapes, arrays for 1..n keys, sparse
// array and type errors) with sorted object keys, and decodes objects
// and arrays to tables and null to ngx.null.

const jsonMaxDepth = 1000

type jsonEncoder struct {
	null lua.LValue // ngx.null, encoded as null
	b    strings.Builder
}

func jsonEncode(v lua.LValue, null lua.LValue) (string, error) {
	e := jsonEncoder{null: null}
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	return e.b.String(), nil
}

func (e *jsonEncoder) value(v lua.LValue, depth int) error {
	switch x := v.(type) {
	case *lua.LNilType:
		e.b.WriteString("null")
	case lua.LBool:
		if x {
			e.b.WriteString("true")
		} else {
			e.b.WriteString("false")
		}
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return errors.New("Cannot serialise number: must not be NaN or Inf")
		}
		e.b.WriteString(fmtNumber(f))
	case lua.LString:
		e.str(string(x))
	case *lua.LTable:
		return e.table(x, depth+1)
	default:
		if v == e.null && e.null != nil {
			e.b.WriteString("null")
			return nil
		}
		return errors.New("Cannot serialise " + v.Type().String() + ": type not supported")
	}
	return nil
}

func (e *jsonEncoder) str(s string) {
	e.b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '/' && c != 0x7f {
			continue
		}
		e.b.WriteString(s[start:i])
		switch c {
		case '"':
			e.b.WriteString(`\"`)
		case '\\':
			e.b.WriteString(`\\`)
		case '/':
			e.b.WriteString(`\/`)
		case '\b':
			e.b.WriteString(`\b`)
		case '\t':
			e.b.WriteString(`\t`)
		case '\n':
			e.b.WriteString(`\n`)
		case '\f':
			e.b.WriteString(`\f`)
		case '\r':
			e.b.WriteString(`\r`)
		default:
			e.b.WriteString(`\u00`)
			e.b.WriteByte(hexDigits[c>>4])
			e.b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	e.b.WriteString(s[start:])
	e.b.WriteByte('"')
}

func (e *jsonEncoder) table(t *lua.LTable, depth int) error {
	if depth > jsonMaxDepth {
		return errors.New("Cannot serialise, excessive nesting (" + strconv.Itoa(depth) + ")")
	}
	// cjson's array test: only positive integer keys, not too sparse.
	n, items, isArray := 0, 0, true
	t.ForEach(func(k, _ lua.LValue) {
		items++
		if num, ok := k.(lua.LNumber); ok && isArray {
			f := float64(num)
			if f >= 1 && f == math.Floor(f) && f <= math.MaxInt32 {
				if int(f) > n {
					n = int(f)
				}
				return
			}
		}
		isArray = false
	})
	if isArray && items > 0 {
		if n > items*2 && n > 10 {
			return errors.New("Cannot serialise table: excessively sparse array")
		}
		e.b.WriteByte('[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				e.b.WriteByte(',')
			}
			if err := e.value(t.RawGetInt(i), depth); err != nil {
				return err
			}
		}
		e.b.WriteByte(']')
		return nil
	}
	type kv struct {
		k string
		v lua.LValue
	}
	kvs := make([]kv, 0, items)
	var bad error
	t.ForEach(func(k, v lua.LValue) {
		switch kk := k.(type) {
		case lua.LString:
			kvs = append(kvs, kv{string(kk), v})
		case lua.LNumber:
			kvs = append(kvs, kv{fmtNumber(float64(kk)), v})
		default:
			bad = errors.New("Cannot serialise table: table key must be a number or string")
		}
	})
	if bad != nil {
		return bad
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
	e.b.WriteByte('{')
	for i, p := range kvs {
		if i > 0 {
			e.b.WriteByte(',')
		}
		e.str(p.k)
		e.b.WriteByte(':')
		if err := e.value(p.v, depth); err != nil {
			return err
		}
	}
	e.b.WriteByte('}')
	return nil
}

type jsonDecoder struct {
	L     *lua.LState
	null  lua.LValue
	s     string
	i     int
	depth int
}

var errJSON = errors.New("invalid json")

// jsonDecode parses one JSON text; null becomes null (ngx.null, or nil
// when the runtime has none).
func jsonDecode(L *lua.LState, s string, null lua.LValue) (lua.LValue, error) {
	if null == nil {
		null = lua.LNil
	}
	d := jsonDecoder{L: L, null: null, s: s}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i != len(d.s) {
		return nil, errJSON
	}
	return v, nil
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (lua.LValue, error) {
	d.ws()
	if d.i >= len(d.s) {
		return nil, errJSON
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		return lua.LString(s), err
	case c == 't' && strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue, nil
	case c == 'f' && strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse, nil
	case c == 'n' && strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return d.null, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, errJSON
}

func (d *jsonDecoder) number() (lua.LValue, error) {
	start := d.i
	if d.s[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	intStart := d.i
	if digits() == 0 || (d.s[intStart] == '0' && d.i-intStart > 1) {
		return nil, errJSON
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, errJSON
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, errJSON
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, errJSON
	}
	return lua.LNumber(f), nil
}

func (d *jsonDecoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	for d.i < len(d.s) && d.s[d.i] != '"' && d.s[d.i] != '\\' && d.s[d.i] >= 0x20 {
		d.i++
	}
	if d.i < len(d.s) && d.s[d.i] == '"' {
		d.i++
		return d.s[start : d.i-1], nil
	}
	buf := []byte(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c < 0x20:
			return "", errJSON
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.s) {
			return "", errJSON
		}
		e := d.s[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", errJSON
			}
			if r >= 0xd800 && r < 0xdc00 {
				// a high surrogate must be followed by a low one
				if !strings.HasPrefix(d.s[d.i:], `\u`) {
					return "", errJSON
				}
				d.i += 2
				lo, ok := d.hex4()
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return "", errJSON
				}
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
			} else if r >= 0xdc00 && r <= 0xdfff {
				return "", errJSON
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", errJSON
		}
	}
	return "", errJSON
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(v), true
}

func (d *jsonDecoder) object() (lua.LValue, error) {
	if d.depth++; d.depth > jsonMaxDepth {
		return nil, errJSON
	}
	defer func() { d.depth-- }()
	d.i++
	t := d.L.NewTable()
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return t, nil
	}
	for {
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, errJSON
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, errJSON
		}
		d.i++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		t.RawSetString(k, v)
		d.ws()
		if d.i >= len(d.s) {
			return nil, errJSON
		}
		if d.s[d.i] == '}' {
			d.i++
			return t, nil
		}
		if d.s[d.i] != ',' {
			return nil, errJSON
		}
		d.i++
	}
}

func (d *jsonDecoder) array() (lua.LValue, error) {
	if d.depth++; d.depth > jsonMaxDepth {
		return nil, errJSON
	}
	defer func() { d.depth-- }()
	d.i++
	t := d.L.NewTable()
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return t, nil
	}
	for n := 1; ; n++ {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		t.RawSetInt(n, v)
		d.ws()
		if d.i >= len(d.s) {
			return nil, errJSON
		}
		if d.s[d.i] == ']' {
			d.i++
			return t, nil
		}
		if d.s[d.i] != ',' {
			return nil, errJSON
		}
		d.i++
	}
}
