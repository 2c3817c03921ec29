package resty

import (
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func benchLua(b *testing.B, setup string) {
	vm := luabindings.NewVM(0, 1, b.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "b", setup); err != nil {
		b.Fatal(err)
	}
	fn := vm.L.GetGlobal("bench").(*lua.LFunction)
	if r, err := vm.Exec(c, fn); err != nil || r[0] != lua.LTrue {
		b.Fatalf("bench() = %v, %v", r, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := vm.Exec(c, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// jwt:verify of an HS256 token with exp, as an auth gateway does per request.
func BenchmarkJWTVerifyHS256(b *testing.B) {
	benchLua(b, `
local jwt = require "resty.jwt"
local tok = jwt:sign("secret", {header = {typ = "JWT", alg = "HS256"},
  payload = {sub = "user-1", role = "webuser", exp = os.time() + 3600}})
function bench()
  return jwt:verify("secret", tok).verified
end`)
}

func BenchmarkJWTVerifyHS256ClaimSpec(b *testing.B) {
	benchLua(b, `
local jwt = require "resty.jwt"
local v = require "resty.jwt-validators"
local tok = jwt:sign("secret", {header = {typ = "JWT", alg = "HS256"},
  payload = {sub = "user-1", role = "webuser", exp = os.time() + 3600}})
local spec = {exp = v.is_not_expired(), role = v.equals_any_of({"webuser", "admin"})}
function bench()
  return jwt:verify("secret", tok, spec).verified
end`)
}

func BenchmarkJWTSignHS256(b *testing.B) {
	benchLua(b, `
local jwt = require "resty.jwt"
function bench()
  return #jwt:sign("secret", {header = {typ = "JWT", alg = "HS256"},
    payload = {sub = "user-1", role = "webuser", exp = 2000000000}}) > 0
end`)
}
