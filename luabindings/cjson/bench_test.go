package cjson

import (
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func benchVM(b *testing.B, setup string) (*luabindings.VM, *luabindings.Ctx) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "setup", setup); err != nil {
		b.Fatal(err)
	}
	return vm, c
}

// BenchmarkEncodeSmall encodes the kind of small response table an API
// handler builds per request.
func BenchmarkEncodeSmall(b *testing.B) {
	vm, _ := benchVM(b, `cjson = require "cjson"
T = {id = 42, name = "alice", email = "alice@example.com", active = true, score = 3.5, tags = {"a", "b", "c"}, meta = {path = "/api/v1/users"}}`)
	L := vm.L
	cfg := newConfig(stateOf(vm, L))
	t := L.GetGlobal("T")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cfg.encodeValue(L, t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSmall(b *testing.B) {
	vm, _ := benchVM(b, ``)
	L := vm.L
	cfg := newConfig(stateOf(vm, L))
	s := `{"id":42,"name":"alice","email":"alice@example.com","active":true,"score":3.5,"tags":["a","b","c"],"meta":{"path":"\/api\/v1\/users"}}`
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cfg.decode(L, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeFromLua includes the Lua call overhead.
func BenchmarkEncodeFromLua(b *testing.B) {
	vm, c := benchVM(b, `local cjson = require "cjson"
local t = {id = 42, name = "alice", active = true, tags = {"a", "b"}}
function F() return cjson.encode(t) end`)
	fn := vm.L.GetGlobal("F").(*lua.LFunction)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := vm.Exec(c, fn); err != nil {
			b.Fatal(err)
		}
	}
}
