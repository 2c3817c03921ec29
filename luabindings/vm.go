// Package luabindings implements OpenResty's Lua API (the ngx table, cjson,
// the resty.* libraries) on gopher-lua. Like lua-nginx-module's src/, each
// sub-API lives in a file of its own and registers itself in init().
//
// The worker model: one VM (one *lua.LState and its globals) per worker.
// A request or timer runs on its own thread of that VM while holding the
// VM's mutex; a Go function that blocks (I/O, sleep) releases the mutex
// around the blocking call with VM.Unlocked, so other requests on the
// same worker proceed, even when the blocking call sits inside pcall.
package luabindings

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Phase is the request-processing phase a piece of Lua runs in.
type Phase uint8

const (
	PhaseInit Phase = iota
	PhaseInitWorker
	PhaseSet
	PhaseRewrite
	PhaseServerRewrite
	PhaseAccess
	PhaseContent
	PhaseHeaderFilter
	PhaseBodyFilter
	PhaseLog
	PhaseTimer
	PhaseBalancer
	PhaseSSLClientHello
	PhaseSSLCert
	PhaseSSLSessionStore
	PhaseSSLSessionFetch
	PhaseExitWorker
)

var phaseNames = [...]string{"init", "init_worker", "set", "rewrite", "server_rewrite", "access", "content",
	"header_filter", "body_filter", "log", "timer", "balancer",
	"ssl_client_hello", "ssl_cert", "ssl_session_store", "ssl_session_fetch", "exit_worker"}

// String gives the name ngx.get_phase() returns.
func (p Phase) String() string { return phaseNames[p] }

// Directive gives the directive family named in "API disabled" errors.
func (p Phase) Directive() string {
	switch p {
	case PhaseInit:
		return "init_by_lua*"
	case PhaseInitWorker:
		return "init_worker_by_lua*"
	case PhaseSet:
		return "set_by_lua*"
	case PhaseRewrite:
		return "rewrite_by_lua*"
	case PhaseServerRewrite:
		return "server_rewrite_by_lua*"
	case PhaseAccess:
		return "access_by_lua*"
	case PhaseContent:
		return "content_by_lua*"
	case PhaseHeaderFilter:
		return "header_filter_by_lua*"
	case PhaseBodyFilter:
		return "body_filter_by_lua*"
	case PhaseLog:
		return "log_by_lua*"
	case PhaseTimer:
		return "ngx.timer"
	case PhaseBalancer:
		return "balancer_by_lua*"
	case PhaseSSLClientHello:
		return "ssl_client_hello_by_lua*"
	case PhaseSSLCert:
		return "ssl_certificate_by_lua*"
	case PhaseSSLSessionStore:
		return "ssl_session_store_by_lua*"
	case PhaseSSLSessionFetch:
		return "ssl_session_fetch_by_lua*"
	case PhaseExitWorker:
		return "exit_worker_by_lua*"
	}
	return "unknown"
}

// Log levels, numbered as ngx.STDERR .. ngx.DEBUG.
const (
	LogStderr = iota
	LogEmerg
	LogAlert
	LogCrit
	LogErr
	LogWarn
	LogNotice
	LogInfo
	LogDebug
)

// Ctx is one running Lua entity: a request (across its phases) or a timer.
type Ctx struct {
	VM    *VM
	L     *lua.LState // the thread running this entity's Lua
	Phase Phase
	Req   Request // nil outside request phases (init, timers)
	// Values holds per-entity state owned by individual bindings
	// (ngx.ctx table, pending threads, ...), keyed by the binding.
	Values map[any]any
	// Exited is set by ngx.exit and friends to stop the current handler.
	Exited bool
	// ExitCode is the code ngx.exit gave in a phase without a request
	// (the SSL phases); ExitSet tells it was called.
	ExitCode int
	ExitSet  bool
	// handoff, when set, is closed by the first blocking call of this
	// entity instead of unlocking the VM: ownership goes back to the
	// spawner waiting on it (ngx.thread.spawn runs a thread until it
	// blocks, then resumes the parent).
	handoff chan struct{}
	// Killed (ngx.thread.kill) makes the entity unwind at its next
	// return from a blocking call; set it with Kill, which also ends a
	// wait on Wake.
	Killed bool
	// Blocked counts the blocking calls the entity made (it yielded).
	Blocked int
	// Sleeping is set while the entity waits in ngx.sleep.
	Sleeping bool
	// wake is closed by Kill: a blocking call waiting on Wake returns
	// early (the entity then unwinds).
	wake     chan struct{}
	wakeDone bool
	// MaxRunning (lua_max_running_time) bounds the time the entity runs
	// Lua holding the VM, not counting blocking calls; 0 is no limit.
	// Only checked on a VM made with LimitRunningTime.
	MaxRunning time.Duration
	ran, since time.Duration
	// LogCtx ends the error log lines of an entity without a request (a
	// timer's ", context: ngx.timer, client: ..., server: ...").
	LogCtx string
}

