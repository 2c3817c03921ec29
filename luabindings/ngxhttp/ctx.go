package ngxhttp

import (
	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

type ctxKey struct{}

// The ngx table's dynamic fields: ngx.ctx, ngx.status, ngx.headers_sent,
// ngx.is_subrequest live behind a metatable, as in lua-nginx-module.
func init() {
	luabindings.Register("ngx.ctx", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		mt := L.NewTable()
		ctxTable := func(L *lua.LState) *lua.LTable {
			c := vm.Current()
			if c == nil {
				L.RaiseError("no request found")
			}
			if r, ok := c.Req.(interface {
				CtxTable() any
				SetCtxTable(any)
			}); ok && c.Req != nil {
				if t, ok := r.CtxTable().(*lua.LTable); ok {
					return t
				}
				t := L.NewTable()
				r.SetCtxTable(t)
				return t
			}
			if t, ok := c.Value(ctxKey{}).(*lua.LTable); ok {
				return t
			}
			t := L.NewTable()
			c.SetValue(ctxKey{}, t)
			return t
		}
		mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			k, _ := L.Get(2).(lua.LString)
			switch k {
			case "ctx":
				L.Push(ctxTable(L))
			case "status":
				c := vm.Current()
				if c == nil || c.Phase == luabindings.PhaseInit {
					L.Push(lua.LNumber(0))
					return 1
				}
				if c.Req == nil {
					// a timer's or init_worker's fake request
					L.RaiseError("API disabled in the current context")
				}
				_, r := request(vm, L)
				L.Push(lua.LNumber(r.Status()))
			case "headers_sent":
				_, r := request(vm, L)
				L.Push(lua.LBool(r.HeaderSent()))
			case "is_subrequest":
				_, r := request(vm, L)
				L.Push(lua.LBool(r.IsSubrequest()))
			default:
				L.Push(lua.LNil)
			}
			return 1
		}))
		mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			k, _ := L.Get(2).(lua.LString)
			switch k {
			case "ctx":
				t, ok := L.Get(3).(*lua.LTable)
				if !ok {
					L.RaiseError("ctx should be a table while getting a %s", L.Get(3).Type().String())
				}
				c := vm.Current()
				if c == nil {
					L.RaiseError("no request found")
				}
				if r, ok := c.Req.(interface{ SetCtxTable(any) }); ok && c.Req != nil {
					r.SetCtxTable(t)
				} else {
					c.SetValue(ctxKey{}, t)
				}
			case "status":
				// allowed in body_filter and log_by_lua too, where the
				// header is out and it only logs (lua-resty-core)
				_, r := request(vm, L)
				n := L.CheckInt(3)
				if !r.SetStatus(n) {
					vm.Log(luabindings.LogErr, "attempt to set ngx.status after sending out response headers")
				}
			default:
				L.RawSet(L.CheckTable(1), L.Get(2), L.Get(3))
			}
			return 0
		}))
		L.SetMetatable(ngx, mt)
	})
}
