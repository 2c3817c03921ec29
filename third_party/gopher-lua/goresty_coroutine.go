package lua

import "fmt"

// goresty: yieldable pcall and xpcall.
//
// In a coroutine's own VM loop (threadRun: no Go frame between the loop
// and coroutine.resume), a call to the base library's pcall or xpcall
// does not recurse into LState.PCall. The protected function is pushed as
// a frame of the same loop, marked Protect, with its results going one
// register above pcall's own slot, which holds true. A coroutine.yield
// inside it then has no Go frame to cross, as in LuaJIT. An error raised
// while such a frame is on the stack panics out of the loop to
// threadRunLoop, which unwinds to the topmost marked frame
// (catchProtected), stores false and the error value (after calling
// xpcall's handler with the stack still in place) and resumes the loop.
// Everywhere else (the main thread, loops run by Go code such as
// metamethods and LState.Call) pcall stays LState.PCall.

// callFrame.Protect values: the kind of protected call (protectMask
// bits), and tforPending on a frame whose OP_TFORLOOP called a Lua
// iterator as a frame of the loop and runs again when it returns.
const (
	protectPCall  uint8 = 1
	protectXPCall uint8 = 2
	protectMask   uint8 = 3
	tforPending   uint8 = 0x80
)

// callProtected starts pcall/xpcall's protected call as a frame of the
// loop. done is false when the arguments need the library function's own
// checks and errors (it then runs as a plain Go function); yielded reports
// that a Go callee yielded.
func callProtected(L *LState, cf *callFrame, kind uint8, RA, nargs, nret int) (done, yielded bool) {
	reg := L.reg
	if L.stack.IsFull() {
		return false, false
	}
	fnv := reg.Get(RA + 1)
	base := RA + 1
	if kind == protectPCall {
		if nargs < 1 {
			return false, false
		}
	} else {
		if nargs < 2 {
			return false, false
		}
		errfn, ok := reg.Get(RA + 2).(*LFunction)
		if _, isfn := fnv.(*LFunction); !isfn || !ok {
			return false, false
		}
		// the handler goes below the function, where xpcall's first
		// result goes: catchProtected finds it at Base-1
		reg.Set(RA+1, errfn)
		reg.Set(RA+2, fnv)
		base = RA + 2
		nargs--
	}
	callable, isfn := fnv.(*LFunction)
	meta := false
	if !isfn {
		callable, meta = L.metaCall(fnv)
		if callable == nil {
			return false, false
		}
	}
	reg.Set(RA, LTrue)
	rnret := nret
	if nret > 0 {
		rnret = nret - 1
	}
	L.pushCallFrame(callFrame{
		Fn:         callable,
		Base:       base,
		LocalBase:  base + 1,
		ReturnBase: RA + 1,
		NArgs:      nargs - 1,
		NRet:       rnret,
		Parent:     cf,
		Protect:    kind,
	}, fnv, meta)
	if callable.IsG {
		return true, callGFunction(L, false)
	}
	return true, false
}

// catchProtected handles an error raised in a coroutine's loop: when a
// frame started by callProtected is on the stack, the stack is unwound to
// it, its pcall/xpcall returns false and the error value, and true is
// returned (the loop goes on). Uncatchable values are never caught.
func (ls *LState) catchProtected(rcv interface{}) bool {
	if _, ok := rcv.(Uncatchable); ok {
		return false
	}
	idx := -1
	for i := ls.stack.Sp() - 1; i >= 0; i-- {
		if ls.stack.At(i).Protect&protectMask != 0 {
			idx = i
			break
		}
	}
	if idx < 0 {
		return false
	}
	pf := ls.stack.At(idx)
	var errv LValue
	if e, ok := rcv.(*ApiError); ok {
		errv = e.Object
	} else {
		errv = LString(fmt.Sprint(rcv))
	}
	if errv == nil {
		errv = LNil
	}
	rb, nret, fbase := pf.ReturnBase, pf.NRet, pf.Base
	if pf.Protect&protectMask == protectXPCall {
		errv = ls.callErrorHandler(ls.reg.Get(fbase-1), errv)
	}
	ls.stack.SetSp(idx)
	ls.currentFrame = ls.stack.Last()
	ls.goCalls = 0 // protected frames are in the thread's own loop only
	ls.closeUpvalues(fbase)
	reg := ls.reg
	reg.Set(rb-1, LFalse)
	switch {
	case nret == MultRet:
		reg.Set(rb, errv)
		reg.SetTop(rb + 1)
	case nret > 0:
		reg.Set(rb, errv)
		reg.FillNil(rb+1, nret-1)
		reg.SetTop(rb + nret)
	default:
		reg.SetTop(rb)
	}
	return true
}

// callErrorHandler calls xpcall's handler with the error value while the
// failing frames are still on the stack; an error in the handler is the
// "error in error handling" instead, as in LState.PCall.
func (ls *LState) callErrorHandler(handler, errv LValue) (res LValue) {
	sp := ls.stack.Sp()
	cf := ls.currentFrame
	top := ls.reg.Top()
	defer func() {
		if rcv := recover(); rcv != nil {
			if _, ok := rcv.(Uncatchable); ok {
				panic(rcv)
			}
			if _, ok := rcv.(*ApiError); ok {
				res = LString("error in error handling") // LUA_ERRERR
			} else {
				res = LString(fmt.Sprint(rcv))
			}
			ls.stack.SetSp(sp)
			ls.currentFrame = cf
			ls.reg.SetTop(top)
		}
	}()
	ls.reg.Push(handler)
	ls.reg.Push(errv)
	ls.Call(1, 1)
	res = ls.reg.Pop()
	return res
}

// padYieldResults pads the values a resume passes to a coroutine with
// nils, up to the count its pending yield call expects (luaD_poscall).
func padYieldResults(th *LState, nargs int) {
	for nret := th.yieldNRet; nargs < nret; nargs++ {
		th.Push(LNil)
	}
}
