package ngxstring

import (
	"errors"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// MaxArgs is lua-nginx-module's default limit for decoded arguments.
const MaxArgs = 100

// DecodeArgs parses a query string like ngx.decode_args and
// ngx.req.get_uri_args: "+" and %XX decoded, repeated keys collected into
// an array, a key without "=" gives true, empty keys are skipped. max > 0
// stops after max pairs; truncated then reports that more followed.
func DecodeArgs(L *lua.LState, s string, max int) (tbl *lua.LTable, truncated bool) {
	tbl = L.CreateTable(0, 4)
	count := 0
	q := 0
	parsingValue := false
	var key string
	for p := 0; p < len(s); p++ {
		c := s[p]
		if c == '=' && !parsingValue {
			key = UnescapeURI(s[q:p])
			q = p + 1
			parsingValue = true
		} else if c == '&' {
			var val lua.LValue
			if parsingValue {
				val = L.StringValue(UnescapeURI(s[q:p]))
			} else {
				key = UnescapeURI(s[q:p])
				val = lua.LTrue
			}
			q = p + 1
			parsingValue = false
			if key != "" {
				setMulti(L, tbl, key, val)
			}
			count++
			if max > 0 && count == max {
				return tbl, true
			}
		}
	}
	if q != len(s) || parsingValue {
		var val lua.LValue
		if parsingValue {
			val = L.StringValue(UnescapeURI(s[q:]))
		} else {
			key = UnescapeURI(s[q:])
			val = lua.LTrue
		}
		if key != "" {
			setMulti(L, tbl, key, val)
		}
	}
	return tbl, false
}

// setMulti stores val under key, turning repeated keys into an array.
func setMulti(L *lua.LState, tbl *lua.LTable, key string, val lua.LValue) {
	old := tbl.RawGetString(key)
	switch o := old.(type) {
	case *lua.LNilType:
		tbl.RawSetH(L.StringValue(key), val) // key boxed without an allocation
	case *lua.LTable:
		o.RawSetInt(o.Len()+1, val)
	default:
		arr := L.CreateTable(4, 0)
		arr.RawSetInt(1, old)
		arr.RawSetInt(2, val)
		tbl.RawSetString(key, arr)
	}
}

// EncodeArgs builds a query string from a Lua table like ngx.encode_args
// and ngx.req.set_uri_args: keys and values escaped as URI components,
// true gives a bare key, false is skipped, an array value repeats the key.
// Pairs come in the order of pairs() over the table (lua-nginx-module walks
// it with lua_next): LTable.ForEach visits a large table's hash part in Go
// map order, which changes from call to call.
func EncodeArgs(L *lua.LState, tbl *lua.LTable) (string, error) {
	var b strings.Builder
	first := true
	sep := func() {
		if !first {
			b.WriteByte('&')
		}
		first = false
	}
	var err error
	forPairs(tbl, func(k, v lua.LValue) {
		if err != nil {
			return
		}
		ks, ok := k.(lua.LString)
		if !ok {
			err = errors.New(`attempt to use a non-string key in the "args" option table`)
			return
		}
		key := EscapeURI(string(ks), EscapeURIComponent)
		switch val := v.(type) {
		case lua.LString, lua.LNumber:
			sep()
			b.WriteString(key)
			b.WriteByte('=')
			b.WriteString(EscapeURI(val.String(), EscapeURIComponent))
		case lua.LBool:
			if val {
				sep()
				b.WriteString(key)
			}
		case *lua.LTable:
			forPairs(val, func(_, e lua.LValue) {
				if err != nil {
					return
				}
				switch ev := e.(type) {
				case lua.LBool:
					if ev {
						sep()
						b.WriteString(key)
					}
				case lua.LString, lua.LNumber:
					sep()
					b.WriteString(key)
					b.WriteByte('=')
					b.WriteString(EscapeURI(ev.String(), EscapeURIComponent))
				default:
					err = errors.New("attempt to use " + typeName(e) + " as query arg value")
				}
			})
		default:
			err = errors.New("attempt to use " + typeName(v) + " as query arg value")
		}
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// forPairs calls cb for each field of t in the order of pairs(t).
func forPairs(t *lua.LTable, cb func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		cb(k, v)
	}
}

// ngx.encode_args(table)
func ngxEncodeArgs(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError("expecting 1 argument but seen %d", n)
	}
	tbl, ok := L.Get(1).(*lua.LTable)
	if !ok {
		argError(L, 1, "table")
	}
	s, err := EncodeArgs(L, tbl)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	return pushString(L, s)
}

// ngx.decode_args(str, max_args?)
func ngxDecodeArgs(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError("expecting 1 or 2 arguments but seen %d", n)
	}
	s := checkString(L, 1)
	max := MaxArgs
	if n == 2 {
		max = checkInt(L, 2)
	}
	tbl, truncated := DecodeArgs(L, s, max)
	L.Push(tbl)
	if truncated {
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// checkInt is luaL_checkint: numbers and numeric strings.
func checkInt(L *lua.LState, n int) int {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return int(v)
	case lua.LString:
		if f, err := parseNumber(string(v)); err == nil {
			return int(f)
		}
	}
	argError(L, n, "number")
	return 0
}

func parseNumber(s string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}
