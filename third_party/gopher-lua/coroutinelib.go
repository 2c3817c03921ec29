package lua

func OpenCoroutine(L *LState) int {
	// TODO: Tie module name to contents of linit.go?
	mod := L.RegisterModule(CoroutineLibName, coFuncs)
	L.Push(mod)
	return 1
}

var coFuncs = map[string]LGFunction{
	"create":  coCreate,
	"yield":   coYield,
	"resume":  coResume,
	"running": coRunning,
	"status":  coStatus,
	"wrap":    coWrap,
}

func coCreate(L *LState) int {
	fn := L.CheckFunction(1)
	newthread, _ := L.NewThread()
	base := 0
	newthread.stack.Push(callFrame{
		Fn:         fn,
		Pc:         0,
		Base:       base,
		LocalBase:  base + 1,
		ReturnBase: base,
		NArgs:      0,
		NRet:       MultRet,
		Parent:     nil,
		TailCall:   0,
	})
	L.Push(newthread)
	return 1
}

func coYield(L *LState) int {
	// goresty: a yield with a Go-recursive VM loop between it and the
	// coroutine's resume (a metamethod, table.sort's comparator, a Go
	// function calling Lua) cannot unwind that Go frame: raise LuaJIT's
	// error for a yield across a C call instead of corrupting the thread.
	// pcall, xpcall and iterators in the coroutine's own loop are frames
	// of that loop (goresty_coroutine.go) and can be yielded across.
	if L.goCalls > 0 {
		L.RaiseError("attempt to yield across C-call boundary")
	}
	return -1
}

// checkCoroutine is CheckThread with LuaJIT's message.
func checkCoroutine(L *LState, n int) *LState {
	th, ok := L.Get(n).(*LState)
	if !ok {
		L.ArgError(n, "coroutine expected")
	}
	return th
}

func coResume(L *LState) int {
	th := checkCoroutine(L, 1)
	if L.G.CurrentThread == th {
		msg := "cannot resume running coroutine"
		if th.wrapped {
			L.RaiseError(msg)
			return 0
		}
		L.Push(LFalse)
		L.Push(LString(msg))
		return 2
	}
	if th.Dead {
		msg := "cannot resume dead coroutine"
		if th.wrapped {
			L.RaiseError(msg)
			return 0
		}
		L.Push(LFalse)
		L.Push(LString(msg))
		return 2
	}
	th.Parent = L
	L.G.CurrentThread = th
	if !th.isStarted() {
		cf := th.stack.Last()
		th.currentFrame = cf
		th.SetTop(0)
		nargs := L.GetTop() - 1
		L.XMoveTo(th, nargs)
		cf.NArgs = nargs
		th.initCallFrame(cf)
		th.Panic = panicWithoutTraceback
	} else {
		nargs := L.GetTop() - 1
		L.XMoveTo(th, nargs)
		// goresty: the values resume passes are the results of the
		// coroutine.yield call; pad them with nils to the count that call
		// expects, as luaD_poscall does (its registers held stale values)
		padYieldResults(th, nargs)
	}
	top := L.GetTop()
	threadRun(th)
	return L.GetTop() - top
}

func coRunning(L *LState) int {
	if L.G.MainThread == L {
		L.Push(LNil)
		return 1
	}
	L.Push(L.G.CurrentThread)
	return 1
}

func coStatus(L *LState) int {
	L.Push(LString(L.Status(checkCoroutine(L, 1))))
	return 1
}

func wrapaux(L *LState) int {
	L.Insert(L.ToThread(UpvalueIndex(1)), 1)
	return coResume(L)
}

func coWrap(L *LState) int {
	coCreate(L)
	L.CheckThread(L.GetTop()).wrapped = true
	v := L.Get(L.GetTop())
	L.Pop(1)
	L.Push(L.NewClosure(wrapaux, v))
	return 1
}

//
