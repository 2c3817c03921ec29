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
