package lrucache

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func check(t *testing.T, code, want string) {
	t.Helper()
	clock := 1000.0
	old := now
	now = func() float64 { return clock }
	defer func() { now = old }()
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	defer vm.Close()
	var out strings.Builder
	vm.L.SetGlobal("say", vm.L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	vm.L.SetGlobal("advance", vm.L.NewFunction(func(L *lua.LState) int {
		clock += float64(L.CheckNumber(1))
		return 0
	}))
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatalf("lua error: %v", err)
	}
	if got := out.String(); got != want {
		t.Errorf("code:\n%s\ngot:\n%s\nwant:\n%s", code, got, want)
	}
}

func TestLRU(t *testing.T) {
	for _, mod := range []string{"resty.lrucache", "resty.lrucache.pureffi"} {
		t.Run(mod, func(t *testing.T) {
			check(t, `local lrucache = require "`+mod+`"
say(lrucache._VERSION)
say(lrucache.new(0))
local c = lrucache.new(2)
say(c:capacity(), " ", c:count())
local tbl = {}
c:set("a", tbl)
c:set("b", 2, nil, 5)
say(c:get("a") == tbl, " ", c:count())
c:set("c", 3)            -- evicts b: a was used more recently
say(tostring(c:get("b")), " ", c:get("c"), " ", c:count())
say(table.concat(c:get_keys(), ","))
say(select(3, c:get("a")))
c:set("a", "x", 10, 7)
say(c:get("a"), " ", tostring(select(2, c:get("a"))), " ", select(3, c:get("a")))
advance(10.5)
local v, stale, flags = c:get("a")
say(tostring(v), " ", stale, " ", flags)
say(c:delete("a"), " ", c:delete("a"), " ", c:count())
c:set("z", 1)
say(#c:get_keys(1))
local res = {"old1", "old2", "old3"}
c:get_keys(1, res)
say(res[1], " ", tostring(res[2]), " ", res[3])
c:flush_all()
say(c:count(), " ", tostring(c:get("z")), " ", #c:get_keys())
c:set("n", 1, 0)
advance(0.001)
say(tostring(c:get("n")), " ", select(2, c:get("n")))
c:set("neg", 1, -1)
say(tostring(c:get("neg")))
local c2 = lrucache.new(1)
c2:set("x", 1)
say(tostring(c:get("x")), " ", c2:get("x"))
say(pcall(lrucache.new))
say(pcall(c.get, "notself", "k"))
`, `0.13
nilsize too small
2 0
true 2
nil 3 2
c,a
0
x nil 7
nil x 7
true false 1
1
z nil old3
0 nil 0
nil 10
nil
nil 1nil0
falseattempt to compare nil with number
falseattempt to index local 'self' (a string value)
`)
		})
	}
}

func TestKeyTypes(t *testing.T) {
	check(t, `local lrucache = require "resty.lrucache"
local c = lrucache.new(10)
local k = {}
c:set(k, "tablekey")
c:set(1, "one")
c:set("1", "string one")
say(c:get(k), " ", c:get(1), " ", c:get("1"), " ", tostring(c:get(nil)))
say(pcall(c.set, c, nil, 1))
local p = require("resty.lrucache.pureffi").new(10)
p:set(1, "one")
say(p:get("1"), " ", p:get(1))
`, `tablekey one string one nil
falsetable index is nil
one onenil0
`)
}

func BenchmarkGetSet(b *testing.B) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "s", `local c = require("resty.lrucache").new(1000)
function F() c:set("key", 1, 10) return c:get("key") end`); err != nil {
		b.Fatal(err)
	}
	fn := vm.L.GetGlobal("F").(*lua.LFunction)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm.Exec(c, fn)
	}
}
