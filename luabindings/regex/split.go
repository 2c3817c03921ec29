package regex

import (
	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// split(subject, regex, options?, ctx?, max?, res?) of lua-resty-core's
// ngx.re module: the pieces between matches, the first capture of each
// match inserted after its piece, trailing empty pieces dropped unless
// max limits the number of pieces.
func reSplit(vm *luabindings.VM, L *lua.LState) int {
	subj := tostr(L, L.Get(1))
	ctx, _ := L.Get(4).(*lua.LTable)
	start := 1
	if ctx != nil {
		if n, ok := L.GetField(ctx, "pos").(lua.LNumber); ok {
			start = int(n)
		} else {
			L.SetField(ctx, "pos", lua.LNumber(1))
		}
	}
	max := 0
	if n, ok := L.Get(5).(lua.LNumber); ok {
		max = int(n)
	}
	var res *lua.LTable
	switch v := L.Get(6).(type) {
	case *lua.LNilType:
		res = L.CreateTable(4, 0)
	case *lua.LTable:
		res = v
	default:
		L.RaiseError("res is not a table")
	}
	slen := len(subj)
	if start > slen {
		res.RawSetInt(1, lua.LNil)
		L.Push(res)
		return 1
	}
	pat := regexArg(L, 2)
	opts, flags := optsArg(L, 3)
	re, errs := lookupLog(vm, pat, opts, flags)
	if re == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 2
	}
	sub := getSubject(subj, re.flags&flagUTF8 != 0)
	defer putSubject(sub)
	var buf [16]int
	m := result{caps: buf[:0]}

	// indices below are 1-based like the Lua original
	subIdx := start
	resIdx := 0
	lastEmpty := 0 // 0: none
	pos := start - 1
	count := 1
	for max <= 0 || count < max {
		p := pos
		if p < 0 {
			p = 0
		}
		ok, rc := re.exec(sub, p, &m)
		if rc < 0 {
			if ctx != nil {
				L.SetField(ctx, "pos", lua.LNumber(pos))
			}
			L.Push(lua.LNil)
			L.Push(execError(rc))
			return 2
		}
		if !ok {
			break
		}
		from, to := m.caps[0], m.caps[1]
		if from == to {
			pos = to + 1
		} else {
			pos = to
		}
		from++
		to++
		var capture lua.LValue
		if re.ncap > 0 && m.caps[2] >= 0 {
			capture = lua.LString(subj[m.caps[2]:m.caps[3]])
		}
		if lastEmpty != 0 {
			subIdx = lastEmpty
		}
		if from == to {
			lastEmpty = from
		}
		if from > subIdx || lastEmpty == 0 {
			count++
			resIdx++
			res.RawSetInt(resIdx, lua.LString(luaSub(subj, subIdx, from-1)))
			if capture != nil {
				resIdx++
				res.RawSetInt(resIdx, capture)
			}
			subIdx = to
			if subIdx > slen {
				break
			}
		}
	}
	if ctx != nil {
		L.SetField(ctx, "pos", lua.LNumber(pos))
	}
	if max <= 0 && subIdx > slen {
		for i := resIdx; i >= 1; i-- {
			if v, ok := res.RawGetInt(i).(lua.LString); !ok || v != "" {
				resIdx = i
				break
			}
			res.RawSetInt(i, lua.LNil)
			if i == 1 {
				resIdx = 0
			}
		}
	} else {
		resIdx++
		res.RawSetInt(resIdx, lua.LString(luaSub(subj, subIdx, slen)))
	}
	res.RawSetInt(resIdx+1, lua.LNil)
	L.Push(res)
	return 1
}

// luaSub is string.sub(s, i, j) for 1-based i, j within bounds or empty.
func luaSub(s string, i, j int) string {
	if i < 1 {
		i = 1
	}
	if j > len(s) {
		j = len(s)
	}
	if i > j {
		return ""
	}
	return s[i-1 : j]
}

// opt(name, value): only jit_stack_size exists; with no JIT it is a no-op.
func reOpt(L *lua.LState) int {
	if L.Get(1).String() == "jit_stack_size" {
		if _, ok := L.Get(2).(lua.LNumber); !ok {
			L.RaiseError("bad argument #2 to 'opt' (number expected, got %s)", L.Get(2).Type().String())
		}
		return 0
	}
	L.RaiseError("unrecognized option name")
	return 0
}