// Kill makes the entity unwind at its next return from a blocking call
// and wakes a call waiting on Wake (ngx.sleep, ngx.thread.wait). Hold
// the VM to call it.
func (c *Ctx) Kill() {
	c.Killed = true
	if !c.wakeDone {
		c.wakeDone = true
		if c.wake != nil {
			close(c.wake)
		}
	}
}

// Revive clears Kill for an entity that runs again (the request's next
// handler). Hold the VM.
func (c *Ctx) Revive() {
	c.Killed, c.wakeDone, c.wake = false, false, nil
}

// Wake is closed once the entity is killed; take it with the VM held,
// before the blocking call.
func (c *Ctx) Wake() <-chan struct{} {
	if c.wake == nil {
		c.wake = make(chan struct{})
		if c.wakeDone {
			close(c.wake)
		}
	}
	return c.wake
}

// ResetRunningTime starts a new handler's count for lua_max_running_time.
func (c *Ctx) ResetRunningTime(limit time.Duration) {
	c.MaxRunning, c.ran = limit, 0
	if c.VM != nil && c.VM.cur == c {
		c.since = monotonic()
	}
}

var processStart = time.Now()

func monotonic() time.Duration { return time.Since(processStart) }

// hookEvery is how many Lua instructions run between two checks of the
// running time; a check reads the monotonic clock (some 20-50ns).
const hookEvery = 1000

// RunningTimeExceeded interrupts a handler that ran Lua longer than its
// MaxRunning. pcall does not catch it; Call returns it as an error.
type RunningTimeExceeded struct {
	Limit time.Duration
	Where string // chunk:line: of the interrupted code
	Trace string
}

// LuaUncatchable marks it for the patched PCall.
func (*RunningTimeExceeded) LuaUncatchable() {}

func (e *RunningTimeExceeded) Error() string {
	return e.Where + " lua_max_running_time (" + e.Limit.String() + ") exceeded"
}

// LimitRunningTime makes the VM check its entities' MaxRunning every
// hookEvery instructions. Call it before any thread of the VM exists;
// a VM without it pays nothing.
func (vm *VM) LimitRunningTime() {
	vm.timed = true
	vm.L.SetInstructionHook(hookEvery, func(L *lua.LState) int {
		if c := vm.cur; c != nil && c.MaxRunning > 0 && c.ran+monotonic()-c.since > c.MaxRunning {
			panic(&RunningTimeExceeded{Limit: c.MaxRunning, Where: L.Where(0), Trace: L.StackTrace()})
		}
		return hookEvery
	})
}

// setCur makes c the entity running on the VM, keeping the running-time
// count of the entities that stop and start running.
func (vm *VM) setCur(c *Ctx) {
	if (vm.cur == nil) != (c == nil) {
		// busy time: the VM is held by some entity
		now := monotonic()
		if c != nil {
			vm.busySince = now
		} else {
			vm.busy.Add(int64(now - vm.busySince))
		}
	}
	if vm.timed && vm.cur != c {
		now := monotonic()
		if p := vm.cur; p != nil {
			p.ran += now - p.since
		}
		if c != nil {
			c.since = now
		}
	}
	vm.cur = c
}

