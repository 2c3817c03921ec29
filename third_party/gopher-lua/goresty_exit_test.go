package lua

import "testing"

type exitValue struct{ code int }

func (exitValue) LuaUncatchable() {}

// TestExitDirectAndNested: Exit from a Go function called by the entry
// function's own loop ends PCallThread with ErrExited (no panic); from
// inside pcall, a metamethod or a nested Go call it panics with the value,
// which goes through pcall. Either way the thread's stack is restored.
func TestExitDirectAndNested(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		direct     bool
	}{
		{"call", `local x = 1; exit(3); x = 2`, true},
		{"tailcall", `return exit(3)`, true},
		{"in function", `local function f() local y = {}; exit(3) end; f(); error("not reached")`, true},
		{"in pcall", `pcall(exit, 3); error("not reached")`, false},
		{"in pcall function", `pcall(function() exit(3) end); error("not reached")`, false},
		{"in metamethod", `local t = setmetatable({}, {__index = function() exit(3) end}); local v = t.x; error("not reached")`, false},
		{"in iterator", `for k in function() exit(3) end do end; error("not reached")`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L := NewState()
			defer L.Close()
			L.SetGlobal("exit", L.NewFunction(func(L *LState) int {
				L.Exit(exitValue{L.CheckInt(1)})
				return 0
			}))
			fn, err := L.LoadString(tc.code)
			if err != nil {
				t.Fatal(err)
			}
			th, _ := L.NewThread()
			th.Push(LNumber(7)) // below the call: must survive
			var rec interface{}
			func() {
				defer func() { rec = recover() }()
				th.Push(fn)
				err = th.PCallThread(0, MultRet)
			}()
			var got Uncatchable
			if tc.direct {
				if rec != nil || err != ErrExited {
					t.Fatalf("direct exit: recovered %v, err %v", rec, err)
				}
				got = th.TakeExit()
				if th.TakeExit() != nil {
					t.Fatal("TakeExit did not clear the value")
				}
			} else {
				if rec == nil {
					t.Fatalf("nested exit did not panic (err %v)", err)
				}
				got, _ = rec.(Uncatchable)
			}
			if v, ok := got.(exitValue); !ok || v.code != 3 {
				t.Fatalf("exit value %#v", got)
			}
			if th.GetTop() != 1 || th.Get(1) != LNumber(7) {
				t.Fatalf("stack not restored: top %d", th.GetTop())
			}
			// the thread runs the next call normally
			th.Push(th.NewFunction(func(L *LState) int { L.Push(LString("ok")); return 1 }))
			if err := th.PCallThread(0, 1); err != nil || th.Get(-1).String() != "ok" {
				t.Fatalf("next call: %v %v", err, th.Get(-1))
			}
		})
	}
}

// TestExitOutsidePCallThread: a plain PCall gives no direct exit.
func TestExitOutsidePCallThread(t *testing.T) {
	L := NewState()
	defer L.Close()
	L.SetGlobal("exit", L.NewFunction(func(L *LState) int {
		L.Exit(exitValue{1})
		return 0
	}))
	defer func() {
		if _, ok := recover().(exitValue); !ok {
			t.Fatal("Exit under PCall did not panic")
		}
	}()
	L.DoString(`exit()`)
}
