package ngxstring

import (
	"testing"

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
