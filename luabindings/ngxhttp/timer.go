package ngxhttp

import (
	"container/heap"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

// timers of one VM: counts for lua_max_pending_timers / running_timers.
type timers struct {
	pending, running atomic.Int64
	// limits are read by timer goroutines without the VM lock
	maxPending, maxRunning atomic.Int64
	// due counts timers whose time has come but whose handler has not
	// taken the VM yet (see RunDueTimers)
	due atomic.Int64
	// the queue of pending timers, run by one dispatcher goroutine
	mu      sync.Mutex
	q       timerQueue
	seq     uint64
	started bool
	wake    chan struct{}
}

const timersKey = "ngx.timer.state"

// RunDueTimers lets every timer whose time has come run until it first
// blocks or ends, as one more turn of nginx's event loop would before a
// worker exits; the resty command calls it when the main chunk returns.
// The caller holds the VM (a Go function called from Lua).
func RunDueTimers(vm *luabindings.VM) {
	tm, _ := vm.Services[timersKey].(*timers)
	if tm == nil {
		return
	}
	for tm.due.Load() > 0 {
		vm.Unlocked(func() { time.Sleep(100 * time.Microsecond) })
	}
}

// TimerLimitsKey is the vm.Services key for [2]int{maxPending, maxRunning}.
const TimerLimitsKey = "timer.limits"

var sleepPhases = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite, luabindings.PhaseAccess, luabindings.PhaseContent,
	luabindings.PhaseTimer, luabindings.PhaseSSLClientHello, luabindings.PhaseSSLCert, luabindings.PhaseSSLSessionFetch}

func init() {
	luabindings.Register("ngx.timer", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		tm := &timers{wake: make(chan struct{}, 1)}
		vm.Services[timersKey] = tm
		tm.maxPending.Store(1024)
		tm.maxRunning.Store(256)
		limits := func() {
			if l, ok := vm.Services[TimerLimitsKey].([2]int); ok {
				tm.maxPending.Store(int64(l[0]))
				tm.maxRunning.Store(int64(l[1]))
			}
		}
		ngx.RawSetString("sleep", L.NewFunction(func(L *lua.LState) int {
			d := float64(L.CheckNumber(1))
			if d < 0 {
				L.ArgError(1, "invalid sleep duration \""+lua.LNumber(d).String()+"\"")
			}
			c := vm.CheckPhase(L, sleepPhases...)
			ms := int64(d * 1000)
			if vm.Debug() {
				vm.Log(luabindings.LogDebug, "lua ready to sleep for "+strconv.FormatInt(ms, 10)+" ms")
			}
			wake := c.Wake()
			c.Sleeping = true
			func() {
				defer func() { c.Sleeping = false }()
				vm.Unlocked(func() {
					t := time.NewTimer(time.Duration(d * float64(time.Second)))
					select {
					case <-t.C:
					case <-wake:
						t.Stop()
					}
				})
			}()
			if vm.Debug() {
				vm.Log(luabindings.LogDebug, "lua sleep timer expired: \""+reqURIArgs(c)+"\"")
			}
			return 0
		}))
		timer := subTable(L, ngx, "timer")
		start := func(L *lua.LState, every bool) int {
			delay := float64(L.CheckNumber(1))
			fn, ok := L.Get(2).(*lua.LFunction)
			if !ok || fn.IsG {
				L.ArgError(2, "Lua function expected")
			}
			// as lua-nginx-module: a negative delay fires at once
			if delay < 0 {
				delay = 0
			}
			if every && delay == 0 {
				L.RaiseError("delay cannot be zero")
			}
			c := vm.Current()
			if c != nil && (c.Phase == luabindings.PhaseInit || c.Phase == luabindings.PhaseExitWorker) {
				L.RaiseError("API disabled in the context of %s", c.Phase.Directive())
			}
			if delay > 0 && vm.Exiting() {
				L.Push(lua.LNil)
				L.Push(lua.LString("process exiting"))
				return 2
			}
			limits()
			if tm.pending.Load() >= tm.maxPending.Load() {
				L.Push(lua.LNil)
				L.Push(lua.LString("too many pending timers"))
				return 2
			}
			var args []lua.LValue
			for i := 3; i <= L.GetTop(); i++ {
				args = append(args, L.Get(i))
			}
			tm.pending.Add(1)
			if delay == 0 {
				tm.due.Add(1) // due now, before its goroutine is scheduled
			}
			vm.Background.Add(1)
			vm.Ref()
			d := time.Duration(delay * float64(time.Second))
			tm.add(vm, &pendingTimer{at: time.Now().Add(d), d: d, fn: fn, args: args, every: every, logCtx: timerLogCtx(c)})
			L.Push(lua.LNumber(1))
			return 1
		}
		setFuncs(L, timer, map[string]lua.LGFunction{
			"at":    func(L *lua.LState) int { return start(L, false) },
			"every": func(L *lua.LState) int { return start(L, true) },
			"running_count": func(L *lua.LState) int {
				L.Push(lua.LNumber(tm.running.Load()))
				return 1
			},
			"pending_count": func(L *lua.LState) int {
				L.Push(lua.LNumber(tm.pending.Load()))
				return 1
			},
		})
	})
}

