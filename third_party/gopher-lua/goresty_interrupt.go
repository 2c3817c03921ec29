package lua

// goresty: an instruction hook for limiting how long Lua runs.
//
// SetInstructionHook replaces the state's VM loop with one that calls fn
// every n instructions. Threads made from the state afterwards (pooled
// request threads, coroutines) inherit it. The hook may panic with an
// Uncatchable value to interrupt the running code: PCall passes it on.
// A state without a hook runs the stock loop, at no cost.

// InstructionHook is called by the VM loop; it returns how many
// instructions run before the next call. If it panics, the next
// instruction executed by any thread with the same hook calls it again.
type InstructionHook func(L *LState) int

type instructionHook struct {
	fn    InstructionHook
	count int
}

// SetInstructionHook installs fn, first called after n instructions.
// Set it before making threads from ls.
func (ls *LState) SetInstructionHook(n int, fn InstructionHook) {
	h := &instructionHook{fn: fn, count: n}
	ls.mainLoop = func(L *LState, baseframe *callFrame) { mainLoopWithHook(L, baseframe, h) }
}

func mainLoopWithHook(L *LState, baseframe *callFrame, h *instructionHook) {
	var inst uint32
	var cf *callFrame

	if L.stack.IsEmpty() {
		return
	}

	L.currentFrame = L.stack.Last()
	if L.currentFrame.Fn.IsG {
		callGFunction(L, false)
		return
	}

	for {
		cf = L.currentFrame
		inst = cf.Fn.Proto.Code[cf.Pc]
		cf.Pc++
		if h.count--; h.count <= 0 {
			// Pc is past the instruction about to run, as positions
			// in tracebacks expect
			h.count = 1
			h.count = h.fn(L)
		}
		if jumpTable[int(inst>>26)](L, inst, baseframe) == 1 {
			return
		}
	}
}

// StackTrace is the traceback of the running Lua code, as PCall puts in
// an ApiError.
func (ls *LState) StackTrace() string { return ls.stackTrace(0) }
