package semaphore

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func newVM(t *testing.T) (*luabindings.VM, *strings.Builder) {
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	var sb strings.Builder
	var mu sync.Mutex
	vm.L.SetGlobal("out", vm.L.NewFunction(func(L *lua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
		}
		mu.Lock()
		sb.WriteString(strings.Join(parts, " ") + "\n")
		mu.Unlock()
		return 0
	}))
	t.Cleanup(vm.Close)
	return vm, &sb
}

func TestBasics(t *testing.T) {
	vm, sb := newVM(t)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	err := vm.DoString(c, "t", `
		local semaphore = require "ngx.semaphore"
		local sema = semaphore.new(2)
		out(sema:count())
		out(sema:wait(0))
		out(sema:wait(0.01))
		out(sema:count())
		out(sema:wait(0))
		local t0 = os.clock()
		out(sema:wait(0.05))
		out(sema:post())
		out(sema:post(3))
		out(sema:count())
		out(semaphore.new():count(), semaphore.new("5"):count())
		out(pcall(semaphore.new, -1))
		out(pcall(sema.post, sema, 0))
		out(pcall(sema.wait, sema, -1))
		out(pcall(sema.wait, {}, 1))
		out(pcall(semaphore.count, nil))
	`)
	if err != nil {
		t.Fatal(err)
	}
	want := `2
true
true
0
nil timeout
nil timeout
true
true
4
0 5
false no negative number
false positive number required
false no negative number
false not a semaphore instance
false not a semaphore instance
`
	if sb.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", sb.String(), want)
	}
}

func TestPhases(t *testing.T) {
	vm, sb := newVM(t)
	if err := vm.DoString(&luabindings.Ctx{VM: vm, Phase: luabindings.PhaseInit}, "init", `
		S = require("ngx.semaphore").new(0)
		out(pcall(S.wait, S, 1))
	`); err != nil {
		t.Fatal(err)
	}
	for _, ph := range []luabindings.Phase{luabindings.PhaseLog, luabindings.PhaseSet,
		luabindings.PhaseHeaderFilter, luabindings.PhaseBodyFilter, luabindings.PhaseInitWorker} {
		c := &luabindings.Ctx{VM: vm, Phase: ph}
		if err := vm.DoString(c, "t", `out(S:wait(1)) out(S:post())`); err != nil {
			t.Fatal(err)
		}
	}
	want := `false no request found
nil API disabled in the context of log_by_lua*
true
nil API disabled in the context of set_by_lua*
true
nil API disabled in the context of header_filter_by_lua*
true
nil API disabled in the context of body_filter_by_lua*
true
nil API disabled in the context of init_worker_by_lua*
true
`
	if sb.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", sb.String(), want)
	}
}

// Waiters on different requests of one VM are woken in FIFO order by
// posts from another request, each waiting with the VM released.
func TestCrossRequest(t *testing.T) {
	vm, sb := newVM(t)
	if err := vm.DoString(&luabindings.Ctx{VM: vm, Phase: luabindings.PhaseInit}, "init", `
		S = require("ngx.semaphore").new(0)
		function waiter(i)
			local ok, err = S:wait(2)
			out("woke", i, ok, err)
		end
		function poster()
			out("count", S:count())
			S:post(2)
		end
	`); err != nil {
		t.Fatal(err)
	}
	get := func(name string) *lua.LFunction { return vm.L.GetGlobal(name).(*lua.LFunction) }
	waiter, poster := get("waiter"), get("poster")
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
			if _, err := vm.Exec(c, waiter, lua.LNumber(i)); err != nil {
				t.Error(err)
			}
		}(i)
		time.Sleep(20 * time.Millisecond) // queue them in order
	}
	start := time.Now()
	if _, err := vm.Exec(&luabindings.Ctx{VM: vm, Phase: luabindings.PhaseTimer}, poster); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	vm.Lock(&luabindings.Ctx{VM: vm})
	got := sb.String()
	vm.Unlock()
	// the two oldest waiters got the resources (the order in which they
	// then take the VM back is up to the Go scheduler)
	if got != "count -3\nwoke 1 true nil\nwoke 2 true nil\n" && got != "count -3\nwoke 2 true nil\nwoke 1 true nil\n" {
		t.Fatalf("after post(2): %q", got)
	}
	wg.Wait()
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Fatalf("third waiter returned after %v, want its 2 s timeout", d)
	}
	if !strings.HasSuffix(sb.String(), "woke 3 nil timeout\n") {
		t.Fatalf("got %q", sb.String())
	}
	vm.Lock(&luabindings.Ctx{VM: vm})
	n := vm.L.DoString(`out("final", S:count())`)
	vm.Unlock()
	_ = n
	if !strings.HasSuffix(sb.String(), "final 0\n") {
		t.Fatalf("got %q", sb.String())
	}
}

func BenchmarkWaitPost(b *testing.B) {
	vm := luabindings.NewVM(0, 1, b.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", `
		local s = require("ngx.semaphore").new(0)
		function bench(n) for i = 1, n do s:post() s:wait(0) end end`); err != nil {
		b.Fatal(err)
	}
	fn := vm.L.GetGlobal("bench").(*lua.LFunction)
	b.ResetTimer()
	if _, err := vm.Exec(c, fn, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
}
