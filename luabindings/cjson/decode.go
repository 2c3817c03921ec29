package cjson

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

type tokenType uint8

const (
	tObjBegin tokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var tokenNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

type token struct {
	typ   tokenType
	index int
	str   string // string value, or the error text for tError
	num   float64
	b     bool
}

// decoder is a hand-written scanner following lua_cjson.c's tokenizer
// closely, including its reading of the input as a NUL-terminated C
// string (a NUL byte ends the document or the string being read).
type decoder struct {
	cfg   *config
	L     *lua.LState
	data  string
	pos   int
	depth int
	stack []lua.LValue // values of the containers being built
	tmp   []byte       // unescaped string being built
}

type decodeError string

func (e decodeError) Error() string { return string(e) }

func (d *decoder) peek(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

func (cfg *config) decode(L *lua.LState, s string) (lua.LValue, error) {
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		return nil, decodeError("JSON parser does not support UTF-16 or UTF-32")
	}
	d := &cfg.dec
	if len(d.stack) != 0 {
		// re-entered (cannot happen: decoding runs no Lua); be safe
		d = &decoder{}
	}
	d.cfg, d.L, d.data, d.pos, d.depth = cfg, L, s, 0, 0
	defer d.release()
	var tok token
	d.next(&tok)
	v, err := d.value(&tok)
	if err != nil {
		return nil, err
	}
	d.next(&tok)
	if tok.typ != tEnd {
		return nil, d.parseError("the end", &tok)
	}
	return v, nil
}

func (d *decoder) release() {
	clear(d.stack[:cap(d.stack)])
	d.stack = d.stack[:0]
	d.data = ""
	d.L = nil
	if cap(d.tmp) > 64<<10 {
		d.tmp = nil
	}
	if cap(d.stack) > 4096 {
		d.stack = nil
	}
}

func (d *decoder) parseError(expected string, tok *token) error {
	found := tok.str
	if tok.typ != tError {
		found = tokenNames[tok.typ]
	}
	return decodeError("Expected " + expected + " but found " + found + " at character " + strconv.Itoa(tok.index+1))
}

func (d *decoder) setError(tok *token, msg string) {
	tok.typ = tError
	tok.index = d.pos
	tok.str = msg
}

func (d *decoder) next(tok *token) {
	var c byte
	for {
		for {
			c = d.peek(d.pos)
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				break
			}
			d.pos++
		}
		if !d.cfg.allowComment || c != '/' {
			break
		}
		c1 := d.peek(d.pos + 1)
		if c1 == '/' {
			d.pos += 2
			for d.peek(d.pos) != 0 && d.peek(d.pos) != '\n' {
				d.pos++
			}
		} else if c1 == '*' {
			d.pos += 2
			for {
				if d.peek(d.pos) == 0 {
					d.setError(tok, "unclosed multi-line comment")
					return
				}
				if d.peek(d.pos) == '*' && d.peek(d.pos+1) == '/' {
					d.pos += 2
					break
				}
				d.pos++
			}
		} else {
			break
		}
	}
	tok.index = d.pos
	switch c {
	case 0:
		tok.typ = tEnd
		return
	case '{':
		tok.typ = tObjBegin
	case '}':
		tok.typ = tObjEnd
	case '[':
		tok.typ = tArrBegin
	case ']':
		tok.typ = tArrEnd
	case ',':
		tok.typ = tComma
	case ':':
		tok.typ = tColon
	case '"':
		d.stringToken(tok)
		return
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if !d.cfg.decodeInvalid && d.isInvalidNumber() {
			d.setError(tok, "invalid number")
			return
		}
		d.numberToken(tok)
		return
	case 't', 'f', 'n', 'i', 'I', 'N', '+':
		rest := d.data[d.pos:]
		switch {
		case strings.HasPrefix(rest, "true"):
			tok.typ, tok.b = tBoolean, true
			d.pos += 4
		case strings.HasPrefix(rest, "false"):
			tok.typ, tok.b = tBoolean, false
			d.pos += 5
		case strings.HasPrefix(rest, "null"):
			tok.typ = tNull
			d.pos += 4
		case d.cfg.decodeInvalid && d.isInvalidNumber():
			d.numberToken(tok)
		default:
			d.setError(tok, "invalid token")
		}
		return
	default:
		d.setError(tok, "invalid token")
		return
	}
	d.pos++
}

