package lua

import "math"

// goresty: helpers that keep hot library functions from allocating.

// PushNumber pushes n like Push(n) without a heap allocation per number:
// small integers are shared values, others come from the state's block
// allocator, as the VM's arithmetic results do.
func (ls *LState) PushNumber(n LNumber) {
	ls.reg.Push(ls.numberValue(n))
}

func (ls *LState) numberValue(n LNumber) LValue {
	if n == 0 && math.Signbit(float64(n)) {
		return n // the allocator's shared 0 is +0
	}
	return ls.alloc.LNumber2I(n)
}

// StringValue boxes s as an LValue without a heap allocation per string:
// the state's block allocator holds the string headers, as it does for
// numbers. For strings a library function returns or stores per call
// (variables, decoded JSON, query arguments).
func (ls *LState) StringValue(s string) LValue {
	return ls.alloc.LString2I(LString(s))
}

// PushString is Push(LString(s)) through StringValue.
func (ls *LState) PushString(s string) {
	ls.reg.Push(ls.alloc.LString2I(LString(s)))
}

// typeNameValues are the results of type(), boxed once.
var typeNameValues = func() (a [len(lValueNames)]LValue) {
	for i, s := range lValueNames {
		a[i] = LString(s)
	}
	return
}()

// callMeta calls an __index (nargs 2: obj, key; one result) or __newindex
// (nargs 3: obj, key, value; no result) function. A Go function is
// called directly, without the nested VM loop LState.Call runs.
func (ls *LState) callMeta(fn *LFunction, obj, key, value LValue, nargs int) LValue {
	base := ls.reg.Top()
	ls.reg.Push(fn)
	ls.reg.Push(obj)
	ls.reg.Push(key)
	nret := 1
	if nargs == 3 {
		ls.reg.Push(value)
		nret = 0
	}
	if !fn.IsG {
		ls.Call(nargs, nret)
	} else {
		ls.pushCallFrame(callFrame{Fn: fn, Base: base, LocalBase: base + 1, ReturnBase: base, NArgs: nargs, NRet: nret, Parent: ls.currentFrame}, fn, false)
		ls.goCalls++ // a yield from here has a Go frame to cross (coYield)
		if callGFunction(ls, false) {
			ls.RaiseError("attempt to yield across C-call boundary")
		}
		ls.goCalls--
	}
	if nret == 0 {
		ls.reg.SetTop(base)
		return nil
	}
	return ls.reg.Pop()
}
