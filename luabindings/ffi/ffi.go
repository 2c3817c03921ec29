// Package ffi is the small part of LuaJIT's ffi library that pure-Lua
// OpenResty libraries use as a byte buffer (lua-resty-websocket's frame
// masking): char arrays made by ffi.new, indexed from 0, read back with
// ffi.string. There is no C: ffi.cdef and ffi.C raise errors that say so.
package ffi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() { luabindings.RegisterModule("ffi", load) }

// ctype is a supported element type: a VLA ("char[?]") or fixed array.
type ctype struct {
	name   string // as LuaJIT prints it: "char [?]"
	signed bool   // plain char is signed on x86/arm64 Linux
	fixed  int    // element count of "char[N]"; -1 for "[?]"
}

// buf is one cdata array.
type buf struct {
	t *ctype
	b []byte
}

type api struct {
	ctypeMeta, bufMeta *lua.LTable
	types              map[string]*ctype
}

func load(vm *luabindings.VM, L *lua.LState) lua.LValue {
	a := &api{ctypeMeta: L.NewTable(), bufMeta: L.NewTable(), types: map[string]*ctype{}}
	a.bufMeta.RawSetString("__index", L.NewFunction(a.index))
	a.bufMeta.RawSetString("__newindex", L.NewFunction(a.newindex))
	a.bufMeta.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		b := ud.Value.(*buf)
		L.Push(lua.LString(fmt.Sprintf("cdata<%s>: %p", b.t.name, b)))
		return 1
	}))
	a.ctypeMeta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckUserData(1).Value.(*ctype)
		L.Push(a.newBuf(L, t, 2))
		return 1
	}))
	a.ctypeMeta.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckUserData(1).Value.(*ctype)
		L.Push(lua.LString("ctype<" + t.name + ">"))
		return 1
	}))
	m := L.NewTable()
	L.SetFuncs(m, map[string]lua.LGFunction{
		"typeof": func(L *lua.LState) int {
			ud := L.NewUserData()
			ud.Value = a.ctypeOf(L, 1)
			ud.Metatable = a.ctypeMeta
			L.Push(ud)
			return 1
		},
		"new": func(L *lua.LState) int {
			L.Push(a.newBuf(L, a.ctypeOf(L, 1), 2))
			return 1
		},
		"string": a.str,
		"copy":   a.copy,
		"fill":   a.fill,
		"sizeof": func(L *lua.LState) int {
			switch v := L.Get(1).(type) {
			case *lua.LUserData:
				if b, ok := v.Value.(*buf); ok {
					L.Push(lua.LNumber(len(b.b)))
					return 1
				}
			}
			t := a.ctypeOf(L, 1)
			if t.fixed >= 0 {
				L.Push(lua.LNumber(t.fixed))
				return 1
			}
			if L.GetTop() < 2 {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(lua.LNumber(L.CheckInt(2)))
			return 1
		},
		"cdef": func(L *lua.LState) int {
			L.RaiseError("ffi.cdef is not supported: goresty has no FFI (only char buffers)")
			return 0
		},
	})
	cm := L.NewTable()
	cm.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("ffi.C is not supported: goresty has no FFI (missing declaration for symbol '%s')", L.ToString(2))
		return 0
	}))
	c := L.NewTable()
	L.SetMetatable(c, cm)
	m.RawSetString("C", c)
	return m
}

// ctypeOf resolves a type argument: a ctype object or a declaration.
func (a *api) ctypeOf(L *lua.LState, n int) *ctype {
	switch v := L.Get(n).(type) {
	case *lua.LUserData:
		if t, ok := v.Value.(*ctype); ok {
			return t
		}
		if b, ok := v.Value.(*buf); ok {
			return b.t
		}
	case lua.LString:
		decl := strings.Join(strings.Fields(string(v)), " ")
		if t := a.types[decl]; t != nil {
			return t
		}
		t := parseDecl(decl)
		if t == nil {
			L.RaiseError("ffi type not supported by goresty: %s (only char arrays)", string(v))
		}
		a.types[decl] = t
		return t
	}
	L.ArgError(n, "C type expected, got "+L.Get(n).Type().String())
	return nil
}

// parseDecl accepts char, unsigned char, uint8_t and int8_t arrays:
// "T[?]" or "T[N]".
func parseDecl(d string) *ctype {
	i := strings.IndexByte(d, '[')
	if i < 0 || !strings.HasSuffix(d, "]") {
		return nil
	}
	elem := strings.TrimSpace(d[:i])
	dim := strings.TrimSpace(d[i+1 : len(d)-1])
	t := &ctype{fixed: -1}
	switch elem {
	case "char", "int8_t", "signed char", "const char":
		t.signed = true
	case "unsigned char", "uint8_t", "const unsigned char", "const uint8_t":
	default:
		return nil
	}
	if dim != "?" {
		n, err := strconv.Atoi(dim)
		if err != nil || n < 0 {
			return nil
		}
		t.fixed = n
	}
	t.name = elem + " [" + dim + "]"
	return t
}

