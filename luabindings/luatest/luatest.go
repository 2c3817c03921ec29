// Package luatest runs Lua snippets in a fresh worker VM for the bindings'
// tests: say(...) collects output, perr(...) is pcall without the
// "chunk:line: " prefix (which LuaJIT omits when the error level points at
// pcall itself).
package luatest

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// Run runs code and returns what it said; a Lua error fails the test.
func Run(t testing.TB, code string) string {
	t.Helper()
	out, err := RunErr(code)
	if err != nil {
		t.Fatalf("lua error: %v\ncode:\n%s", err, code)
	}
	return out
}

// RunErr runs code in the content phase and returns its output and error.
func RunErr(code string) (string, error) {
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	defer vm.Close()
	var sb strings.Builder
	vm.L.SetGlobal("say", vm.L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				sb.WriteByte(' ')
			}
			sb.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		sb.WriteByte('\n')
		return 0
	}))
	if err := vm.L.DoString(`function perr(...)
		local ok, err = pcall(...)
		if type(err) == "string" then err = err:gsub("^[^:]+:%d+: ", "") end
		return ok, err
	end`); err != nil {
		return "", err
	}
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	err := vm.DoString(c, "t", code)
	return sb.String(), err
}

// Expect runs code and compares its output.
func Expect(t testing.TB, code, want string) {
	t.Helper()
	if got := Run(t, code); got != want {
		t.Errorf("code:\n%s\ngot:\n%s\nwant:\n%s", code, got, want)
	}
}
