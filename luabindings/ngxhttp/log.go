package ngxhttp

import (
	"strings"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("ngx.log", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		logAt := func(L *lua.LState, level int, from int) {
			var b strings.Builder
			b.WriteString("[lua] ")
			b.WriteString(strings.TrimSuffix(L.Where(1), " "))
			b.WriteByte(' ')
			null := ngx.RawGetString("null")
			for i := from; i <= L.GetTop(); i++ {
				v := L.Get(i)
				if s, ok := tostr(v); ok {
					b.WriteString(s)
				} else if v == null {
					b.WriteString("null")
				} else if t, ok := v.(*lua.LTable); ok {
					buf, err := appendArg(nil, t, null, 0)
					if err != nil {
						L.ArgError(i, "expected table to be an array")
					}
					b.Write(buf)
				} else {
					L.ArgError(i, "string, number, boolean, or nil expected, got "+v.Type().String())
				}
			}
			vm.Log(level, b.String())
		}
		ngx.RawSetString("log", L.NewFunction(func(L *lua.LState) int {
			level := L.CheckInt(1)
			if level < luabindings.LogStderr || level > luabindings.LogDebug {
				L.RaiseError("bad log level: %d", level)
			}
			logAt(L, level, 2)
			return 0
		}))
		L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
			logAt(L, luabindings.LogNotice, 1)
			return 0
		}))
	})
}
