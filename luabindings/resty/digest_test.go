package resty

import (
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// Expected values from `printf ... | openssl dgst -<alg>`.
func TestDigests(t *testing.T) {
	expect(t, `
local str = require "resty.string"
for _, name in ipairs({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}) do
  local m = require("resty." .. name)
  local h = m:new()
  say(h:update("abc"), " ", str.to_hex(h:final()))
  say(h:reset())
  h:update("hello, ")
  h:update("")
  h:update("world")
  say(str.to_hex(h:final()))
  -- a fresh object per call, as the jwt bench does
  local h2 = m.new()
  h2:update("hello, world")
  say(h2:final() == (function() local x = m:new(); x:update("hello, world"); return x:final() end)())
end
local md5 = require "resty.md5"
local h = md5:new()
h:update("abcdef", 3)
say(str.to_hex(h:final()))
say(pcall(md5.update, {}, "x"))
say(type(require("resty.sha")))
`, `true 900150983cd24fb0d6963f7d28e17f72
true
e4d7f1b4ed2e42d15898f4b27b019da4
true
true a9993e364706816aba3e25717850c26c9cd0d89d
true
b7e23ec29af22b0b4e41da31e868d57226121c84
true
true 23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7
true
6e1a93e32fb44081a401f3db3ef2e6e108b7bbeeb5705afdaf01fb27
true
true ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
true
09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b
true
true cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7
true
1fcdb6059ce05172a26bbe2a3ccc88ed5a8cd5fc53edfd9053304d429296a6da23b1cd9e5c9ed3bb34f00418a70cdb7e
true
true ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f
true
8710339dcb6814d0d9d2290ef422285c9322b7163951f9a0ca8f883d3305286f44139aa374848e4174f5aada663027e4548637b6d19894aec4fb6c46a139fbf9
true
900150983cd24fb0d6963f7d28e17f72
falsebad argument #1 self: digest object expected, got table
table
`)
}

func TestStringAndRandom(t *testing.T) {
	expect(t, `
local str = require "resty.string"
say(str.to_hex(""), "|", str.to_hex("\0\1\127\128\255AZ"))
say(#str.to_hex(("x"):rep(2000)))
for _, s in ipairs({"0", "123", "00042", "", "-1", "+1", "12a", " 1", "2147483647", "9223372036854775808"}) do
  say(s, "=", str.atoi(s))
end
local random = require "resty.random"
local a, b = random.bytes(16), random.bytes(16, false)
say(#a, " ", #b, " ", a ~= random.bytes(16))
say(random.bytes(0) == "", " ", random.bytes(-1))
`, `|00017f80ff415a
4000
0=0
123=123
00042=42
=-1
-1=-1
+1=-1
12a=-1
 1=-1
2147483647=2147483647
9223372036854775808=-1
16 16 true
true nil
`)
}

// The jwt bench hashes with a new sha256 object per request.
func BenchmarkSHA256NewUpdateFinal(b *testing.B) {
	vm := luabindings.NewVM(0, 1, b.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "b", `
local sha256 = require "resty.sha256"
local msg = ("x"):rep(200)
function bench()
  local h = sha256:new()
  h:update(msg)
  local d = h:final()
  h:reset()
  return d
end`); err != nil {
		b.Fatal(err)
	}
	fn := vm.L.GetGlobal("bench").(*lua.LFunction)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := vm.Exec(c, fn); err != nil {
			b.Fatal(err)
		}
	}
}