// isInvalidNumber mirrors json_is_invalid_number: forms strtod accepts
// but strict JSON does not (+n, hex, leading zeros, inf, nan).
func (d *decoder) isInvalidNumber() bool {
	p := d.pos
	c := d.peek(p)
	if c == '+' {
		return true
	}
	if c == '-' {
		p++
		c = d.peek(p)
	}
	if c == '0' {
		c2 := d.peek(p + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	}
	if c <= '9' {
		return false
	}
	if len(d.data)-p >= 3 {
		w := d.data[p : p+3]
		if strings.EqualFold(w, "inf") || strings.EqualFold(w, "nan") {
			return true
		}
	}
	return false
}

// numberToken is json_next_number_token of lua-cjson 2.1.0.10/11, the
// fork of lua-nginx-module 0.10.23's time: strtod alone, so an integer
// past 2^63 is the nearest double, "-0" is negative zero, and an error
// names the token T_NUMBER. (The fork's 2024 integer support, strtoll
// first, clamps such integers and names them T_INTEGER.) An integer a
// double holds exactly is parsed directly, the same value strtod gives.
func (d *decoder) numberToken(tok *token) {
	data, p := d.data, d.pos
	j := p
	if j < len(data) && (data[j] == '+' || data[j] == '-') {
		j++
	}
	ds := j
	for j < len(data) && isDigit(data[j]) {
		j++
	}
	if c := d.peek(j); j > ds && c != '.' && c != 'e' && c != 'E' && c != 'x' {
		if n, err := strconv.ParseInt(data[p:j], 10, 64); err == nil && n <= maxExactInt && n >= -maxExactInt {
			tok.typ, tok.num = tNumber, float64(n)
			if n == 0 && data[p] == '-' {
				tok.num = math.Copysign(0, -1)
			}
			d.pos = j
			return
		}
	}
	f, e := scanStrtod(data, p)
	if e == p {
		d.setError(tok, "invalid number")
		return
	}
	tok.typ, tok.num = tNumber, f
	d.pos = e
}

// maxExactInt is 2^53: integers up to it are exact in a double.
const maxExactInt = 1 << 53

func (d *decoder) stringToken(tok *token) {
	data := d.data
	d.pos++ // opening quote
	start := d.pos
	i := start
	for {
		if i >= len(data) || data[i] == 0 {
			d.pos = i
			d.setError(tok, "unexpected end of string")
			return
		}
		c := data[i]
		if c == '"' {
			tok.typ, tok.str = tString, data[start:i]
			d.pos = i + 1
			return
		}
		if c == '\\' {
			break
		}
		i++
	}
	buf := append(d.tmp[:0], data[start:i]...)
	for {
		c := d.peek(i)
		if c == '"' {
			break
		}
		if c == 0 {
			d.pos = i
			d.setError(tok, "unexpected end of string")
			d.tmp = buf
			return
		}
		if c == '\\' {
			var out byte
			switch d.peek(i + 1) {
			case '"':
				out = '"'
			case '\\':
				out = '\\'
			case '/':
				out = '/'
			case 'b':
				out = '\b'
			case 't':
				out = '\t'
			case 'n':
				out = '\n'
			case 'f':
				out = '\f'
			case 'r':
				out = '\r'
			case 'u':
				var n int
				buf, n = d.unicodeEscape(buf, i)
				if n == 0 {
					d.pos = i
					d.setError(tok, "invalid unicode escape code")
					d.tmp = buf
					return
				}
				i += n
				continue
			default:
				d.pos = i
				d.setError(tok, "invalid escape code")
				d.tmp = buf
				return
			}
			buf = append(buf, out)
			i += 2
			continue
		}
		buf = append(buf, c)
		i++
	}
	d.pos = i + 1
	tok.typ, tok.str = tString, string(buf)
	d.tmp = buf
}

func (d *decoder) hex4(i int) int {
	v := 0
	for k := 0; k < 4; k++ {
		h := hexVal(d.peek(i + k))
		if h < 0 {
			return -1
		}
		v = v<<4 | h
	}
	return v
}

// unicodeEscape decodes \uXXXX (or a surrogate pair) at i, returning the
// escape length or 0 when invalid.
func (d *decoder) unicodeEscape(buf []byte, i int) ([]byte, int) {
	cp := d.hex4(i + 2)
	if cp < 0 {
		return buf, 0
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return buf, 0
		}
		if d.peek(i+6) != '\\' || d.peek(i+7) != 'u' {
			return buf, 0
		}
		lo := d.hex4(i + 8)
		if lo < 0 || lo&0xFC00 != 0xDC00 {
			return buf, 0
		}
		cp = ((cp&0x3FF)<<10 | lo&0x3FF) + 0x10000
		n = 12
	}
	return utf8.AppendRune(buf, rune(cp)), n
}

