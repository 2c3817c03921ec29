package regex

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
)

// A regex compiled with "j" writes lua-nginx-module's debug line
// "pcre JIT compiling result: 1": at each call without "o" (each one
// compiles), once with "o"; never without "j".
func TestJITCompileDebugLine(t *testing.T) {
	const line = "pcre JIT compiling result: 1"
	for _, c := range []struct {
		code string
		want int
	}{
		{`for i = 1, 3 do ngx.re.match("hello, 1234", "([0-9]+)", "j") end`, 3},
		{`for i = 1, 3 do ngx.re.find("hello, 1234", "[0-9]+x?", "jo") end`, 1},
		{`for m in ngx.re.gmatch("a1b2", "[0-9]z?", "j") do end ngx.re.gsub("a1", "[0-9]zz?", "x", "j")`, 2},
		{`ngx.re.match("hello, 1234", "([0-9]+)yy?")`, 0},
	} {
		vm := luabindings.NewVM(0, 1, "/tmp", nil)
		var logs []string
		vm.Log = func(level int, msg string) {
			if level == luabindings.LogDebug {
				logs = append(logs, msg)
			}
		}
		if err := vm.DoString(&luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}, "t", c.code); err != nil {
			t.Fatalf("%s: %v", c.code, err)
		}
		vm.Close()
		if n := strings.Count(strings.Join(logs, "\n"), line); n != c.want {
			t.Errorf("%s: %d debug lines %q, want %d", c.code, n, logs, c.want)
		}
	}
}
