package resty

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// runLua runs code on a fresh VM; the code reports through say(...),
// which joins its arguments with tostring like ngx.say.
func runLua(t testing.TB, code string) string {
	t.Helper()
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	out, err := runOn(vm, code)
	if err != nil {
		t.Fatalf("lua error: %v\noutput so far:\n%s", err, out)
	}
	return out
}

func runOn(vm *luabindings.VM, code string) (string, error) {
	var b strings.Builder
	vm.L.SetGlobal("say", vm.L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			b.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		b.WriteByte('\n')
		return 0
	}))
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	err := vm.DoString(c, "t", "local function from_hex(s) return (s:gsub('..', function(cc) return string.char(tonumber(cc, 16)) end)) end\n"+code)
	return b.String(), err
}

func expect(t *testing.T, code, want string) {
	t.Helper()
	if got := runLua(t, code); got != want {
		t.Errorf("output mismatch\n got: %q\nwant: %q", got, want)
	}
}
