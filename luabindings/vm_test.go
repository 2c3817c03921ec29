package luabindings

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func newTestVM(t *testing.T) *VM {
	t.Helper()
	vm := NewVM(0, 1, t.TempDir(), nil)
	t.Cleanup(vm.Close)
	return vm
}

func compile(t *testing.T, vm *VM, code string) *lua.LFunction {
	t.Helper()
	fn, err := vm.L.Load(strings.NewReader(code), "=test")
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func TestLockUnlockCurrent(t *testing.T) {
	vm := newTestVM(t)
	c := &Ctx{VM: vm, Phase: PhaseContent}
	if vm.Current() != nil {
		t.Fatal("a fresh VM has a current entity")
	}
	vm.Lock(c)
	if vm.Current() != c {
		t.Fatal("Lock did not make c current")
	}
	vm.Unlock()
	if vm.Current() != nil {
		t.Fatal("Unlock left a current entity")
	}
	// Current inside a Go function called from Lua is the running entity
	var seen *Ctx
	vm.L.SetGlobal("probe", vm.L.NewFunction(func(L *lua.LState) int { seen = vm.Current(); return 0 }))
	if _, err := vm.Exec(c, compile(t, vm, "probe()")); err != nil {
		t.Fatal(err)
	}
	if seen != c {
		t.Fatalf("Current() inside Lua = %p, want %p", seen, c)
	}
}

func TestCheckPhase(t *testing.T) {
	vm := newTestVM(t)
	vm.L.SetGlobal("content_only", vm.L.NewFunction(func(L *lua.LState) int {
		vm.CheckPhase(L, PhaseContent, PhaseAccess)
		return 0
	}))
	fn := compile(t, vm, "local ok, err = pcall(content_only) return tostring(err)")
	for _, tc := range []struct {
		phase Phase
		want  string
	}{
		{PhaseContent, "nil"},
		{PhaseAccess, "nil"},
		{PhaseLog, "API disabled in the context of log_by_lua*"},
		{PhaseHeaderFilter, "API disabled in the context of header_filter_by_lua*"},
		{PhaseTimer, "API disabled in the context of ngx.timer"},
		{PhaseServerRewrite, "API disabled in the context of server_rewrite_by_lua*"},
	} {
		rets, err := vm.Exec(&Ctx{VM: vm, Phase: tc.phase}, fn)
		if err != nil {
			t.Fatal(err)
		}
		if got := rets[0].String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.phase, got, tc.want)
		}
	}
}

// A Go function blocking through Unlocked lets another entity run Lua on
// the same VM meanwhile, and gets the VM back for its own entity.
func TestUnlockedLetsOthersRun(t *testing.T) {
	vm := newTestVM(t)
	started := make(chan struct{})
	release := make(chan struct{})
	var after *Ctx
	vm.L.SetGlobal("block", vm.L.NewFunction(func(L *lua.LState) int {
		c := vm.Current()
		vm.Unlocked(func() {
			close(started)
			<-release
		})
		after = vm.Current()
		if after != c {
			L.RaiseError("entity not restored after Unlocked")
		}
		return 0
	}))
	vm.L.SetGlobal("counter", lua.LNumber(0))
	a := &Ctx{VM: vm, Phase: PhaseContent}
	b := &Ctx{VM: vm, Phase: PhaseContent}
	blockFn := compile(t, vm, "local ok = pcall(block) counter = counter + 10 return ok")
	incFn := compile(t, vm, "counter = counter + 1 return counter")
	done := make(chan error, 1)
	go func() {
		rets, err := vm.Exec(a, blockFn)
		if err == nil && rets[0] != lua.LTrue {
			err = errors.New("pcall(block) failed")
		}
		done <- err
	}()
	<-started
	// a is blocked inside pcall: b must get the VM
	got := make(chan lua.LValue, 1)
	go func() {
		rets, err := vm.Exec(b, incFn)
		if err != nil {
			t.Error(err)
		}
		got <- rets[0]
	}()
	select {
	case v := <-got:
		if v != lua.LNumber(1) {
			t.Fatalf("b saw counter %v", v)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("another entity could not run while the first was blocked in Unlocked")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if after != a {
		t.Fatal("Current() after Unlocked is not the blocked entity")
	}
	if v := vm.L.GetGlobal("counter"); v != lua.LNumber(11) {
		t.Fatalf("counter = %v, want 11", v)
	}
}

// Many entities blocking at once on one VM: all proceed, race-free.
func TestUnlockedConcurrent(t *testing.T) {
	const workers = 100
	vm := newTestVM(t)
	// the first nap of each entity waits, with the VM released, until
	// all of them are napping: that finishes only if they overlap
	var napping atomic.Int32
	vm.L.SetGlobal("nap", vm.L.NewFunction(func(L *lua.LState) int {
		vm.Unlocked(func() {
			napping.Add(1)
			for end := time.Now().Add(30 * time.Second); napping.Load() < workers && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
		})
		return 0
	}))
	vm.L.SetGlobal("n", lua.LNumber(0))
	fn := compile(t, vm, "local x = ... nap() n = n + 1 nap() return x * 2")
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rets, err := vm.Exec(&Ctx{VM: vm, Phase: PhaseContent}, fn, lua.LNumber(i))
			if err != nil || rets[0] != lua.LNumber(2*i) {
				t.Errorf("worker %d: %v %v", i, rets, err)
			}
		}(i)
	}
	wg.Wait()
	if n := napping.Load(); n != 2*workers {
		t.Fatalf("%d naps, want %d", n, 2*workers)
	}
	if v := vm.L.GetGlobal("n"); v != lua.LNumber(workers) {
		t.Fatalf("n = %v", v)
	}
}

