package lua

import (
	"context"
	"strings"
	"testing"
)

type interruptSignal struct{ trace string }

func (interruptSignal) LuaUncatchable() {}

// A hook installed on a state runs in its threads and coroutines, and a
// panic from it unwinds through pcall.
func TestInstructionHookInterrupts(t *testing.T) {
	L := NewState()
	defer L.Close()
	calls, stop := 0, false
	L.SetInstructionHook(100, func(L *LState) int {
		calls++
		if stop {
			panic(interruptSignal{L.StackTrace()})
		}
		return 100
	})
	th, _ := L.NewThread()
	if err := th.DoString(`local n = 0 for i = 1, 1000 do n = n + i end`); err != nil || calls == 0 {
		t.Fatalf("thread: err %v, %d hook calls", err, calls)
	}
	stop = true
	var got any
	func() {
		defer func() { got = recover() }()
		th.DoString(`
			local co = coroutine.wrap(function() while true do end end)
			pcall(co)
			pcall(function() while true do end end)`)
	}()
	sig, ok := got.(interruptSignal)
	if !ok || !strings.Contains(sig.trace, "stack traceback:") {
		t.Fatalf("recovered %#v", got)
	}
}

func benchHooked(b *testing.B, name string, setup func(L *LState)) {
	L := newBenchState(b)
	defer L.Close()
	setup(L)
	th, _ := L.NewThread() // handlers run on threads of the worker state
	fn := L.GetGlobal(name)
	p := P{Fn: fn, NRet: 1, Protect: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := th.CallByParam(p); err != nil {
			b.Fatal(err)
		}
		th.Pop(1)
	}
}

// The cost of a running-time limit on a hook-shaped handler: no check
// (the stock loop), an instruction hook every 1000 instructions, and
// gopher-lua's own context check (a select on every instruction).
func BenchmarkLimitNone(b *testing.B) { benchHooked(b, "filter_hook", func(*LState) {}) }
func BenchmarkLimitHook(b *testing.B) {
	benchHooked(b, "filter_hook", func(L *LState) {
		L.SetInstructionHook(1000, func(*LState) int { return 1000 })
	})
}
func BenchmarkLimitContext(b *testing.B) {
	benchHooked(b, "filter_hook", func(L *LState) {
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		L.SetContext(ctx)
	})
}
