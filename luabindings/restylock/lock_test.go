package restylock

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/shdict"
	lua "github.com/yuin/gopher-lua"
)

func newVM(t *testing.T) (*luabindings.VM, *strings.Builder) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	var out strings.Builder
	vm.L.SetGlobal("say", vm.L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	return vm, &out
}

func run(t *testing.T, vm *luabindings.VM, phase luabindings.Phase, code string) error {
	c := &luabindings.Ctx{VM: vm, Phase: phase}
	return vm.DoString(c, "t", code)
}

// freshZone recreates the "locks" zone empty (Configure keeps zones).
func freshZone() {
	shdict.Configure(map[string]int64{})
	shdict.Configure(map[string]int64{"locks": 1 << 20})
}

func TestLockAPI(t *testing.T) {
	freshZone()
	var slept []time.Duration
	sleep = func(d time.Duration) { slept = append(slept, d) }
	defer func() { sleep = time.Sleep }()
	vm, out := newVM(t)
	defer vm.Close()
	err := run(t, vm, luabindings.PhaseContent, `local lock = require "resty.lock"
say(lock._VERSION)
say(lock:new("nope"))
local a = lock:new("locks")
local b = lock:new("locks", {timeout = 0.01, step = 0.002, ratio = 2, max_step = 0.004})
say(a:lock(nil))
say(a:lock("k"))
say(a:lock("k"))
say(b:lock("k"))
local ttl = ngx.shared.locks:ttl("k") -- real time passes: a bound, not a value
say(ngx.shared.locks:get("k"), " ", ttl > 29.5 and ttl <= 30)
local ok = a:expire(5)
ttl = ngx.shared.locks:ttl("k")
say(ok, " ", ttl > 4.5 and ttl <= 5)
say(a:unlock())
say(a:unlock())
say(a:expire())
say(b:lock("k"))
say(b:unlock())
local c = lock:new("locks", {timeout = 0})
a:lock("z")
say(c:lock("z"))
say(a:lock(""))
`)
	if err != nil {
		t.Fatal(err)
	}
	want := `0.09
nildictionary not found
nilnil key
0
nillocked
niltimeout
true true
true true
1
nilunlocked
nilunlocked
0
1
niltimeout
nillocked
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// b waited 2, 4, 4 ms (step doubles up to max_step, capped by the
	// remaining timeout)
	wantSleeps := []time.Duration{2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}
	if len(slept) != len(wantSleeps) {
		t.Fatalf("sleeps %v, want %v", slept, wantSleeps)
	}
	for i := range wantSleeps {
		if slept[i] != wantSleeps[i] {
			t.Errorf("sleep %d = %v, want %v", i, slept[i], wantSleeps[i])
		}
	}
}

func TestLockPhase(t *testing.T) {
	freshZone()
	shdict.Get("locks").Store(shdict.OpSet, "held", shdict.Value{Type: shdict.TBoolean, Num: 1}, 0, 0)
	vm, out := newVM(t)
	defer vm.Close()
	err := run(t, vm, luabindings.PhaseHeaderFilter, `local l = require("resty.lock"):new("locks")
say(l:lock("free"))
local l2 = require("resty.lock"):new("locks")
say(pcall(l2.lock, l2, "held"))`)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "0\nfalse") || !strings.HasSuffix(got, "API disabled in the context of header_filter_by_lua*\n") {
		t.Errorf("got %q", got)
	}
}

// Two workers contend for one lock: the waiter releases its VM while
// sleeping and gets the lock once the holder unlocks.
func TestLockContention(t *testing.T) {
	freshZone()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var order []string
	record := func(L *lua.LState) int {
		mu.Lock()
		order = append(order, L.CheckString(1))
		mu.Unlock()
		return 0
	}
	holder := make(chan struct{})
	for w := 0; w < 2; w++ {
		vm, _ := newVM(t)
		defer vm.Close()
		vm.L.SetGlobal("record", vm.L.NewFunction(record))
		vm.L.SetGlobal("wait_started", vm.L.NewFunction(func(L *lua.LState) int {
			vm.Unlocked(func() { <-holder })
			return 0
		}))
		vm.L.SetGlobal("started", vm.L.NewFunction(func(L *lua.LState) int {
			close(holder)
			return 0
		}))
		code := `local l = require("resty.lock"):new("locks", {timeout = 2})
local elapsed = assert(l:lock("k"))
record("in")
ngx_sleep_hold()
record("out")
l:unlock()`
		if w == 0 {
			code = strings.Replace(code, "ngx_sleep_hold()", "started() local t = os.clock() while os.clock() - t < 0.05 do end", 1)
		} else {
			code = "wait_started()\n" + strings.Replace(code, "ngx_sleep_hold()", "", 1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(t, vm, luabindings.PhaseContent, code); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if strings.Join(order, ",") != "in,out,in,out" {
		t.Errorf("critical sections overlapped: %v", order)
	}
}