// ExitSignal is not caught by Lua's pcall, Call reports ErrExit, and the
// thread goes back to the pool clean.
func TestExitSignalUnwindsThroughPcall(t *testing.T) {
	vm := newTestVM(t)
	vm.L.SetGlobal("exit", vm.L.NewFunction(func(L *lua.LState) int { panic(ExitSignal{}) }))
	fn := compile(t, vm, `
		local depth = ...
		local function nest(n)
			if n == 0 then exit() end
			local ok, err = pcall(nest, n - 1)
			reached = "after pcall " .. tostring(err)
		end
		nest(depth)
		reached = "after nest"
	`)
	c := &Ctx{VM: vm, Phase: PhaseContent}
	for i := 0; i < 10000; i++ {
		_, err := vm.Exec(c, fn, lua.LNumber(i%5))
		if !errors.Is(err, ErrExit) {
			t.Fatalf("iteration %d: err %v, want ErrExit", i, err)
		}
	}
	if v := vm.L.GetGlobal("reached"); v != lua.LNil {
		t.Fatalf("code after exit ran: %v", v)
	}
	if n := len(vm.threads); n != 1 {
		t.Fatalf("%d pooled threads after 10000 sequential exits, want 1 reused", n)
	}
	if vm.Current() != nil {
		t.Fatal("Current() left set after exits")
	}
	// the VM and its pooled thread still work
	rets, err := vm.Exec(c, compile(t, vm, "local t = {} for i = 1, 10 do t[i] = i end return #t, select('#', ...)"), lua.LTrue)
	if err != nil || len(rets) != 2 || rets[0] != lua.LNumber(10) || rets[1] != lua.LNumber(1) {
		t.Fatalf("after exits: %v %v", rets, err)
	}
	if th := vm.thread(); th.GetTop() != 0 {
		t.Fatalf("pooled thread has %d stack slots in use", th.GetTop())
	}
}

// A Lua error is returned with its message and the thread is reused.
func TestCallError(t *testing.T) {
	vm := newTestVM(t)
	c := &Ctx{VM: vm, Phase: PhaseContent}
	for i := 0; i < 100; i++ {
		_, err := vm.Exec(c, compile(t, vm, "error('bad thing')"))
		if err == nil || !strings.Contains(err.Error(), "bad thing") {
			t.Fatalf("err = %v", err)
		}
	}
	if n := len(vm.threads); n != 1 {
		t.Fatalf("%d pooled threads after errors", n)
	}
}

// Call from inside a Go function (a nested entity, e.g. a subrequest or
// a timer started synchronously) restores Current() and the outer
// entity's thread afterwards.
func TestNestedCallRestoresCurrent(t *testing.T) {
	vm := newTestVM(t)
	outer := &Ctx{VM: vm, Phase: PhaseContent}
	inner := &Ctx{VM: vm, Phase: PhaseTimer}
	innerFn := compile(t, vm, "probe('inner') return 'from inner'")
	var seen []*Ctx
	vm.L.SetGlobal("probe", vm.L.NewFunction(func(L *lua.LState) int { seen = append(seen, vm.Current()); return 0 }))
	vm.L.SetGlobal("nested", vm.L.NewFunction(func(L *lua.LState) int {
		outerL := vm.Current().L
		rets, err := vm.Call(inner, innerFn)
		if err != nil {
			L.RaiseError("%v", err)
		}
		if vm.Current() != outer || outer.L != outerL {
			L.RaiseError("outer entity not restored")
		}
		L.Push(rets[0])
		return 1
	}))
	rets, err := vm.Exec(outer, compile(t, vm, "probe() local r = nested() probe() return r"))
	if err != nil {
		t.Fatal(err)
	}
	if rets[0] != lua.LString("from inner") {
		t.Fatalf("got %v", rets)
	}
	if len(seen) != 3 || seen[0] != outer || seen[1] != inner || seen[2] != outer {
		t.Fatalf("Current() sequence %v, want outer, inner, outer", seen)
	}
	// an inner exit unwinds the inner call only
	vm.L.SetGlobal("exit", vm.L.NewFunction(func(L *lua.LState) int { panic(ExitSignal{}) }))
	exitFn := compile(t, vm, "exit()")
	vm.L.SetGlobal("nested_exit", vm.L.NewFunction(func(L *lua.LState) int {
		_, err := vm.Call(inner, exitFn)
		L.Push(lua.LBool(errors.Is(err, ErrExit) && vm.Current() == outer))
		return 1
	}))
	rets, err = vm.Exec(outer, compile(t, vm, "return nested_exit()"))
	if err != nil || rets[0] != lua.LTrue {
		t.Fatalf("inner exit: %v %v", rets, err)
	}
}