func (d *decoder) descend() error {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		return decodeError("Found too many nested data structures (" + strconv.Itoa(d.depth) +
			") at character " + strconv.Itoa(d.pos))
	}
	return nil
}

func (d *decoder) value(tok *token) (lua.LValue, error) {
	switch tok.typ {
	case tString:
		return d.L.StringValue(tok.str), nil
	case tNumber:
		return lua.LNumber(tok.num), nil
	case tBoolean:
		return lua.LBool(tok.b), nil
	case tNull:
		return d.cfg.st.null, nil
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	}
	return nil, d.parseError("value", tok)
}

func (d *decoder) object() (lua.LValue, error) {
	if err := d.descend(); err != nil {
		return nil, err
	}
	base := len(d.stack)
	var tok token
	d.next(&tok)
	if tok.typ != tObjEnd {
		for {
			if tok.typ != tString {
				return nil, d.parseError("object key string", &tok)
			}
			key := d.L.StringValue(tok.str)
			d.next(&tok)
			if tok.typ != tColon {
				return nil, d.parseError("colon", &tok)
			}
			d.next(&tok)
			v, err := d.value(&tok)
			if err != nil {
				return nil, err
			}
			d.stack = append(d.stack, key, v)
			d.next(&tok)
			if tok.typ == tObjEnd {
				break
			}
			if tok.typ != tComma {
				return nil, d.parseError("comma or object end", &tok)
			}
			d.next(&tok)
		}
	}
	items := d.stack[base:]
	t := d.L.CreateTable(0, len(items)/2)
	for k := 0; k < len(items); k += 2 {
		// the key is boxed already: RawSetH keeps it rather than boxing
		// the string again
		t.RawSetH(items[k], items[k+1])
	}
	clear(items)
	d.stack = d.stack[:base]
	d.depth--
	return t, nil
}

func (d *decoder) array() (lua.LValue, error) {
	if err := d.descend(); err != nil {
		return nil, err
	}
	base := len(d.stack)
	var tok token
	d.next(&tok)
	if tok.typ != tArrEnd {
		for {
			v, err := d.value(&tok)
			if err != nil {
				return nil, err
			}
			d.stack = append(d.stack, v)
			d.next(&tok)
			if tok.typ == tArrEnd {
				break
			}
			if tok.typ != tComma {
				return nil, d.parseError("comma or array end", &tok)
			}
			d.next(&tok)
		}
	}
	items := d.stack[base:]
	t := d.L.CreateTable(len(items), 0)
	for k, v := range items {
		t.RawSetInt(k+1, v)
	}
	if d.cfg.decodeArrayMT {
		t.Metatable = d.cfg.st.arrayMT
	}
	clear(items)
	d.stack = d.stack[:base]
	d.depth--
	return t, nil
}
