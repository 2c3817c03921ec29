package ngxhttp

import (
	"net"
	"strconv"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// ngx.balancer (lua-resty-core) for balancer_by_lua*: the handler picks
// the upstream peer for this attempt.
func init() {
	luabindings.RegisterModule("ngx.balancer", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		m := L.NewTable()
		inBalancer := func(L *lua.LState) bool {
			c := vm.Current()
			if c == nil || c.Phase != luabindings.PhaseBalancer {
				L.Push(lua.LNil)
				if c == nil {
					L.Push(lua.LString("no request found"))
				} else {
					L.Push(lua.LString("API disabled in the context of " + c.Phase.Directive()))
				}
				return false
			}
			return true
		}
		setFuncs(L, m, map[string]lua.LGFunction{
			"set_current_peer": func(L *lua.LState) int {
				host := L.CheckString(1)
				if !inBalancer(L) {
					return 2
				}
				_, r := request(vm, L)
				addr := host
				if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
					addr = net.JoinHostPort(host, strconv.Itoa(L.CheckInt(2)))
				} else if _, _, err := net.SplitHostPort(host); err != nil {
					addr = net.JoinHostPort(host, "80")
				}
				r.SetBalancerPeer(addr)
				L.Push(lua.LTrue)
				return 1
			},
			"set_more_tries": func(L *lua.LState) int {
				if !inBalancer(L) {
					return 2
				}
				L.Push(lua.LTrue)
				return 1
			},
			"get_last_failure": func(L *lua.LState) int {
				L.Push(lua.LNil)
				return 1
			},
			"set_timeouts": func(L *lua.LState) int {
				if !inBalancer(L) {
					return 2
				}
				L.Push(lua.LTrue)
				return 1
			},
		})
		return m
	})
}
