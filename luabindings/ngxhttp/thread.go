package ngxhttp

import (
	"errors"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

// lightThread is an ngx.thread: a Lua function running on its own
// goroutine and VM thread for the same request, started with
// RunUntilBlocked so it runs until its first blocking call, as
// OpenResty's coroutine-based threads do.
type lightThread struct {
	done    chan struct{}
	results []lua.LValue
	err     error
	waited  bool
	killed  bool
	ctx     *luabindings.Ctx
	// parent is the coroutine that spawned the thread: only it may
	// wait on or kill it
	parent *lua.LState
}

type threadsKey struct{}

func init() {
	luabindings.Register("ngx.thread", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		th := subTable(L, ngx, "thread")
		// coroutine.status knows light threads, as lua-nginx-module's
		// (which are coroutines): "running" until it ends (one waiting on
		// I/O or a sleep is running to nginx), "zombie" once it ended and
		// nobody waited for it, "dead" after wait or kill
		if co, ok := L.GetGlobal("coroutine").(*lua.LTable); ok {
			if status, ok := co.RawGetString("status").(*lua.LFunction); ok {
				co.RawSetString("status", L.NewFunction(func(L *lua.LState) int {
					if ud, ok := L.Get(1).(*lua.LUserData); ok {
						if t, ok := ud.Value.(*lightThread); ok {
							L.Push(lua.LString(t.status()))
							return 1
						}
					}
					L.Insert(status, 1)
					L.Call(L.GetTop()-1, 1)
					return 1
				}))
			}
		}
		// coroutine.running in a light thread's own body is the thread
		// (what spawn returned), as upstream where a light thread is a
		// coroutine. Only touched with the VM held.
		self := map[*luabindings.Ctx]*lua.LUserData{}
		if co, ok := L.GetGlobal("coroutine").(*lua.LTable); ok {
			if running, ok := co.RawGetString("running").(*lua.LFunction); ok {
				co.RawSetString("running", L.NewFunction(func(L *lua.LState) int {
					if c := vm.Current(); c != nil && c.L == L {
						if ud, ok := self[c]; ok {
							L.Push(ud)
							return 1
						}
					}
					L.Push(running)
					L.Call(0, 1)
					return 1
				}))
			}
		}
		setFuncs(L, th, map[string]lua.LGFunction{
			"spawn": func(L *lua.LState) int {
				// a light thread is a coroutine: a C (Go) function
				// cannot be its body, as lua-nginx-module refuses
				fn, ok := L.Get(1).(*lua.LFunction)
				if !ok || fn.IsG {
					L.ArgError(1, "Lua function expected")
				}
				parent := vm.CheckPhase(L, sleepPhases...)
				var args []lua.LValue
				for i := 2; i <= L.GetTop(); i++ {
					args = append(args, L.Get(i))
				}
				ud := L.NewUserData()
				t := spawnThread(vm, parent, L, fn, args, self, ud)
				ud.Value = t
				L.Push(ud)
				return 1
			},
			"wait": func(L *lua.LState) int {
				vm.CheckPhase(L, sleepPhases...)
				var ts []*lightThread
				n := L.GetTop()
				if n == 0 {
					L.RaiseError("at least one coroutine should be specified")
				}
				for i := 1; i <= n; i++ {
					t := threadArg(L, i)
					if t == nil {
						L.RaiseError("attempt to wait on a coroutine that is not a user thread")
					}
					if t.parent != L {
						L.RaiseError("only the parent coroutine can wait on the thread")
					}
					if t.waited || t.killed {
						// as lua-nginx-module: a dead thread is skipped
						// unless it is the last argument
						if i < n {
							continue
						}
						L.Push(lua.LNil)
						L.Push(lua.LString("already waited or killed"))
						return 2
					}
					ts = append(ts, t)
				}
				var got *lightThread
				for got == nil {
					for _, t := range ts {
						select {
						case <-t.done:
							got = t
						default:
						}
						if got != nil {
							break
						}
					}
					if got == nil {
						cases := ts
						wake := vm.Current().Wake()
						vm.Unlocked(func() { waitAny(cases, wake) })
					}
				}
				got.waited = true
				if got.err != nil {
					L.Push(lua.LFalse)
					if errors.Is(got.err, luabindings.ErrExit) {
						L.Push(lua.LString("exit"))
					} else {
						var ae *lua.ApiError
						if errors.As(got.err, &ae) {
							L.Push(ae.Object)
						} else {
							L.Push(lua.LString(got.err.Error()))
						}
					}
					return 2
				}
				L.Push(lua.LTrue)
				for _, v := range got.results {
					L.Push(v)
				}
				return 1 + len(got.results)
			},
			"kill": func(L *lua.LState) int {
				t := threadArg(L, 1)
				if t == nil {
					L.Push(lua.LNil)
					L.Push(lua.LString("not user thread"))
					return 2
				}
				if t.parent != L {
					L.Push(lua.LNil)
					L.Push(lua.LString("killer not parent"))
					return 2
				}
				if t.waited || t.killed {
					L.Push(lua.LNil)
					L.Push(lua.LString("already waited or killed"))
					return 2
				}
				select {
				case <-t.done:
					t.killed = true // a zombie is deleted: dead from now on
					L.Push(lua.LNil)
					L.Push(lua.LString("already terminated"))
					return 2
				default:
				}
				// the thread unwinds when its blocking call returns
				if t.ctx.Sleeping && vm.Debug() {
					vm.LogRaw(luabindings.LogDebug, "lua clean up the timer for pending ngx.sleep")
				}
				t.killed = true
				t.ctx.Kill()
				L.Push(lua.LNumber(1))
				return 1
			},
		})
	})
}