// RunUntilBlocked runs fn (which executes Lua for c) on a new goroutine
// with the VM handed over from the caller, and returns once fn blocks
// for the first time or finishes; the caller holds the VM again then.
func (vm *VM) RunUntilBlocked(c *Ctx, fn func()) {
	parent := vm.cur
	h := make(chan struct{})
	c.handoff = h
	go func() {
		fn()
		if c.handoff != nil {
			// finished without blocking: ownership goes straight back
			c.handoff = nil
			close(h)
			return
		}
		vm.Unlock()
	}()
	<-h
	vm.setCur(parent)
}

// Value returns the per-entity value stored under key.
func (c *Ctx) Value(key any) any {
	if c.Values == nil {
		return nil
	}
	return c.Values[key]
}

// SetValue stores a per-entity value.
func (c *Ctx) SetValue(key, v any) {
	if c.Values == nil {
		c.Values = make(map[any]any, 4)
	}
	c.Values[key] = v
}

// VM is one worker's Lua state. All Lua runs with mu held.
type VM struct {
	L           *lua.LState
	mu          sync.Mutex
	cur         *Ctx
	timed       bool // LimitRunningTime was called
	Worker      int  // ngx.worker.id()
	WorkerCount int  // ngx.worker.count()
	Prefix      string
	// Log writes one line to the error log at an ngx log level, with the
	// context of the current entity (hold the VM to call it).
	Log func(level int, msg string)
	// LogRaw writes one line as it is; callable without holding the VM.
	LogRaw func(level int, msg string)
	// LogLevel is the error log's threshold, ngx.STDERR..ngx.DEBUG: a
	// binding builds a debug line only when Debug() says it is written.
	LogLevel int
	// Services gives bindings access to process-wide facilities set up by
	// the runtime (shared dicts, the amqp publisher, ...), keyed by name.
	Services map[string]any
	// Exiting reports ngx.worker.exiting().
	Exiting func() bool
	// Done is closed when the owner of the VM releases it (a reload, a
	// rejected configuration, shutdown): pending timers then run at once
	// with premature = true. nil: never.
	Done      <-chan struct{}
	busy      atomic.Int64 // nanoseconds the VM was held
	busySince time.Duration
	// Background counts the goroutines that run Lua on the VM outside any
	// request (timers); the owner waits for them before closing the VM.
	Background sync.WaitGroup
	ngx        *lua.LTable
	threads    []*lua.LState
	pool       *Pool
	// ctxRefs numbers the ngx.ctx tables of requests as lua-nginx-module's
	// luaL_ref does (lowest free first after a release), for its debug
	// lines "lua release ngx.ctx at ref N".
	ctxMu   sync.Mutex
	ctxFree []int
	ctxNext int
	// refs counts the holders of a VM made for one request
	// (lua_code_cache off): the request and each of its timers; the last
	// to let go closes it. 0: a worker's VM, not counted.
	refs atomic.Int64
}

// CtxRef takes a number for an ngx.ctx table (luaL_ref's: a released
// one first, the last released first).
func (vm *VM) CtxRef() int {
	vm.ctxMu.Lock()
	defer vm.ctxMu.Unlock()
	if n := len(vm.ctxFree); n > 0 {
		ref := vm.ctxFree[n-1]
		vm.ctxFree = vm.ctxFree[:n-1]
		return ref
	}
	vm.ctxNext++
	return vm.ctxNext
}

// CtxUnref gives back a number CtxRef returned.
func (vm *VM) CtxUnref(ref int) {
	vm.ctxMu.Lock()
	vm.ctxFree = append(vm.ctxFree, ref)
	vm.ctxMu.Unlock()
}

// SetRefCounted makes the VM one that closes when its last holder (see
// Ref, Unref) lets go; the caller is the first holder.
func (vm *VM) SetRefCounted() { vm.refs.Store(1) }

// Ref adds a holder to a reference-counted VM (a timer it started).
func (vm *VM) Ref() {
	if vm.refs.Load() > 0 {
		vm.refs.Add(1)
	}
}

