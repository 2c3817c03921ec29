package ffi_test

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	_ "github.com/goresty/goresty/luabindings/compat"
	_ "github.com/goresty/goresty/luabindings/ffi"
	lua "github.com/yuin/gopher-lua"
)

func run(t *testing.T, code string) (string, error) {
	t.Helper()
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	err := vm.DoString(c, "t", code)
	return lua.LVAsString(vm.L.GetGlobal("out")), err
}

func TestCharBuffers(t *testing.T) {
	out, err := run(t, `
		local ffi = require "ffi"
		local ct = ffi.typeof("char[?]")
		local b = ffi.new(ct, 4)
		local parts = {}
		parts[#parts+1] = b[0] .. b[3]                 -- zero filled
		b[0], b[1], b[2], b[3] = 72, 105 + 256, 200, 33 -- stored modulo 256
		parts[#parts+1] = ffi.string(b, 4) == "Hi\200!" and "bytes" or "bad"
		parts[#parts+1] = tostring(b[2])               -- plain char is signed
		local u = ffi.new("unsigned char[?]", 2)
		u[0] = 200
		parts[#parts+1] = tostring(u[0])
		parts[#parts+1] = ffi.string(ffi.new("char[8]"), 0) == "" and "empty" or "bad"
		local c = ct(3)                                -- ctype call
		ffi.copy(c, "ab")                              -- with the NUL
		parts[#parts+1] = ffi.string(c)
		ffi.fill(c, 3, 120)
		parts[#parts+1] = ffi.string(c, 3)
		parts[#parts+1] = tostring(ffi.sizeof(c))
		parts[#parts+1] = ffi.string("abc", 2)
		out = table.concat(parts, ",")
	`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "00,bytes,-56,200,empty,ab,xxx,3,ab"; out != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

// Masking a payload as lua-resty-websocket does.
func TestWebsocketMasking(t *testing.T) {
	out, err := run(t, `
		local ffi = require "ffi"
		local bit = require "bit"
		local key, payload = "\55\250\33\61", "hello websocket"
		local bytes = ffi.new(ffi.typeof("char[?]"), #payload)
		for i = 1, #payload do
			bytes[i - 1] = bit.bxor(payload:byte(i), key:byte((i - 1) % 4 + 1))
		end
		local masked = ffi.string(bytes, #payload)
		for i = 1, #payload do
			bytes[i - 1] = bit.bxor(masked:byte(i), key:byte((i - 1) % 4 + 1))
		end
		out = ffi.string(bytes, #payload)
	`)
	if err != nil || out != "hello websocket" {
		t.Fatalf("got %q %v", out, err)
	}
}

func TestUnsupported(t *testing.T) {
	for code, want := range map[string]string{
		`require("ffi").cdef("int printf(const char *fmt, ...);")`:     "ffi.cdef is not supported",
		`local x = require("ffi").C.printf`:                            "ffi.C is not supported",
		`require("ffi").new("int[?]", 3)`:                              "ffi type not supported by goresty: int[?]",
		`local b = require("ffi").new("char[?]", 2); b[2] = 1`:         "index 2 out of range",
		`local b = require("ffi").new("char[?]", 2); b[0] = {}`:        "cannot convert 'table' to 'char'",
		`require("ffi").new("char[?]")`:                                "size of C type is unknown or too large",
		`local ffi = require "ffi"; ffi.string(ffi.new("char[2]"), 3)`: "out of the buffer's range",
	} {
		_, err := run(t, code)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", code, err, want)
		}
	}
}

func BenchmarkMaskLoop(b *testing.B) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "setup", `
		local ffi, bit = require "ffi", require "bit"
		local bytes = ffi.new("char[?]", 4096)
		local payload = string.rep("x", 1024)
		function mask()
			for i = 1, #payload do
				bytes[i - 1] = bit.bxor(payload:byte(i), 55)
			end
			return ffi.string(bytes, #payload)
		end
	`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.DoString(c, "b", "mask()"); err != nil {
			b.Fatal(err)
		}
	}
}
