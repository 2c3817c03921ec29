package shdict

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// fakeClock replaces the zone clock for the test.
func fakeClock(t *testing.T, start int64) *int64 {
	now := start
	old := nowMs
	nowMs = func() int64 { return atomic.LoadInt64(&now) }
	t.Cleanup(func() { nowMs = old })
	return &now
}

// configure replaces all zones with fresh ones (Configure keeps zones
// whose size is unchanged, which would leak state between test runs).
func configure(cfg map[string]int64) {
	Configure(nil)
	Configure(cfg)
}

func newVM(t testing.TB) (*luabindings.VM, *strings.Builder) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	var out strings.Builder
	vm.L.SetGlobal("say", vm.L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	// advance(ms) moves the fake clock, when installed
	return vm, &out
}

func run(t *testing.T, vm *luabindings.VM, out *strings.Builder, code string) string {
	t.Helper()
	out.Reset()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatalf("lua error: %v", err)
	}
	return out.String()
}

func check(t *testing.T, code, want string) {
	t.Helper()
	vm, out := newVM(t)
	defer vm.Close()
	if got := run(t, vm, out, code); got != want {
		t.Errorf("code:\n%s\ngot:\n%s\nwant:\n%s", code, got, want)
	}
}

// The 08-shdict.t conformance cases.
func TestConformance(t *testing.T) {
	configure(map[string]int64{"store": 1 << 20})
	check(t, `local d = ngx.shared.store
d:set("s", "text")
d:set("n", 3.5)
d:set("b", false)
say(d:get("s"), " ", d:get("n"), " ", type(d:get("n")), " ", tostring(d:get("b")), " ", type(d:get("b")))
say(tostring(d:get("missing")))
d:set("with_flags", "v", 0, 7)
d:set("no_flags", "w")
local v, flags = d:get("with_flags")
local w, f2 = d:get("no_flags")
say(v, " ", flags, " ", w, " ", tostring(f2))
local v, err = d:incr("c", 1)
say(tostring(v), " ", err)
v, err = d:incr("c", 5, 10)
say(v, " ", tostring(err))
v = d:incr("c", -3)
say(v)
v = d:incr("c", 0.5)
say(v)
d:set("str", "abc")
v, err = d:incr("str", 1)
say(tostring(v), " ", err)
d:flush_all()
for _, k in ipairs({"x", "y", "z"}) do d:set(k, k) end
local keys = d:get_keys()
table.sort(keys)
say(table.concat(keys, ","))
say(#d:get_keys(2))
d:flush_all()
say(tostring(d:get("x")), " ", #d:get_keys())
d:rpush("q", "a")
d:rpush("q", "b")
d:lpush("q", "z")
say(d:llen("q"))
say(d:lpop("q"), d:rpop("q"), d:lpop("q"))
say(tostring(d:lpop("q")), " ", d:llen("q"))
d:set("scalar", 1)
local ok, err = d:rpush("scalar", "x")
say(tostring(ok), " ", err)
local ok, err = d:set("t", {1})
say(tostring(ok), " ", err)
`, `text 3.5 number false boolean
nil
v 7 w nil
nil not found
15 nil
12
12.5
nil not a number
x,y,z
2
nil 0
3
zba
nil 0
nil value not a list
nil bad value type
`)
	// values persist across VMs (workers) and requests
	for i := 1; i <= 3; i++ {
		check(t, `local n = ngx.shared.store:incr("hits", 1, 0) say(n)`, fmt.Sprintf("%d\n", i))
	}
}