// RunUntilBlocked runs the child until its first blocking call, then
// gives the VM back to the parent; the child resumes once the parent
// blocks.
func TestRunUntilBlockedOrdering(t *testing.T) {
	vm := newTestVM(t)
	var order []string // appended only with the VM held
	vm.L.SetGlobal("note", vm.L.NewFunction(func(L *lua.LState) int {
		order = append(order, L.CheckString(1))
		return 0
	}))
	vm.L.SetGlobal("nap", vm.L.NewFunction(func(L *lua.LState) int {
		vm.Unlocked(func() { time.Sleep(10 * time.Millisecond) })
		return 0
	}))
	childFn := compile(t, vm, "note('child start') nap() note('child end')")
	parent := &Ctx{VM: vm, Phase: PhaseContent}
	child := &Ctx{VM: vm, Phase: PhaseContent}
	done := make(chan struct{})
	vm.L.SetGlobal("spawn", vm.L.NewFunction(func(L *lua.LState) int {
		vm.RunUntilBlocked(child, func() {
			if _, err := vm.Call(child, childFn); err != nil {
				t.Error(err)
			}
			close(done)
		})
		if vm.Current() != parent {
			L.RaiseError("parent not current after RunUntilBlocked")
		}
		return 0
	}))
	vm.L.SetGlobal("wait", vm.L.NewFunction(func(L *lua.LState) int {
		vm.Unlocked(func() { <-done })
		return 0
	}))
	_, err := vm.Exec(parent, compile(t, vm, "spawn() note('parent') wait() note('parent end')"))
	if err != nil {
		t.Fatal(err)
	}
	want := "child start,parent,child end,parent end"
	if got := strings.Join(order, ","); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
	if vm.Current() != nil {
		t.Fatal("VM left with a current entity")
	}

	// a child that never blocks finishes before RunUntilBlocked returns
	order = nil
	syncFn := compile(t, vm, "note('sync child')")
	vm.L.SetGlobal("spawn_sync", vm.L.NewFunction(func(L *lua.LState) int {
		c := &Ctx{VM: vm, Phase: PhaseContent}
		vm.RunUntilBlocked(c, func() { vm.Call(c, syncFn) })
		return 0
	}))
	if _, err := vm.Exec(parent, compile(t, vm, "spawn_sync() note('parent')")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "sync child,parent" {
		t.Fatalf("order %s", got)
	}
	// the VM is free again: another entity can take it
	took := make(chan struct{})
	go func() { vm.Lock(&Ctx{VM: vm}); vm.Unlock(); close(took) }()
	select {
	case <-took:
	case <-time.After(2 * time.Second):
		t.Fatal("VM still held after the children finished")
	}
}

func BenchmarkExec(b *testing.B) {
	vm := NewVM(0, 1, b.TempDir(), nil)
	defer vm.Close()
	fn, _ := vm.L.Load(strings.NewReader("local a = ... return a + 1"), "=bench")
	c := &Ctx{VM: vm, Phase: PhaseContent}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		vm.Exec(c, fn, lua.LNumber(i))
	}
}

// Pool.Lock never waits behind a busy VM while another is free, and
// requests waiting because all are busy each get one as they free up.
func TestPoolLocksAFreeVM(t *testing.T) {
	a, b := NewVM(0, 2, "/tmp", nil), NewVM(1, 2, "/tmp", nil)
	p := NewPool([]*VM{a, b})
	stuck := &Ctx{}
	a.Lock(stuck) // a runaway handler holds worker 0 for good
	for i := 0; i < 10; i++ {
		c := &Ctx{}
		if k := p.Lock(c); k != 1 || c.VM != b {
			t.Fatalf("got worker %d", k)
		}
		b.Unlock()
	}
	// every worker busy: waiters are served as soon as b frees
	b.Lock(&Ctx{})
	const n = 8
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			c := &Ctx{}
			k := p.Lock(c)
			c.VM.Unlock()
			done <- k
		}()
	}
	b.Unlock()
	for i := 0; i < n; i++ {
		if k := <-done; k != 1 {
			t.Fatalf("waiter got worker %d", k)
		}
	}
	a.Unlock()
}

// require "ngx" returns the ngx table (lua-nginx-module sets
// package.loaded.ngx).
func TestRequireNgx(t *testing.T) {
	vm := newTestVM(t)
	c := &Ctx{VM: vm, Phase: PhaseContent}
	if _, err := vm.Exec(c, compile(t, vm, `
		local n = require "ngx"
		if n ~= ngx or package.loaded.ngx ~= ngx then error("require ngx: " .. tostring(n)) end`)); err != nil {
		t.Fatal(err)
	}
}
