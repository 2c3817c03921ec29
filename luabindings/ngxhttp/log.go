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
			writeCaller(L, &b)
			null := ngx.RawGetString("null")
			for i := from; i <= L.GetTop(); i++ {
				v := L.Get(i)
				if s, ok := tostr(v); ok {
					b.WriteString(s)
				} else if v == null {
					b.WriteString("null")
				} else if _, ok := v.(*lua.LTable); ok {
					// tables need __tostring, as in lua-nginx-module
					if L.GetMetaField(v, "__tostring") == lua.LNil {
						L.ArgError(i-from+1, "expected table to have __tostring metamethod")
					}
					b.WriteString(L.ToStringMeta(v).String())
				} else {
					L.ArgError(i-from+1, "string, number, boolean, or nil expected, got "+v.Type().String())
				}
			}
			vm.Log(level, b.String())
		}
		ngx.RawSetString("log", L.NewFunction(func(L *lua.LState) int {
			level := L.CheckInt(1)
			if level < luabindings.LogStderr || level > luabindings.LogDebug {
				L.ArgError(1, "bad log level: "+itoa(level))
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

// ErrlogLevelKey is the vm.Services entry holding the error_log level
// (an int, ngx.STDERR..ngx.DEBUG numbering) for ngx.errlog.
const ErrlogLevelKey = "errlog.level"

func init() {
	// lua-resty-core's ngx.errlog, as far as it does not need
	// lua_capture_error_log.
	luabindings.RegisterModule("ngx.errlog", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		m := L.NewTable()
		setFuncs(L, m, map[string]lua.LGFunction{
			"raw_log": func(L *lua.LState) int {
				level := L.CheckInt(1)
				if level < luabindings.LogStderr || level > luabindings.LogDebug {
					L.ArgError(1, "bad log level")
				}
				v, ok := L.Get(2).(lua.LString)
				if !ok {
					L.ArgError(2, "bad argument #2 to 'raw_log' (must be a string)")
				}
				vm.Log(level, string(v))
				return 0
			},
			"get_sys_filter_level": func(L *lua.LState) int {
				level, _ := vm.Services[ErrlogLevelKey].(int)
				if level == 0 {
					level = luabindings.LogErr
				}
				L.Push(lua.LNumber(level))
				return 1
			},
			"set_filter_level": func(L *lua.LState) int {
				L.Push(lua.LNil)
				L.Push(lua.LString("no lua_capture_error_log directive"))
				return 2
			},
			"get_logs": func(L *lua.LState) int {
				L.Push(lua.LNil)
				L.Push(lua.LString("no lua_capture_error_log directive"))
				return 2
			},
		})
		return m
	})
}

// writeCaller writes where ngx.log was called from as lua-nginx-module's
// log_wrapper does: the base name of the chunk ("content_by_lua(nginx.conf:12)",
// "h.lua" for /abs/h.lua), the line, and the function's name when it has
// one ("f(): "; never for a main chunk or an anonymous function).
func writeCaller(L *lua.LState, b *strings.Builder) {
	where := strings.TrimSuffix(L.Where(1), " ")
	if i := strings.LastIndexAny(where, "/\\"); i >= 0 {
		where = where[i+1:]
	}
	b.WriteString(where)
	b.WriteByte(' ')
	dbg, ok := L.GetStack(1)
	if !ok {
		return
	}
	if _, err := L.GetInfo("Sn", dbg, lua.LNil); err != nil || dbg.What != "Lua" {
		return
	}
	if n := dbg.Name; n != "" && n != "?" && n[0] != '<' && n[0] != '(' {
		b.WriteString(n)
		b.WriteString("(): ")
	}
}
