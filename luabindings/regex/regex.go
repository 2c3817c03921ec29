// Package regex implements ngx.re (match, find, gmatch, sub, gsub) and the
// ngx.re module of lua-resty-core (split, opt) on regexp2, with PCRE's
// semantics: see README.md.
package regex

import (
	"strconv"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("ngx.re", install)
	luabindings.RegisterModule("ngx.re", loadModule)
}

func install(vm *luabindings.VM, ngx *lua.LTable) {
	L := vm.L
	re, ok := ngx.RawGetString("re").(*lua.LTable)
	if !ok {
		re = L.NewTable()
		ngx.RawSetString("re", re)
	}
	re.RawSetString("match", L.NewFunction(func(L *lua.LState) int { return reMatch(vm, L) }))
	re.RawSetString("find", L.NewFunction(func(L *lua.LState) int { return reFind(vm, L) }))
	gmatchMT := L.NewTable()
	gmatchMT.RawSetString("__call", L.NewFunction(gmatchIterate))
	re.RawSetString("gmatch", L.NewFunction(func(L *lua.LState) int { return reGmatch(vm, L, gmatchMT) }))
	re.RawSetString("sub", L.NewFunction(func(L *lua.LState) int { return reSub(vm, L, false) }))
	re.RawSetString("gsub", L.NewFunction(func(L *lua.LState) int { return reSub(vm, L, true) }))
}

func loadModule(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("version", lua.LNumber(1025))
	m.RawSetString("split", L.NewFunction(func(L *lua.LState) int { return reSplit(vm, L) }))
	m.RawSetString("opt", L.NewFunction(reOpt))
	return m
}

// tostr is Lua's tostring().
func tostr(L *lua.LState, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	return L.ToStringMeta(v).String()
}

// regexArg reads the pattern; resty.core takes its length, which fails
// for anything but a string.
func regexArg(L *lua.LState, n int) string {
	v := L.Get(n)
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	L.RaiseError("attempt to get length of local 'regex' (a %s value)", v.Type().String())
	return ""
}

// optsArg reads and parses the opts string.
func optsArg(L *lua.LState, n int) (string, int) {
	v := L.Get(n)
	switch o := v.(type) {
	case *lua.LNilType:
		return "", 0
	case lua.LString:
		flags, bad, ok := parseOpts(string(o))
		if !ok {
			L.RaiseError("unknown flag \"%c\" (flags \"%s\")", bad, string(o))
		}
		return string(o), flags
	}
	L.RaiseError("attempt to get length of local 'opts' (a %s value)", v.Type().String())
	return "", 0
}

func execError(rc int) lua.LString {
	return lua.LString("pcre_exec() failed: " + strconv.Itoa(rc))
}

// ctxPos reads ctx.pos as a 0-based byte offset.
func ctxPos(L *lua.LState, ctx *lua.LTable) int {
	if ctx == nil {
		return 0
	}
	n, ok := L.GetField(ctx, "pos").(lua.LNumber)
	if !ok || n <= 0 {
		return 0
	}
	return int(n) - 1
}

// collect fills (or creates) the captures table like resty.core's
// collect_captures: [0] whole match, [i] groups (false when unset), names.
func (re *Regex) collect(L *lua.LState, subj string, caps []int, tbl *lua.LTable) *lua.LTable {
	if tbl == nil {
		tbl = L.CreateTable(re.ncap, len(re.names))
	}
	for i := 0; i <= re.ncap; i++ {
		from := caps[2*i]
		if from >= 0 {
			tbl.RawSetInt(i, lua.LString(subj[from:caps[2*i+1]]))
		} else {
			tbl.RawSetInt(i, lua.LFalse)
		}
	}
	if len(re.names) == 0 {
		return tbl
	}
	dup := re.flags&flagDupNames != 0
	for _, e := range re.names {
		if !dup {
			tbl.RawSetString(e.name, tbl.RawGetInt(e.groups[0]))
			continue
		}
		for _, g := range e.groups {
			from := caps[2*g]
			if from < 0 {
				continue // unmatched captures are not collected
			}
			v := lua.LString(subj[from:caps[2*g+1]])
			if old, ok := tbl.RawGetString(e.name).(*lua.LTable); ok {
				old.RawSetInt(old.Len()+1, v)
			} else {
				t := L.CreateTable(len(e.groups), 0)
				t.RawSetInt(1, v)
				tbl.RawSetString(e.name, t)
			}
		}
	}
	return tbl
}

// ngx.re.match(subject, regex, options?, ctx?, res_table?)
func reMatch(vm *luabindings.VM, L *lua.LState) int {
	subj := tostr(L, L.Get(1))
	pat := regexArg(L, 2)
	opts, flags := optsArg(L, 3)
	re, errs := lookupLog(vm, pat, opts, flags)
	if re == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 2
	}
	ctx, _ := L.Get(4).(*lua.LTable)
	resTbl, _ := L.Get(5).(*lua.LTable)
	var buf [16]int
	res := result{caps: buf[:0]}
	ok, rc := execCtx(L, re, subj, ctx, &res)
	if rc < 0 {
		L.Push(lua.LNil)
		L.Push(execError(rc))
		return 2
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(re.collect(L, subj, res.caps, resTbl))
	return 1
}

// execCtx matches from ctx.pos (when given) and moves ctx.pos past the
// match, as match and find do.
func execCtx(L *lua.LState, re *Regex, subj string, ctx *lua.LTable, res *result) (bool, int) {
	sub := getSubject(subj, re.flags&flagUTF8 != 0)
	ok, rc := re.exec(sub, ctxPos(L, ctx), res)
	putSubject(sub)
	if ok && rc >= 0 && ctx != nil {
		L.SetField(ctx, "pos", lua.LNumber(res.caps[1]+1))
	}
	return ok, rc
}

