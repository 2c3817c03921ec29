package lua

import (
	"strings"
	"testing"
)

type exitSignal struct{}

func (exitSignal) LuaUncatchable() {}

// A coroutine yields from inside pcall and xpcall through the Go
// Resume API too; values passed to a resume are padded to the count the
// pending yield expects.
func TestResumeYieldAcrossPCall(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`
		function body(a)
			local ok, x, y = pcall(function() return coroutine.yield(a) end)
			local ok2, e = xpcall(function() coroutine.yield(x) error("late") end, function(m) return "h " .. m end)
			return ok, x, y, ok2, e
		end`); err != nil {
		t.Fatal(err)
	}
	co, _ := L.NewThread()
	fn := L.GetGlobal("body").(*LFunction)
	st, err, vals := L.Resume(co, fn, LNumber(1))
	if st != ResumeYield || err != nil || len(vals) != 1 || vals[0] != LNumber(1) {
		t.Fatalf("first resume: %v %v %v", st, err, vals)
	}
	st, err, vals = L.Resume(co, fn, LString("x"))
	if st != ResumeYield || err != nil || vals[0] != LString("x") {
		t.Fatalf("second resume: %v %v %v", st, err, vals)
	}
	st, err, vals = L.Resume(co, fn)
	if st != ResumeOK || err != nil || len(vals) != 5 {
		t.Fatalf("third resume: %v %v %v", st, err, vals)
	}
	if vals[0] != LTrue || vals[1] != LString("x") || vals[2] != LNil || vals[3] != LFalse ||
		!strings.HasPrefix(vals[4].String(), "h <string>:4: late") {
		t.Fatalf("results: %v", vals)
	}
}

// A yield with a Go function between it and the resume (here a Go
// function calling Lua) raises LuaJIT's error, and the coroutine's pcall
// catches it; the thread stays usable.
func TestYieldAcrossGoCallRaises(t *testing.T) {
	L := NewState()
	defer L.Close()
	L.SetGlobal("gocall", L.NewFunction(func(L *LState) int {
		L.Push(L.Get(1))
		L.Call(0, 1)
		return 1
	}))
	if err := L.DoString(`
		co = coroutine.wrap(function()
			local ok, e = pcall(gocall, function() return coroutine.yield(1) end)
			coroutine.yield(tostring(ok) .. " " .. e)
			local ok2, v = pcall(function() return coroutine.yield("again") end)
			return v
		end)
		r1 = co()
		r2 = co()
		r3 = co("fine")`); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"r1": "false <string>:3: attempt to yield across C-call boundary",
		"r2": "again",
		"r3": "fine",
	} {
		if got := L.GetGlobal(name).String(); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// An Uncatchable panic (ngx.exit) is not caught by a pcall running as a
// frame of a coroutine's loop.
func TestUncatchableThroughCoroutinePCall(t *testing.T) {
	L := NewState()
	defer L.Close()
	L.SetGlobal("exit", L.NewFunction(func(L *LState) int { panic(exitSignal{}) }))
	L.SetGlobal("reached", LFalse)
	err := func() (err interface{}) {
		defer func() { err = recover() }()
		_ = L.DoString(`
			local co = coroutine.create(function()
				pcall(function() coroutine.yield() exit() end)
				reached = true
			end)
			coroutine.resume(co)
			coroutine.resume(co)
			reached = true`)
		return nil
	}()
	if _, ok := err.(exitSignal); !ok {
		t.Fatalf("panic value %v, want the Uncatchable", err)
	}
	if L.GetGlobal("reached") != LFalse {
		t.Fatal("code after the uncatchable exit ran")
	}
}