func (a *api) newBuf(L *lua.LState, t *ctype, n int) *lua.LUserData {
	size := t.fixed
	if size < 0 {
		if L.GetTop() < n {
			L.RaiseError("size of C type is unknown or too large")
		}
		size = L.CheckInt(n)
		if size < 0 || size > 1<<30 {
			L.RaiseError("size of C type is unknown or too large")
		}
	}
	ud := L.NewUserData()
	ud.Value = &buf{t: t, b: make([]byte, size)}
	ud.Metatable = a.bufMeta
	return ud
}

func bufArg(L *lua.LState, n int) *buf {
	if ud, ok := L.Get(n).(*lua.LUserData); ok {
		if b, ok := ud.Value.(*buf); ok {
			return b
		}
	}
	return nil
}

func (a *api) slot(L *lua.LState) (*buf, int) {
	b := bufArg(L, 1)
	k, ok := L.Get(2).(lua.LNumber)
	if b == nil || !ok {
		L.RaiseError("'%s' cannot be indexed with '%s'", "cdata", L.Get(2).Type().String())
	}
	i := int(k)
	if i < 0 || i >= len(b.b) {
		L.RaiseError("index %d out of range (goresty checks cdata array bounds)", i)
	}
	return b, i
}

func (a *api) index(L *lua.LState) int {
	b, i := a.slot(L)
	if b.t.signed {
		L.Push(lua.LNumber(int8(b.b[i])))
	} else {
		L.Push(lua.LNumber(b.b[i]))
	}
	return 1
}

func (a *api) newindex(L *lua.LState) int {
	b, i := a.slot(L)
	v, ok := L.Get(3).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(3).(lua.LString); isStr {
			if f, err := strconv.ParseFloat(string(s), 64); err == nil {
				v, ok = lua.LNumber(f), true
			}
		}
	}
	if !ok {
		L.RaiseError("cannot convert '%s' to '%s'", L.Get(3).Type().String(), strings.TrimSuffix(b.t.name, " ["+dimOf(b.t)+"]"))
	}
	b.b[i] = byte(int64(v))
	return 0
}

func dimOf(t *ctype) string {
	if t.fixed < 0 {
		return "?"
	}
	return strconv.Itoa(t.fixed)
}

// bytesArg is a char* argument: a buffer or a Lua string.
func bytesArg(L *lua.LState, n int, fname string) []byte {
	if b := bufArg(L, n); b != nil {
		return b.b
	}
	if s, ok := L.Get(n).(lua.LString); ok {
		return []byte(string(s))
	}
	L.RaiseError("bad argument #%d to '%s' (cannot convert '%s' to 'const char *')", n, fname, L.Get(n).Type().String())
	return nil
}

// str is ffi.string(ptr[, len]): len bytes, or up to the first NUL.
func (a *api) str(L *lua.LState) int {
	p := bytesArg(L, 1, "string")
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		n := L.CheckInt(2)
		if n < 0 || n > len(p) {
			L.RaiseError("bad argument #2 to 'string' (length %d out of the buffer's range)", n)
		}
		L.Push(lua.LString(p[:n]))
		return 1
	}
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	L.Push(lua.LString(p))
	return 1
}

// copy is ffi.copy(dst, src, len) or ffi.copy(dst, str) (with the NUL).
func (a *api) copy(L *lua.LState) int {
	dst := bufArg(L, 1)
	if dst == nil {
		L.RaiseError("bad argument #1 to 'copy' (cannot convert '%s' to 'void *')", L.Get(1).Type().String())
	}
	src := bytesArg(L, 2, "copy")
	n := len(src)
	if L.GetTop() >= 3 {
		n = L.CheckInt(3)
	} else if _, ok := L.Get(2).(lua.LString); ok {
		src = append(src, 0)
		n++
	}
	if n < 0 || n > len(src) || n > len(dst.b) {
		L.RaiseError("bad argument to 'copy' (length %d out of range)", n)
	}
	copy(dst.b, src[:n])
	return 0
}

// fill is ffi.fill(dst, len[, c]).
func (a *api) fill(L *lua.LState) int {
	dst := bufArg(L, 1)
	if dst == nil {
		L.RaiseError("bad argument #1 to 'fill' (cannot convert '%s' to 'void *')", L.Get(1).Type().String())
	}
	n := L.CheckInt(2)
	c := byte(L.OptInt(3, 0))
	if n < 0 || n > len(dst.b) {
		L.RaiseError("bad argument #2 to 'fill' (length %d out of range)", n)
	}
	for i := 0; i < n; i++ {
		dst.b[i] = c
	}
	return 0
}