// Expectations recorded from nginx 1.22 + lua-nginx-module 0.10.23 with
// lua-resty-core (see the README).
func TestReferenceBehaviour(t *testing.T) {
	clock := fakeClock(t, 1_700_000_000_000)
	configure(map[string]int64{"d1": 1 << 20, "d32": 32 << 10, "d10": 10 << 20})
	check(t, `for _, n in ipairs{"d1", "d32", "d10"} do
  local d = ngx.shared[n]
  say(n, " ", d:capacity(), " ", d:free_space())
end`, "d1 1048576 1032192\nd32 32768 20480\nd10 10485760 10412032\n")

	vm, out := newVM(t)
	defer vm.Close()
	vm.L.SetGlobal("advance", vm.L.NewFunction(func(L *lua.LState) int {
		atomic.AddInt64(clock, int64(L.CheckNumber(1)))
		return 0
	}))
	got := run(t, vm, out, `local d = ngx.shared.d32
local forc, i = false, 0
while not forc do
  i = i + 1
  local ok, err, f = d:set("key" .. i, string.rep("x", 50))
  forc = f
  if not ok then say("err ", err) break end
end
say("forcible at ", i, " free=", d:free_space(), " first=", tostring(d:get("key1")), " k2=", tostring(d:get("key2") ~= nil))
say(#d:get_keys(0))
local ok, err, f = d:safe_set("big", string.rep("y", 30000))
say("safe big: ", tostring(ok), " ", tostring(err), " ", tostring(f))
ok, err, f = d:set("big", string.rep("y", 30000))
say("big: ", tostring(ok), " ", tostring(err), " ", tostring(f))
d:flush_all()
d:set("a", 1) d:set("b", 2)
d:flush_all()
say("after flush get=", tostring(d:get("a")), " stale=", tostring(select(3, d:get_stale("a"))), " ", tostring(d:get_stale("a")), " ttl<0=", tostring(d:ttl("a") < 0))
say("flush_expired=", d:flush_expired())
d:set("t", 1, 0.001)
advance(10)
say("ttl expired=", d:ttl("t"), " ", tostring(d:get("t")), " ", tostring(d:expire("t", 10)), " ", tostring(d:ttl("t")), tostring(d:get("t")))
say(tostring(d:expire("nope", 1)), " ", select(2, d:expire("nope", 1)))
say(d:add("t", 2), " ", select(2, d:add("t", 2)))
say(tostring(d:replace("zz", 1)), " ", select(2, d:replace("zz", 1)))
say(tostring(d:add("nilv", nil)), " ", select(2, d:add("nilv", nil)))
say(pcall(d.get, "x"))
say(pcall(d.lpush, "x", 1, 2))
say(pcall(d.lpush, d, "x"))
say(pcall(d.set, d, "x", 1, -1))
say(d:get(nil), " ", select(2, d:get(nil)), select(2, d:get("")), select(2, d:get(string.rep("k", 65536))))
say(d:incr("c", 1, 0, 10), " ", d:ttl("c"))
say(pcall(d.incr, d, "c", 1, nil, 10))
say(pcall(d.incr, d, "c", "x"))
d:lpush("L", 1)
say(d:get("L"), " ", select(2, d:get("L")))
say(d:incr("L", 1), " ", select(2, d:incr("L", 1)))
say(d:set("L", 1), " ", d:get("L"))
say(d:lpush("L2", true), " ", select(2, d:lpush("L2", true)))
say(d:rpush("L3", 5), d:lpop("L3"), type(d:lpop("L3")), " ", d:get_keys(0)[1])
say(d:ttl("c") , " ", d:get_stale("zzz"), " ", select('#', d:get_stale("zzz")))
say(select('#', d:get("zzz")))
say(d:set(12, "num"), d:get(12), d:get("12"))
say(pcall(d.get_keys, d, "x"))
say(select(2, pcall(function() d:set("x", 1, -1) end)))
say(select(2, pcall(function() d.get("x") end)))
say(select(2, pcall(function() d:lpush({}, 1) end)))
`)
	want := `forcible at 192 free=0 first=nil k2=true
191
safe big: false no memory false
big: false no memory true
after flush get=nil stale=true 1 ttl<0=true
flush_expired=151
ttl expired=-0.009 nil nil nilnil
nil not found
true existsfalse
false not foundfalse
false attempt to add or replace nil valuesfalse
falsebad "zone" argument
falsebad "zone" argument
falseexpecting 3 arguments, but only seen 2
falsebad "exptime" argument
nil nil keyempty keykey too long
1 10
falsemust provide "init" when providing "init_ttl"
falsecannot convert 'nil' to 'double'
nil value is a list
nil not a number
true 1
nil bad value type
15nil t
10 nil 1
1
truenumnum
falsebad argument #2 to '?' (number expected, got string)
t:45: bad "exptime" argument
t:46: bad "zone" argument
bad argument #1 to 'lpush' (string expected, got table)
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestGetStaleFlagsExpiry(t *testing.T) {
	clock := fakeClock(t, 1_000_000)
	configure(map[string]int64{"c": 1 << 20})
	z := Get("c")
	if _, err := z.Store(OpSet, "k", Value{Type: TString, Str: "v"}, 1500, 3); err != nil {
		t.Fatal(err)
	}
	vm, out := newVM(t)
	defer vm.Close()
	if got := run(t, vm, out, `local d = ngx.shared.c
say(d:get("k"), " ", d:get_stale("k"), " ", select(2, d:get_stale("k")), " ", tostring(select(3, d:get_stale("k"))), " ", d:ttl("k"))`); got != "v v 3 false 1.5\n" {
		t.Errorf("got %q", got)
	}
	*clock += 1500
	if got := run(t, vm, out, `local d = ngx.shared.c
say(d:get_stale("k"), " ", select(2, d:get_stale("k")), " ", tostring(select(3, d:get_stale("k"))), " ", tostring(d:get("k")), " ", tostring(d:get_stale("k")))
say(d:add("k", "new"), " ", d:get("k"), " ", d:ttl("k"))
say(d:set("k", "x", 0), " ", d:expire("k", 2), " ", d:ttl("k"))
say(d:incr("n", 1, 10, 0.5), " ", d:ttl("n"))`); got != "v 3 true nil nil\ntrue new 0\ntrue true 2\n11 0.5\n" {
		t.Errorf("got %q", got)
	}
	*clock += 600
	if v, _, _, _ := z.Get("n", false); v.Type != TNil {
		t.Errorf("n should have expired, got %+v", v)
	}
	// incr with init on an expired number reuses it
	if v, _, err := z.Incr("n", 2, true, 5, 0); err != nil || v != 7 {
		t.Errorf("incr after expiry = %v, %v", v, err)
	}
	if n := z.FlushExpired(0); n != 0 {
		t.Errorf("flush_expired = %d", n)
	}
	z.SetExpire("k", 1)
	*clock += 2
	if n := z.FlushExpired(0); n != 1 {
		t.Errorf("flush_expired = %d, want 1", n)
	}
}

func TestEvictionAndFreeSpace(t *testing.T) {
	fakeClock(t, 1_000_000)
	configure(map[string]int64{"small": 32 << 10})
	z := Get("small")
	free0 := z.FreeSpace()
	// safe_add never evicts
	n := 0
	for ; ; n++ {
		_, err := z.Store(OpAdd|OpSafe, fmt.Sprintf("k%03d", n), Value{Type: TString, Str: strings.Repeat("x", 200)}, 0, 0)
		if err == ErrNoMemory {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 || z.FreeSpace() != 0 {
		t.Fatalf("filled %d items, free %d", n, z.FreeSpace())
	}
	// a plain set evicts the least recently used entry, k000 (k001 was read)
	z.Get("k001", false)
	z.Get("k000", false)
	z.Get("k001", false)
	forcible, err := z.Store(OpSet, "new", Value{Type: TString, Str: strings.Repeat("y", 200)}, 0, 0)
	if err != nil || !forcible {
		t.Fatalf("set = %v, %v", forcible, err)
	}
	if v, _, _, _ := z.Get("k002", false); v.Type != TNil {
		t.Errorf("k002 should have been evicted first")
	}
	if v, _, _, _ := z.Get("k001", false); v.Type != TString {
		t.Errorf("k001 was recently used and must stay")
	}
	// deleting everything gives all pages back
	for _, k := range z.Keys(0) {
		z.Store(OpSet, k, Value{}, 0, 0)
	}
	if z.FreeSpace() != free0 {
		t.Errorf("free space %d after deleting all, want %d", z.FreeSpace(), free0)
	}
	// lists count in memory too: each 3000-byte node takes a page
	for i := 0; i < 3; i++ {
		if _, _, err := z.Push("l", false, Value{Type: TString, Str: strings.Repeat(string(rune('a'+i)), 3000)}); err != nil {
			t.Fatal(err)
		}
	}
	if z.FreeSpace() != free0-3*pageSize {
		t.Errorf("free space with list %d, want %d", z.FreeSpace(), free0-3*pageSize)
	}
	for i := 0; i < 3; i++ {
		v, _ := z.Pop("l", true)
		if v.Str[0] != byte('a'+i) {
			t.Fatalf("pop %d = %q", i, v.Str[:1])
		}
	}
	if z.FreeSpace() != free0 {
		t.Errorf("free space %d after popping all, want %d", z.FreeSpace(), free0)
	}
}

func TestConfigureKeepsZones(t *testing.T) {
	configure(map[string]int64{"keep": 1 << 20, "resize": 1 << 20})
	Get("keep").Store(OpSet, "a", Value{Type: TNumber, Num: 1}, 0, 0)
	Get("resize").Store(OpSet, "a", Value{Type: TNumber, Num: 1}, 0, 0)
	Configure(map[string]int64{"keep": 1 << 20, "resize": 2 << 20, "fresh": 1 << 20})
	if v, _, _, _ := Get("keep").Get("a", false); v.Num != 1 {
		t.Error("zone with unchanged size lost its data")
	}
	if v, _, _, _ := Get("resize").Get("a", false); v.Type != TNil {
		t.Error("resized zone kept its data")
	}
	Configure(map[string]int64{"fresh": 1 << 20})
	if Get("keep") != nil {
		t.Error("removed zone still present")
	}
	check(t, `say(ngx.shared.keep == nil, " ", ngx.shared.fresh ~= nil)`, "true true\n")
}

// Several worker VMs hammer one zone concurrently (run with -race).
func TestConcurrentVMs(t *testing.T) {
	configure(map[string]int64{"hot": 1 << 20})
	const workers, iters = 4, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			vm := luabindings.NewVM(w, workers, "/tmp", nil)
			defer vm.Close()
			c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
			code := fmt.Sprintf(`local d = ngx.shared.hot
for i = 1, %d do
  d:incr("counter", 1, 0)
  d:set("k" .. (i %% 50), i)
  d:get("k" .. ((i + 7) %% 50))
  d:rpush("q", i)
  d:lpop("q")
  if i %% 100 == 0 then d:get_keys(10) d:flush_expired() end
end`, iters)
			if err := vm.DoString(c, "w", code); err != nil {
				t.Error(err)
			}
		}(w)
	}
	wg.Wait()
	v, _, _, _ := Get("hot").Get("counter", false)
	if v.Num != workers*iters {
		t.Errorf("counter = %v, want %d", v.Num, workers*iters)
	}
	if n, _ := Get("hot").Llen("q"); n != 0 {
		t.Errorf("queue length %d", n)
	}
}

func BenchmarkGetSet(b *testing.B) {
	configure(map[string]int64{"bench": 10 << 20})
	vm, _ := newVM(b)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "s", `local d = ngx.shared.bench
function F(i) d:set("key", i) return d:get("key") end`); err != nil {
		b.Fatal(err)
	}
	fn := vm.L.GetGlobal("F").(*lua.LFunction)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm.Exec(c, fn, lua.LNumber(i))
	}
}

func BenchmarkZoneIncrParallel(b *testing.B) {
	configure(map[string]int64{"bench": 10 << 20})
	z := Get("bench")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			z.Incr("c", 1, true, 0, 0)
		}
	})
}
