package lua

import (
	"strings"
	"testing"
)

// A new state or coroutine starts small and grows on demand; both limits
// end in a catchable "stack overflow" as in LuaJIT.
func TestStackGrowsOnDemand(t *testing.T) {
	for _, L := range []*LState{NewState(), NewState(Options{SkipOpenLibs: false})} {
		co, _ := L.NewThread()
		for _, s := range []*LState{L, co} {
			if n := cap(s.reg.array); n > 1024 {
				t.Errorf("initial registry holds %d values", n)
			}
			if n := len(s.stack.(*growingCallFrameStack).chunks[0]); n > 64 {
				t.Errorf("initial call stack holds %d frames", n)
			}
		}
		if err := L.DoString(`
			local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end
			assert(f(20000) == 20000)
			local ok, err = pcall(f, 1e6)
			assert(not ok and err:find("stack overflow", 1, true), err)
			-- pcall nested in Go frames: each level is a Go call as well
			local depth = 0
			local function p() depth = depth + 1; local ok = pcall(p); return ok end
			assert(p() == true and depth > 10000, depth)
			-- metamethods calling back into Lua
			local mt = {}
			mt.__index = function(t, k) return setmetatable({}, mt)[k] end
			local ok2, err2 = pcall(function() return setmetatable({}, mt).x end)
			assert(not ok2 and err2:find("stack overflow", 1, true), err2)
			assert(f(20000) == 20000)
		`); err != nil {
			t.Fatal(err)
		}
		L.Close()
	}
}

func TestStackOverflowLimits(t *testing.T) {
	// an explicit small CallStackSize is still the limit
	L := NewState(Options{CallStackSize: 50})
	defer L.Close()
	err := L.DoString(`local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(100)`)
	if err == nil || !strings.Contains(err.Error(), "stack overflow") {
		t.Fatalf("got %v", err)
	}
	// the traceback of a deep overflow is cut to its first and last lines
	tb := L.stackTrace(0)
	if strings.Count(tb, "\n") > 20 {
		t.Errorf("traceback has %d lines", strings.Count(tb, "\n"))
	}
}

func TestGrowingCallFrameStack(t *testing.T) {
	cs := newGrowingCallFrameStack(1000)
	var frames []*callFrame
	for i := 0; i < 1000; i++ {
		cs.Push(callFrame{Pc: i})
		frames = append(frames, cs.Last())
		if cs.Sp() != i+1 || cs.Last().Idx != i {
			t.Fatalf("push %d: sp %d idx %d", i, cs.Sp(), cs.Last().Idx)
		}
	}
	if !cs.IsFull() {
		t.Fatal("not full at the limit")
	}
	for i := 0; i < 1000; i += 37 {
		if cs.At(i) != frames[i] || frames[i].Pc != i {
			t.Fatalf("At(%d) moved", i)
		}
	}
	cs.SetSp(500)
	if cs.Last() != frames[499] {
		t.Fatal("SetSp(500)")
	}
	for i := 499; i >= 1; i-- {
		if f := cs.Pop(); f.Pc != i {
			t.Fatalf("pop got %d want %d", f.Pc, i)
		}
	}
	cs.Pop()
	if !cs.IsEmpty() || cs.Last() != nil || len(cs.chunks) > 2 {
		t.Fatalf("empty: sp %d chunks %d", cs.Sp(), len(cs.chunks))
	}
	for i := 0; i < 40; i++ {
		cs.Push(callFrame{Pc: i})
	}
	cs.SetSp(0)
	if cs.Sp() != 0 || cs.Last() != nil {
		t.Fatal("SetSp(0)")
	}
}