// Unref drops a holder of a reference-counted VM and closes it after the
// last, as lua-nginx-module's ngx_http_lua_cleanup_vm. Call it without
// holding the VM.
func (vm *VM) Unref() {
	if vm.refs.Load() <= 0 {
		return
	}
	if vm.Debug() {
		vm.LogRaw(LogDebug, "lua decrementing the reference count for Lua VM: "+strconv.FormatInt(vm.refs.Load(), 10))
	}
	if vm.refs.Add(-1) > 0 {
		return
	}
	if vm.Debug() {
		vm.LogRaw(LogDebug, "lua close the global Lua VM")
	}
	vm.mu.Lock()
	vm.L.Close()
	vm.mu.Unlock()
}

// Debug reports whether debug-level lines reach the error log.
func (vm *VM) Debug() bool { return vm.LogLevel >= LogDebug }

// Lock takes the VM for c and makes c the current entity.
func (vm *VM) Lock(c *Ctx) {
	vm.mu.Lock()
	vm.setCur(c)
}

// Unlock releases the VM.
func (vm *VM) Unlock() {
	vm.setCur(nil)
	vm.unlockMu()
}

// unlockMu unlocks the mutex and tells a request waiting in Pool.Lock
// that a worker may be free.
func (vm *VM) unlockMu() {
	vm.mu.Unlock()
	if p := vm.pool; p != nil && p.waiting.Load() > 0 {
		p.wake()
	}
}

// Pool hands new requests to the worker VMs the way the kernel's accept
// hands connections to nginx workers: only to a worker that is free.
// A worker that runs Lua (a handler in a loop, or just a busy one) is
// skipped; when every worker is busy the request waits for whichever
// frees first. Requests already started on a worker stay there (their
// Lua state lives in that VM) and lock it directly.
type Pool struct {
	vms     []*VM
	next    atomic.Uint32
	waiting atomic.Int32
	freed   chan struct{} // one token: "a worker may have become free"
}

// NewPool groups the workers' VMs; each VM belongs to one pool.
func NewPool(vms []*VM) *Pool {
	p := &Pool{vms: vms, freed: make(chan struct{}, 1)}
	for _, vm := range vms {
		vm.pool = p
	}
	return p
}