// threadArg is the light thread at argument i, nil for a coroutine that
// is not one; any other value raises "lua thread expected".
func threadArg(L *lua.LState, i int) *lightThread {
	switch v := L.Get(i).(type) {
	case *lua.LUserData:
		if t, ok := v.Value.(*lightThread); ok {
			return t
		}
	case *lua.LState:
		return nil
	}
	L.ArgError(i, "lua thread expected")
	return nil
}

func waitAny(ts []*lightThread, wake <-chan struct{}) {
	if len(ts) == 1 {
		select {
		case <-ts[0].done:
		case <-wake:
		}
		return
	}
	agg := make(chan struct{}, len(ts))
	for _, t := range ts {
		t := t
		go func() { <-t.done; agg <- struct{}{} }()
	}
	select {
	case <-agg:
	case <-wake:
	}
}

// WaitThreads blocks (with the VM released) until every light thread of
// the entity c finished; the runtime calls it before ending a request.
func WaitThreads(vm *luabindings.VM, c *luabindings.Ctx) {
	list, _ := c.Value(threadsKey{}).(*[]*lightThread)
	if list == nil {
		return
	}
	// by index: an on_abort handler may start while waiting
	for i := 0; i < len(*list); i++ {
		t := (*list)[i]
		if t.killed {
			continue // unwinds on its own when its blocking call returns
		}
		select {
		case <-t.done:
		default:
			vm.UnlockedNoUnwind(func() { <-t.done })
		}
	}
}

// killThreads stops every Lua thread of the request entity main (the
// entry thread and its light threads) but skip, the one calling.
func killThreads(main, skip *luabindings.Ctx) {
	if main != skip {
		main.Kill()
	}
	list, _ := main.Value(threadsKey{}).(*[]*lightThread)
	if list == nil {
		return
	}
	for _, t := range *list {
		if t.ctx == skip {
			continue
		}
		select {
		case <-t.done:
		default:
			t.ctx.Kill()
		}
	}
}

// onAbort is the state of ngx.on_abort for a request.
type onAbort struct {
	fn      *lua.LFunction
	started bool
}

// clientAbort is httpd.LuaClientAbort: the client of the request whose
// entry thread is main went away.
func clientAbort(vm *luabindings.VM, main *luabindings.Ctx) bool {
	oa, _ := main.Value(onAbortKey{}).(*onAbort)
	if oa == nil {
		killThreads(main, nil)
		return false
	}
	if oa.started {
		return true // already ran for this request
	}
	oa.started = true
	if vm.Debug() {
		vm.Log(luabindings.LogDebug, "lua waking up the on_abort callback thread")
	}
	spawnThread(vm, main, nil, oa.fn, nil, nil, nil)
	return true
}

// spawnThread starts fn as a light thread of the entity parent (whose
// Lua thread L, nil for none, may wait on or kill it) and returns once it
// blocks or ends; the caller holds the VM for parent.
// self, when not nil, maps the running thread to ud for coroutine.running.
func spawnThread(vm *luabindings.VM, parent *luabindings.Ctx, L *lua.LState, fn *lua.LFunction, args []lua.LValue,
	self map[*luabindings.Ctx]*lua.LUserData, ud *lua.LUserData) *lightThread {
	t := &lightThread{done: make(chan struct{}), parent: L}
	child := &luabindings.Ctx{VM: vm, Phase: parent.Phase, Req: parent.Req, Values: parent.Values, MaxRunning: parent.MaxRunning, LogCtx: parent.LogCtx}
	t.ctx = child
	list, _ := parent.Value(threadsKey{}).(*[]*lightThread)
	if list == nil {
		list = new([]*lightThread)
		parent.SetValue(threadsKey{}, list)
		child.Values = parent.Values
	}
	*list = append(*list, t)
	if self != nil {
		ud.Value = t
		self[child] = ud
	}
	vm.RunUntilBlocked(child, func() {
		rets, err := vm.Call(child, fn, args...)
		t.results, t.err = rets, err
		if err != nil && !errors.Is(err, luabindings.ErrExit) {
			vm.Log(luabindings.LogErr, "lua user thread aborted: runtime error: "+luaErr(err))
		}
		if errors.Is(err, luabindings.ErrExit) && !t.killed && parent.Phase == luabindings.PhaseTimer {
			// ngx.exit in a timer's thread ends the timer: its entry
			// thread and the other threads are killed, also out of a
			// pending ngx.sleep
			parent.Kill()
			for _, o := range *list {
				if o != t && !o.killed {
					o.ctx.Kill()
				}
			}
		}
		if self != nil {
			delete(self, child)
		}
		close(t.done)
	})
	return t
}

func init() {
	httpd.WaitLightThreads = WaitThreads
	httpd.LuaClientAbort = clientAbort
}

// status is coroutine.status of the thread.
func (t *lightThread) status() string {
	select {
	case <-t.done:
		if t.waited || t.killed {
			return "dead"
		}
		return "zombie"
	default:
	}
	if t.killed {
		return "dead"
	}
	return "running"
}
