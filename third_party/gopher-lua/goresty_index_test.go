package lua

import (
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// An __index function reached through a constant key (p.k, p:k(), a
// global) gets the key without the VM boxing a new string each time.
func TestIndexFunctionConstantKeyNoAlloc(t *testing.T) {
	L := NewState()
	defer L.Close()
	var seen LValue
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *LState) int {
		seen = L.Get(2)
		L.Push(LTrue)
		return 1
	}))
	L.SetMetatable(p, mt)
	L.SetGlobal("p", p)
	if err := L.DoString(`function f() local n = 0 for i = 1, 1000 do if p.key then n = n + 1 end end return n end`); err != nil {
		t.Fatal(err)
	}
	f := L.GetGlobal("f")
	run := func() {
		L.Push(f)
		L.Call(0, 1)
		L.Pop(1)
	}
	run()
	if seen != LString("key") {
		t.Fatalf("__index got key %v", seen)
	}
	if n := testing.AllocsPerRun(10, run); n >= 100 {
		t.Fatalf("1000 indexings allocate %v times", n)
	}
}

// Strings boxed through StringValue keep their values (each box is its
// own slot in a shared block) and, past the first block, cost no
// allocation each.
func TestStringValueBlocks(t *testing.T) {
	L := NewState()
	defer L.Close()
	vals := make([]LValue, 100)
	for i := range vals {
		vals[i] = L.StringValue(string(rune('a'+i%26)) + "x")
	}
	runtime.GC()
	for i, v := range vals {
		if want := LString(string(rune('a'+i%26)) + "x"); v != want {
			t.Fatalf("box %d = %q, want %q", i, v, want)
		}
	}
	if v := L.StringValue(""); v != LString("") {
		t.Fatalf("empty box = %q", v)
	}
	s := "shared"
	if n := testing.AllocsPerRun(100, func() { _ = L.StringValue(s) }); n >= 0.5 {
		t.Fatalf("StringValue allocates %v times per call", n)
	}
}

// A long string is boxed on its own: a short string kept alive from the
// same block does not keep it (a request body, an encoded document).
func TestStringValueLongNotPinned(t *testing.T) {
	L := NewState()
	defer L.Close()
	long := strings.Repeat("x", 1<<20)
	freed := make(chan struct{})
	p := &[]byte(long)[0] // a heap copy the box will point into
	big := unsafe.String(p, len(long))
	runtime.SetFinalizer(p, func(*byte) { close(freed) })
	short := L.StringValue("kept")
	_ = L.StringValue(big)
	p, big = nil, ""
	for i := 0; i < 20; i++ {
		runtime.GC()
		select {
		case <-freed:
			runtime.KeepAlive(short)
			return
		default:
		}
	}
	t.Fatal("a long string boxed next to a live short one was not collected")
}