func (p *Pool) wake() {
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// tryLock takes the first free VM, starting after the one used last.
func (p *Pool) tryLock() int {
	n := len(p.vms)
	start := int(p.next.Add(1))
	for i := 0; i < n; i++ {
		k := (start + i) % n
		if p.vms[k].mu.TryLock() {
			return k
		}
	}
	return -1
}

// Lock takes a free VM for c (setting c.VM) and returns its index.
func (p *Pool) Lock(c *Ctx) int {
	if len(p.vms) == 1 {
		p.vms[0].Lock(c)
		c.VM = p.vms[0]
		return 0
	}
	k := p.tryLock()
	if k < 0 {
		// Every release after this Add sees the waiter and leaves a
		// token; a release before it left the mutex free for tryLock.
		p.waiting.Add(1)
		for {
			if k = p.tryLock(); k >= 0 {
				break
			}
			<-p.freed
		}
		if p.waiting.Add(-1) > 0 {
			// the token that woke us may stand for several releases
			p.wake()
		}
	}
	vm := p.vms[k]
	vm.setCur(c)
	c.VM = vm
	return k
}

// Current is the entity holding the VM. Only valid inside a Go function
// called from Lua (or otherwise with the VM locked).
func (vm *VM) Current() *Ctx { return vm.cur }

// Unlocked runs fn, which may block, with the VM released, and takes the
// VM back for the same entity afterwards. fn must not touch Lua state.
func (vm *VM) Unlocked(fn func()) {
	if c := vm.cur; c != nil {
		c.Blocked++
	}
	if c := vm.unlocked(fn); c != nil && c.Killed {
		panic(ExitSignal{})
	}
}

// UnlockedNoUnwind is Unlocked for the runtime waiting on an entity's
// work (its light threads): the entity is not unwound if it was killed
// meanwhile.
func (vm *VM) UnlockedNoUnwind(fn func()) { vm.unlocked(fn) }

// unlocked releases the VM (or hands it back to a spawner waiting on the
// entity's first block), runs fn and takes the VM back for the entity,
// which it returns. A panic in fn still takes the VM back.
func (vm *VM) unlocked(fn func()) *Ctx {
	c := vm.cur
	vm.setCur(nil)
	if c != nil && c.handoff != nil {
		h := c.handoff
		c.handoff = nil
		close(h)
	} else {
		vm.unlockMu()
	}
	defer func() {
		vm.mu.Lock()
		vm.setCur(c)
	}()
	fn()
	return c
}

// Ngx is the global ngx table.
func (vm *VM) Ngx() *lua.LTable { return vm.ngx }

// CheckPhase raises OpenResty's "API disabled in the context of X" error
// unless the current entity runs in one of the allowed phases.
func (vm *VM) CheckPhase(L *lua.LState, allowed ...Phase) *Ctx {
	c := vm.cur
	if c == nil {
		L.RaiseError("no request found")
		return nil
	}
	for _, p := range allowed {
		if c.Phase == p {
			return c
		}
	}
	L.RaiseError("API disabled in the context of %s", c.Phase.Directive())
	return nil
}

// RequireRequest raises "no request found" outside request phases.
func (vm *VM) RequireRequest(L *lua.LState) *Ctx {
	c := vm.cur
	if c == nil || c.Req == nil {
		L.RaiseError("no request found")
		return nil
	}
	return c
}

// Binding installs one sub-API into a fresh VM: it may fill the ngx table
// and register preloaded modules.
type Binding func(vm *VM, ngx *lua.LTable)

type namedBinding struct {
	name string
	fn   Binding
}

var bindings []namedBinding

// Register adds a sub-API. Bindings are installed in name order so that a
// later one may extend tables made by an earlier one ("ngx.req" before
// "ngx.req.body").
func Register(name string, fn Binding) {
	bindings = append(bindings, namedBinding{name, fn})
	sort.SliceStable(bindings, func(i, j int) bool { return bindings[i].name < bindings[j].name })
}

// ModuleLoader builds the value require(name) returns.
type ModuleLoader func(vm *VM, L *lua.LState) lua.LValue

var modules = map[string]ModuleLoader{}

// RegisterModule makes require(name) find a built-in module before
// package.path is searched.
func RegisterModule(name string, load ModuleLoader) { modules[name] = load }

// BuiltinModules lists the registered built-in module names.
func BuiltinModules() []string {
	names := make([]string, 0, len(modules))
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewVM makes a worker's Lua state with every binding installed.
func NewVM(worker, count int, prefix string, log func(int, string)) *VM {
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	vm := &VM{L: L, Worker: worker, WorkerCount: count, Prefix: prefix, Log: log,
		Services: map[string]any{}, Exiting: func() bool { return false }}
	if vm.Log == nil {
		vm.Log = func(int, string) {}
	}
	vm.LogRaw = vm.Log
	vm.LogLevel = LogErr
	vm.ngx = L.NewTable()
	L.SetGlobal("ngx", vm.ngx)
	pkg := L.GetField(L.Get(lua.GlobalsIndex), "package")
	// require "ngx" returns the ngx table, as lua-nginx-module's
	// package.loaded.ngx
	if loaded, ok := L.GetField(pkg, "loaded").(*lua.LTable); ok {
		loaded.RawSetString("ngx", vm.ngx)
	}
	preload := L.GetField(pkg, "preload").(*lua.LTable)
	for name, load := range modules {
		load := load
		preload.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			L.Push(load(vm, L))
			return 1
		}))
	}
	for _, b := range bindings {
		b.fn(vm, vm.ngx)
	}
	return vm
}

// BusyTime is how long entities held the VM so far (running Lua or Go
// called from it).
func (vm *VM) BusyTime() time.Duration { return time.Duration(vm.busy.Load()) }

var luaErrors [len(phaseNames)]atomic.Uint64

// LuaErrors counts the Lua errors raised in phase p (not ngx.exit) so far,
// by every VM of the process.
func LuaErrors(p Phase) uint64 { return luaErrors[p].Load() }

// IsSSL reports the SSL handshake phases (ssl_*_by_lua*).
func (p Phase) IsSSL() bool { return p >= PhaseSSLClientHello && p <= PhaseSSLSessionFetch }

// Phases lists the phases.
func Phases() []Phase {
	out := make([]Phase, len(phaseNames))
	for i := range out {
		out[i] = Phase(i)
	}
	return out
}

// Close releases the Lua state.
func (vm *VM) Close() { vm.L.Close() }

