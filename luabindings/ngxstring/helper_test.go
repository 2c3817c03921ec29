package ngxstring

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// runLua runs code in a fresh VM; say(...) appends its tostring'd
// arguments joined by " " plus a newline to the returned output.
func runLua(t *testing.T, code string) string {
	t.Helper()
	out, err := runLuaErr(code)
	if err != nil {
		t.Fatalf("lua error: %v\ncode:\n%s", err, code)
	}
	return out
}

func runLuaErr(code string) (string, error) {
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
	// perr is pcall with the "chunk:line: " position prefix removed, which
	// LuaJIT omits when the error level points at pcall itself.
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

func expect(t *testing.T, code, want string) {
	t.Helper()
	got := runLua(t, code)
	if got != want {
		t.Errorf("code:\n%s\ngot:\n%s\nwant:\n%s", code, got, want)
	}
}