// ngx.re.find(subject, regex, options?, ctx?, nth?)
func reFind(vm *luabindings.VM, L *lua.LState) int {
	subj := tostr(L, L.Get(1))
	pat := regexArg(L, 2)
	opts, flags := optsArg(L, 3)
	re, errs := lookupLog(vm, pat, opts, flags)
	if re == nil {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 3
	}
	ctx, _ := L.Get(4).(*lua.LTable)
	var buf [16]int
	res := result{caps: buf[:0]}
	ok, rc := execCtx(L, re, subj, ctx, &res)
	if rc < 0 {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(execError(rc))
		return 3
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	nth := 0
	if n, ok := L.Get(5).(lua.LNumber); ok && n > 0 {
		nth = int(n)
	}
	if nth > re.ncap {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString("nth out of bound"))
		return 3
	}
	from, to := res.caps[2*nth], res.caps[2*nth+1]
	if from < 0 || to < 0 {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	L.Push(lua.LNumber(from + 1))
	L.Push(lua.LNumber(to))
	return 2
}

// gmatchState is the Go side of a gmatch iterator.
type gmatchState struct {
	re   *Regex
	sub  *subject // nil once exhausted
	pos  int
	caps result
}

// ngx.re.gmatch(subject, regex, options?) returns a callable iterator
// table, like resty.core.
func reGmatch(vm *luabindings.VM, L *lua.LState, mt *lua.LTable) int {
	subj := tostr(L, L.Get(1))
	pat := regexArg(L, 2)
	opts, flags := optsArg(L, 3)
	re, errs := lookupLog(vm, pat, opts, flags)
	if re == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 2
	}
	st := &gmatchState{re: re, sub: getSubject(subj, re.flags&flagUTF8 != 0)}
	ud := L.NewUserData()
	ud.Value = st
	it := L.CreateTable(0, 1)
	it.RawSetString("_state", ud)
	L.SetMetatable(it, mt)
	L.Push(it)
	return 1
}

func gmatchIterate(L *lua.LState) int {
	it, _ := L.Get(1).(*lua.LTable)
	var st *gmatchState
	if it != nil {
		if ud, ok := it.RawGetString("_state").(*lua.LUserData); ok {
			st, _ = ud.Value.(*gmatchState)
		}
	}
	if st == nil {
		L.RaiseError("bad gmatch iterator")
	}
	if st.sub == nil {
		L.Push(lua.LNil)
		return 1
	}
	sub := st.sub
	ok, rc := st.re.exec(sub, st.pos, &st.caps)
	if rc < 0 {
		st.finish()
		L.Push(lua.LNil)
		L.Push(execError(rc))
		return 2
	}
	if !ok {
		st.finish()
		L.Push(lua.LNil)
		return 1
	}
	caps := st.caps.caps
	res := st.re.collect(L, sub.s, caps, nil)
	cp := caps[1]
	if cp == caps[0] {
		// an empty match: go on one byte further, as lua-resty-core does
		cp++
		if cp > len(sub.s) {
			st.finish()
			L.Push(res)
			return 1
		}
	}
	st.pos = cp
	L.Push(res)
	return 1
}

func (st *gmatchState) finish() {
	putSubject(st.sub)
	st.sub = nil
}

// ngx.re.sub / ngx.re.gsub (subject, regex, replace, options?)
func reSub(vm *luabindings.VM, L *lua.LState, global bool) int {
	pat := regexArg(L, 2)
	replV := L.Get(3)
	opts, flags := optsArg(L, 4)
	re, errs := lookupLog(vm, pat, opts, flags)
	if re == nil {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 3
	}
	fn, isFn := replV.(*lua.LFunction)
	var tmpl *template
	if !isFn {
		var terr string
		tmpl, terr = lookupTemplate(tostr(L, replV))
		if tmpl == nil {
			vm.Log(luabindings.LogErr, terr)
			L.Push(lua.LNil)
			L.Push(lua.LNil)
			L.Push(lua.LString("failed to compile the replacement template"))
			return 3
		}
	}
	subj := tostr(L, L.Get(1))
	sub := getSubject(subj, re.flags&flagUTF8 != 0)
	var buf [16]int
	res := result{caps: buf[:0]}
	var out []byte
	count, pos, cp := 0, 0, 0
	for {
		ok, rc := re.exec(sub, pos, &res)
		if rc < 0 {
			putSubject(sub)
			L.Push(lua.LNil)
			L.Push(lua.LNil)
			L.Push(execError(rc))
			return 3
		}
		if !ok {
			break
		}
		count++
		caps := res.caps
		if out == nil {
			out = make([]byte, 0, len(subj)+16)
		}
		out = append(out, subj[cp:caps[0]]...)
		if isFn {
			tbl := re.collect(L, subj, caps, nil)
			L.Push(fn)
			L.Push(tbl)
			L.Call(1, 1)
			piece := tostr(L, L.Get(-1))
			L.Pop(1)
			out = append(out, piece...)
		} else {
			out = tmpl.expand(out, subj, caps)
		}
		cp = caps[1]
		pos = cp
		if pos == caps[0] {
			pos++
			if pos > len(subj) {
				break
			}
		}
		if !global {
			break
		}
	}
	putSubject(sub)
	if count == 0 {
		L.Push(lua.LString(subj))
		L.Push(lua.LNumber(0))
		return 2
	}
	out = append(out, subj[cp:]...)
	L.Push(lua.LString(out))
	L.Push(lua.LNumber(count))
	return 2
}