// pendingTimer is one timer waiting in its VM's queue.
type pendingTimer struct {
	at     time.Time
	seq    uint64 // creation order among timers of the same expiry
	d      time.Duration
	fn     *lua.LFunction
	args   []lua.LValue
	every  bool
	logCtx string
	ran    bool // an every timer that ran at least once
}

// timerQueue orders a VM's pending timers by expiry, as nginx's timer
// tree does: timers due at the same time run in creation order.
type timerQueue []*pendingTimer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timerQueue) Push(x any)   { *q = append(*q, x.(*pendingTimer)) }
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	*q = old[:len(old)-1]
	return t
}

// add queues t and starts the VM's dispatcher when none runs.
func (tm *timers) add(vm *luabindings.VM, t *pendingTimer) {
	tm.mu.Lock()
	tm.seq++
	t.seq = tm.seq
	heap.Push(&tm.q, t)
	start := !tm.started
	tm.started = true
	tm.mu.Unlock()
	if start {
		go tm.dispatch(vm)
	}
	select {
	case tm.wake <- struct{}{}:
	default:
	}
}

// dispatch runs the VM's timers in expiry order: each takes the VM and
// runs until it first blocks or ends before the next starts, as one
// worker's event loop does. Once the VM's owner lets go (vm.Done) the
// pending ones run at once with premature set, in the same order.
func (tm *timers) dispatch(vm *luabindings.VM) {
	exiting := false
	for {
		tm.mu.Lock()
		now := time.Now()
		if exiting && len(tm.q) > 0 && vm.Debug() {
			vm.LogRaw(luabindings.LogDebug, "lua abort pending timers")
			vm.LogRaw(luabindings.LogDebug, "lua found "+strconv.Itoa(len(tm.q))+" pending timers to be aborted prematurely")
		}
		var due []*pendingTimer
		for len(tm.q) > 0 && (exiting || !tm.q[0].at.After(now)) {
			due = append(due, heap.Pop(&tm.q).(*pendingTimer))
		}
		var wait <-chan time.Time
		var tmr *time.Timer
		if len(due) == 0 {
			if len(tm.q) == 0 && exiting {
				tm.started = false
				tm.mu.Unlock()
				return
			}
			if len(tm.q) > 0 {
				tmr = time.NewTimer(tm.q[0].at.Sub(now))
				wait = tmr.C
			}
		}
		tm.mu.Unlock()
		if len(due) > 0 {
			for _, t := range due {
				tm.fire(vm, t, exiting)
			}
			continue
		}
		var done <-chan struct{}
		if !exiting {
			done = vm.Done
		}
		select {
		case <-wait:
		case <-tm.wake:
		case <-done:
			exiting = true
		}
		if tmr != nil {
			tmr.Stop()
		}
	}
}

