package ngxstring

import (
	"testing"

	"github.com/goresty/goresty/luabindings"

	lua "github.com/yuin/gopher-lua"
)

func BenchmarkDecodeArgs(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		DecodeArgs(L, "select=id,title&order=created_at.desc&limit=10&q=hello+world%21", MaxArgs)
	}
}

func BenchmarkEscapeURI(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		EscapeURI("/api/v1/items?name=a b&c=d/é", EscapeURIComponent)
	}
}

func BenchmarkUnescapeURIClean(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		UnescapeURI("select=id,title")
	}
}

// BenchmarkDecodeBase64Lua: ngx.decode_base64 called from Lua, as a JWT
// check does for each token part.
func BenchmarkDecodeBase64Lua(b *testing.B) {
	vm := luabindings.NewVM(0, 1, b.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "b", `local s = ngx.encode_base64(("x"):rep(60))
function bench() return ngx.decode_base64(s) end`); err != nil {
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
