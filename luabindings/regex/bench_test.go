package regex

import (
	"testing"

	"github.com/goresty/goresty/luabindings"
)

func BenchmarkExec(b *testing.B) {
	var res result
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		re, _ := lookup(`^/([a-z_]+)/([0-9]+)`, "jo", flagJIT|flagCompileOnce)
		sub := getSubject("/todos/12345?select=id,title", false)
		re.exec(sub, 0, &res)
		putSubject(sub)
	}
}

func benchLua(b *testing.B, code string) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "setup", "function bench(n) "+code+" end"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := vm.DoString(c, "run", "bench("+itoa(b.N)+")"); err != nil {
		b.Fatal(err)
	}
}

func itoa(n int) string {
	s := ""
	if n == 0 {
		return "0"
	}
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

func BenchmarkLuaMatch(b *testing.B) {
	benchLua(b, `local match = ngx.re.match
	for i = 1, n do local m = match("/todos/12345?select=id", "^/([a-z_]+)/([0-9]+)", "jo") end`)
}

func BenchmarkLuaFind(b *testing.B) {
	benchLua(b, `local find = ngx.re.find
	for i = 1, n do local f, t = find("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0", "Chrome/[0-9.]+", "jo") end`)
}

func BenchmarkLuaGsub(b *testing.B) {
	benchLua(b, `local gsub = ngx.re.gsub
	for i = 1, n do local s = gsub("a1b22c333d4444", "[0-9]+", "<$0>", "jo") end`)
}
