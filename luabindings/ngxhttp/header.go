package ngxhttp

import (
	"strings"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// single-value headers keep only the last value when given a table.
var singleValue = map[string]bool{"content-type": true, "content-length": true, "location": true,
	"last-modified": true, "etag": true, "content-encoding": true, "expires": true, "server": true}

// headerKey turns ngx.header keys into header names: x_two -> x-two.
func headerKey(k string) string {
	if strings.IndexByte(k, '_') >= 0 {
		return strings.ReplaceAll(k, "_", "-")
	}
	return k
}

// safeValue escapes a header value as lua-nginx-module does before
// setting it: control characters but tab, and DEL, become %XX.
func safeValue(v string) string { return escapeHeader(v, &unsafeValue) }

// safeName escapes a header name: besides controls, space, separators
// and bytes over 0x7e (lua-nginx-module's header_name table).
func safeName(v string) string { return escapeHeader(v, &unsafeName) }

var unsafeValue, unsafeName, unsafeArgs [256]bool

func init() {
	for c := 0; c < 256; c++ {
		unsafeValue[c] = c < 0x20 && c != '\t' || c == 0x7f
		unsafeArgs[c] = c <= 0x20 || c == 0x7f
		unsafeName[c] = c <= 0x20 || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", byte(c)) >= 0
	}
}

func escapeHeader(v string, unsafe *[256]bool) string {
	n := 0
	for i := 0; i < len(v); i++ {
		if unsafe[v[i]] {
			n++
		}
	}
	if n == 0 {
		return v
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(v)+2*n)
	for i := 0; i < len(v); i++ {
		if c := v[i]; unsafe[c] {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// headerName is a Lua key of ngx.header as a string (numbers are
// converted, as lua-resty-core's tostring does).
func headerName(L *lua.LState, v lua.LValue) string {
	switch k := v.(type) {
	case lua.LString:
		return string(k)
	case lua.LNumber:
		return k.String()
	}
	L.ArgError(2, "string expected")
	return ""
}

func init() {
	luabindings.Register("ngx.header", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		hdr := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			_, r := request(vm, L)
			var name string
			switch k := L.Get(2).(type) {
			case lua.LString:
				name = string(k)
			case lua.LNumber:
				name = k.String()
			default:
				L.Push(lua.LNil)
				return 1
			}
			if r.TransformUnderscores() {
				name = headerKey(name)
			}
			vs := r.HeaderValues(name)
			switch len(vs) {
			case 0:
				L.Push(lua.LNil)
			case 1:
				L.Push(lua.LString(vs[0]))
			default:
				t := L.CreateTable(len(vs), 0)
				for _, v := range vs {
					t.Append(lua.LString(v))
				}
				L.Push(t)
			}
			return 1
		}))
		mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			// body_filter and log_by_lua may assign too: the header is out
			// by then, which only logs (lua-resty-core semantics)
			c, r := request(vm, L)
			name := headerName(L, L.Get(2))
			if r.TransformUnderscores() {
				name = headerKey(name)
			}
			name = safeName(name)
			if r.HeaderSent() && c.Phase != luabindings.PhaseHeaderFilter {
				vm.Log(luabindings.LogErr, "attempt to set ngx.header.HEADER after sending out response headers")
				return 0
			}
			switch v := L.Get(3).(type) {
			case *lua.LNilType:
				r.SetHeader(name)
			case *lua.LTable:
				var vals []string
				for i := 1; i <= v.Len(); i++ {
					s, ok := tostr(v.RawGetInt(i))
					if !ok {
						L.RaiseError("attempt to set ngx.header.%s to a bad value", name)
					}
					vals = append(vals, safeValue(s))
				}
				if singleValue[strings.ToLower(name)] && len(vals) > 1 {
					vals = vals[len(vals)-1:]
				}
				checkContentLength(L, name, vals...)
				r.SetHeader(name, vals...)
			default:
				s, ok := tostr(v)
				if !ok {
					L.RaiseError("attempt to set ngx.header.%s to a bad value", name)
				}
				checkContentLength(L, name, s)
				r.SetHeader(name, safeValue(s))
			}
			return 0
		}))
		L.SetMetatable(hdr, mt)
		ngx.RawSetString("header", hdr)

		resp := subTable(L, ngx, "resp")
		resp.RawSetString("get_headers", L.NewFunction(func(L *lua.LState) int {
			_, r := request(vm, L)
			max := L.OptInt(1, 100)
			raw := L.OptBool(2, false)
			t := L.NewTable()
			n := 0
			add := func(name, val string) {
				if n++; max > 0 && n > max {
					return // counted for the log line only
				}
				key := name
				if !raw {
					key = strings.ToLower(name)
				}
				switch old := t.RawGetString(key).(type) {
				case *lua.LNilType:
					t.RawSetString(key, lua.LString(val))
				case *lua.LTable:
					old.Append(lua.LString(val))
				default:
					nt := L.NewTable()
					nt.Append(old)
					nt.Append(lua.LString(val))
					t.RawSetString(key, nt)
				}
			}
			r.VisitOutHeaders(add)
			// lua-nginx-module adds the Connection header nginx will send
			if r.KeepAlive() {
				add("Connection", "keep-alive")
			} else {
				add("Connection", "close")
			}
			if !raw {
				L.SetMetatable(t, headersMeta(L))
			}
			L.Push(t)
			if max > 0 && n > max {
				vm.Log(luabindings.LogDebug, "lua exceeding response header limit "+itoa(n)+" > "+itoa(max))
				L.Push(lua.LString("truncated"))
				return 2
			}
			return 1
		}))
		// lua-resty-core's ngx.resp.add_header: appends, never replaces
		resp.RawSetString("add_header", L.NewFunction(func(L *lua.LState) int {
			_, r := request(vm, L)
			name := safeName(headerKey(L.CheckString(1)))
			if r.HeaderSent() {
				vm.Log(luabindings.LogErr, "attempt to set ngx.header.HEADER after sending out response headers")
				return 0
			}
			vals := append([]string(nil), r.HeaderValues(name)...)
			switch v := L.Get(2).(type) {
			case *lua.LTable:
				for i := 1; i <= v.Len(); i++ {
					s, ok := tostr(v.RawGetInt(i))
					if !ok {
						L.RaiseError("attempt to set ngx.header.%s to a bad value", name)
					}
					vals = append(vals, safeValue(s))
				}
			default:
				s, ok := tostr(v)
				if !ok || v == lua.LNil {
					L.ArgError(2, "invalid header value")
				}
				vals = append(vals, safeValue(s))
			}
			r.SetHeader(name, vals...)
			return 0
		}))
		modules := L.GetField(L.GetField(L.Get(lua.GlobalsIndex), "package"), "loaded").(*lua.LTable)
		modules.RawSetString("ngx.resp", resp)
	})
}

// checkContentLength fails as lua-nginx-module does for a Content-Length
// that is not a decimal number (ngx_atoof): "failed to set header".
func checkContentLength(L *lua.LState, name string, vals ...string) {
	if !strings.EqualFold(name, "Content-Length") {
		return
	}
	for _, v := range vals {
		ok := v != ""
		for i := 0; i < len(v) && ok; i++ {
			ok = v[i] >= '0' && v[i] <= '9'
		}
		if !ok {
			L.RaiseError("failed to set header")
		}
	}
}