// fire runs timer t once (prematurely when the VM is being let go).
func (tm *timers) fire(vm *luabindings.VM, t *pendingTimer, premature bool) {
	if !t.every {
		tm.pending.Add(-1)
	}
	if t.ran || t.d > 0 {
		tm.due.Add(1)
	}
	t.ran = true
	again := t.every && !premature
	if again {
		// the next run is queued before this one starts, as
		// lua-nginx-module re-adds an every timer in its handler
		vm.Ref()
		vm.Background.Add(1)
		next := *t
		next.at = time.Now().Add(t.d)
		tm.add(vm, &next)
	} else if t.every {
		tm.pending.Add(-1)
	}
	if vm.Debug() {
		vm.LogRaw(luabindings.LogDebug, "lua ngx.timer expired")
	}
	if max := tm.maxRunning.Load(); tm.running.Load() >= max {
		tm.due.Add(-1)
		vm.LogRaw(luabindings.LogAlert, "lua failed to run timer with function defined at "+
			functionSource(t.fn)+": "+strconv.FormatInt(max, 10)+" lua_max_running_timers are not enough")
		vm.Unref()
		vm.Background.Done()
		return
	}
	tm.running.Add(1)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseTimer, LogCtx: t.logCtx}
	callArgs := append([]lua.LValue{lua.LBool(premature)}, t.args...)
	vm.Lock(c)
	tm.due.Add(-1)
	vm.RunUntilBlocked(c, func() {
		_, err := vm.Call(c, t.fn, callArgs...)
		tm.running.Add(-1)
		if err != nil && !errors.Is(err, luabindings.ErrExit) {
			vm.LogRaw(luabindings.LogErr, "lua entry thread aborted: runtime error: "+luaErr(err)+t.logCtx)
		}
		if vm.Debug() {
			// the end of the timer's fake request and connection
			vm.LogRaw(luabindings.LogDebug, "http lua close fake http connection"+t.logCtx)
		}
		// the VM is still held here: its last holder closes it
		// once let go
		go func() {
			vm.Unref()
			vm.Background.Done()
		}()
	})
	vm.Unlock()
}

// reqURIArgs is "uri?args" of the entity's request ("?" for a timer).
func reqURIArgs(c *luabindings.Ctx) string {
	if c.Req == nil {
		return "?"
	}
	uri, _ := c.Req.Var("uri")
	args, _ := c.Req.Var("args")
	return uri + "?" + args
}

// timerLogCtx is the context a timer started by entity c adds to its
// error log lines, as lua-nginx-module's timer log handler: the client
// and listening addresses of the request that started it (or of the
// timer that did), none from init_worker_by_lua.
func timerLogCtx(c *luabindings.Ctx) string {
	if c == nil {
		return timerCtxText
	}
	if c.Phase == luabindings.PhaseTimer && c.LogCtx != "" {
		return c.LogCtx
	}
	r, ok := c.Req.(*httpd.Request)
	if !ok || r == nil {
		return timerCtxText
	}
	client, listen := r.ConnLogText()
	s := timerCtxText
	if client != "" {
		s += ", client: " + client
	}
	if listen != "" {
		s += ", server: " + listen
	}
	return s
}

const timerCtxText = ", context: ngx.timer"

// functionSource is where fn was defined as LuaJIT's lua_getinfo names
// it: "=content_by_lua(nginx.conf:12):3" for inline code, "@/path/f.lua:3"
// for a file.
func functionSource(fn *lua.LFunction) string {
	if fn.IsG || fn.Proto == nil {
		return "=[C]:-1"
	}
	return chunkSource(fn.Proto.SourceName) + ":" + strconv.Itoa(fn.Proto.LineDefined)
}

// chunkSource gives a chunk name LuaJIT's prefix: "@" for a file, "="
// for a named string chunk.
func chunkSource(name string) string {
	if name == "" || name[0] == '=' || name[0] == '@' {
		return name
	}
	if strings.HasSuffix(name, ".lua") || strings.HasSuffix(name, ".ljbc") || strings.ContainsRune(name, '/') && !strings.HasSuffix(name, ")") {
		return "@" + name
	}
	return "=" + name
}

func luaErr(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		msg := ae.Object.String()
		if tb := ae.ThreadTraceback(); tb != "" {
			msg += "\n" + tb
		} else if ae.StackTrace != "" {
			msg += "\n" + ae.StackTrace
		}
		return msg
	}
	return err.Error()
}

// TimerCounts are the VM's pending and running timers (for metrics).
func TimerCounts(vm *luabindings.VM) (pending, running int64) {
	tm, _ := vm.Services[timersKey].(*timers)
	if tm == nil {
		return 0, 0
	}
	return tm.pending.Load(), tm.running.Load()
}
