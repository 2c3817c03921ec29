package ngxhttp

import (
	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("ngx.var", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		v := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			_, r := request(vm, L)
			var name string
			switch k := L.Get(2).(type) {
			case lua.LString:
				name = string(k)
			case lua.LNumber:
				name = itoa(int(k))
			default:
				L.RaiseError("bad variable name")
			}
			val, found := r.Var(name)
			if !found {
				L.Push(lua.LNil)
				return 1
			}
			L.PushString(val) // boxed in the state's block: no allocation
			return 1
		}))
		mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			_, r := request(vm, L)
			switch L.Get(2).(type) {
			case lua.LString, lua.LNumber:
			default:
				L.RaiseError("bad variable name")
			}
			name := L.CheckString(2)
			val := L.Get(3)
			var err error
			switch x := val.(type) {
			case *lua.LNilType:
				err = r.SetVarByName(name, "", true)
			case lua.LString, lua.LNumber:
				err = r.SetVarByName(name, lua.LVAsString(x), false)
			case lua.LBool: // lua-resty-core stores tostring(value)
				err = r.SetVarByName(name, x.String(), false)
			default:
				L.RaiseError("bad variable value")
			}
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			return 0
		}))
		L.SetMetatable(v, mt)
		ngx.RawSetString("var", v)

		// ngx.arg: set_by_lua arguments, or the body filter's chunk and eof
		arg := L.NewTable()
		amt := L.NewTable()
		amt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			c, r := request(vm, L)
			i, ok := L.Get(2).(lua.LNumber)
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			switch c.Phase {
			case luabindings.PhaseSet:
				args := r.SetArgs()
				if n := int(i); n >= 1 && n <= len(args) {
					L.Push(lua.LString(args[n-1]))
					return 1
				}
			case luabindings.PhaseBodyFilter:
				chunk, eof := r.FilterArg()
				switch int(i) {
				case 1:
					L.Push(lua.LString(chunk))
					return 1
				case 2:
					L.Push(lua.LBool(eof))
					return 1
				}
			}
			L.Push(lua.LNil)
			return 1
		}))
		amt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			c, r := request(vm, L)
			if c.Phase != luabindings.PhaseBodyFilter {
				L.RaiseError("API disabled in the context of %s", c.Phase.Directive())
			}
			switch int(L.CheckNumber(2)) {
			case 1:
				switch x := L.Get(3).(type) {
				case *lua.LNilType:
					r.SetFilterChunk(nil)
				case *lua.LTable:
					var buf []byte
					buf, err := appendArg(buf, x, ngx.RawGetString("null"), 0)
					if err != nil {
						L.RaiseError("bad chunk data type: %s", err.Error())
					}
					r.SetFilterChunk(buf)
				default:
					s, ok := tostr(x)
					if !ok || x.Type() == lua.LTBool {
						L.RaiseError("bad chunk data type: %s", x.Type().String())
					}
					r.SetFilterChunk([]byte(s))
				}
			case 2:
				r.SetFilterEOF(lua.LVAsBool(L.Get(3)))
			}
			return 0
		}))
		amt.RawSetString("__len", L.NewFunction(func(L *lua.LState) int {
			c, r := request(vm, L)
			if c.Phase == luabindings.PhaseSet {
				L.Push(lua.LNumber(len(r.SetArgs())))
			} else {
				L.Push(lua.LNumber(2))
			}
			return 1
		}))
		L.SetMetatable(arg, amt)
		ngx.RawSetString("arg", arg)
	})
}