// Exec runs fn on a thread of the VM for entity c, taking and releasing
// the VM around the call. It returns fn's results or the Lua error (with
// its traceback).
func (vm *VM) Exec(c *Ctx, fn *lua.LFunction, args ...lua.LValue) ([]lua.LValue, error) {
	vm.Lock(c)
	defer vm.Unlock()
	return vm.Call(c, fn, args...)
}

// ExitSignal unwinds a running handler for ngx.exit, ngx.exec and
// ngx.redirect; Lua's pcall does not catch it (see the gopher-lua fork).
type ExitSignal struct{}

// LuaUncatchable marks ExitSignal for the patched PCall.
func (ExitSignal) LuaUncatchable() {}

// ExitHandler ends the running handler with ExitSignal, without a Go
// panic when L's VM loop is the handler's own (see the gopher-lua fork's
// LState.Exit). The calling Go function must return right after it.
func ExitHandler(L *lua.LState) { L.Exit(ExitSignal{}) }

// ErrExit is what Call returns when the handler ended through ExitSignal.
var ErrExit = errors.New("lua handler exited")

// Call is Exec for a caller that already holds the VM.
func (vm *VM) Call(c *Ctx, fn *lua.LFunction, args ...lua.LValue) (rets []lua.LValue, err error) {
	th := vm.thread()
	prevL, prevCur := c.L, vm.cur
	c.L = th
	vm.setCur(c)
	defer func() {
		if rec := recover(); rec != nil {
			var rte *RunningTimeExceeded
			switch v := rec.(type) {
			case ExitSignal:
			case *RunningTimeExceeded:
				rte = v
			default:
				panic(rec)
			}
			// PCall restored the thread's stack before passing the
			// signal on, so the thread is clean and can be reused
			th.SetTop(0)
			c.L = prevL
			vm.setCur(prevCur)
			vm.releaseThread(th)
			rets, err = nil, ErrExit
			if rte != nil {
				err = &lua.ApiError{Type: lua.ApiErrorRun, Object: lua.LString(rte.Error()), StackTrace: rte.Trace}
			}
		}
	}()
	base := th.GetTop()
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	err = th.PCallThread(len(args), lua.MultRet)
	if err == lua.ErrExited {
		// a direct Exit (ExitHandler): PCall restored the stack
		rets, err = nil, ErrExit
		if rte, ok := th.TakeExit().(*RunningTimeExceeded); ok {
			err = &lua.ApiError{Type: lua.ApiErrorRun, Object: lua.LString(rte.Error()), StackTrace: rte.Trace}
		}
		th.SetTop(0)
		c.L = prevL
		vm.setCur(prevCur)
		vm.releaseThread(th)
		return rets, err
	}
	if err == nil {
		n := th.GetTop() - base
		if n > 0 {
			rets = make([]lua.LValue, n)
			for i := 0; i < n; i++ {
				rets[i] = th.Get(base + 1 + i)
			}
		}
	}
	if err != nil && int(c.Phase) < len(luaErrors) {
		luaErrors[c.Phase].Add(1)
	}
	th.SetTop(base)
	c.L = prevL
	vm.setCur(prevCur)
	vm.releaseThread(th)
	return rets, err
}

// DoString compiles and runs code for entity c (for init code and tests;
// request handlers use compiled protos instead).
func (vm *VM) DoString(c *Ctx, name, code string) error {
	vm.Lock(c)
	defer vm.Unlock()
	fn, err := vm.L.Load(stringsReader(code), name)
	if err != nil {
		return err
	}
	_, err = vm.Call(c, fn)
	return err
}

// thread takes a pooled thread of the VM; the pool is bounded so that
// idle threads do not pile up after a burst.
func (vm *VM) thread() *lua.LState {
	if n := len(vm.threads); n > 0 {
		th := vm.threads[n-1]
		vm.threads = vm.threads[:n-1]
		return th
	}
	th, _ := vm.L.NewThread()
	return th
}

const maxIdleThreads = 256

func (vm *VM) releaseThread(th *lua.LState) {
	if len(vm.threads) < maxIdleThreads && th.GetTop() == 0 {
		vm.threads = append(vm.threads, th)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
