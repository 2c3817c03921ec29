// Package ngxhttp binds the request-level ngx API (output, headers,
// variables, ngx.req, control flow, ngx.ctx, ngx.log, timers, light
// threads and subrequests) to goresty's HTTP runtime, one file per
// sub-API like lua-nginx-module's src/.
package ngxhttp

import (
	"strconv"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/compat"
	"github.com/goresty/goresty/luabindings/ngxstring"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

// request returns the running request or raises "no request found".
func request(vm *luabindings.VM, L *lua.LState) (*luabindings.Ctx, *httpd.Request) {
	c := vm.Current()
	if c == nil || c.Phase == luabindings.PhaseInit {
		L.RaiseError("no request found")
		return nil, nil
	}
	if c.Req == nil {
		// init_worker and timers run on a fake request in OpenResty
		L.RaiseError("API disabled in the current context")
		return nil, nil
	}
	r, ok := c.Req.(*httpd.Request)
	if !ok {
		L.RaiseError("no request found")
	}
	return c, r
}

func setFuncs(L *lua.LState, t *lua.LTable, fns map[string]lua.LGFunction) {
	for k, f := range fns {
		t.RawSetString(k, L.NewFunction(f))
	}
}

func subTable(L *lua.LState, ngx *lua.LTable, name string) *lua.LTable {
	if t, ok := ngx.RawGetString(name).(*lua.LTable); ok {
		return t
	}
	t := L.NewTable()
	ngx.RawSetString(name, t)
	return t
}

// tostr converts a scalar as OpenResty's output functions do.
func tostr(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		// lua-nginx-module's own number output (not tostring's)
		return compat.FormatNgxNumber(float64(x)), true
	case lua.LBool:
		if x {
			return "true", true
		}
		return "false", true
	case *lua.LNilType:
		return "nil", true
	}
	return "", false
}

func itoa(n int) string { return strconv.Itoa(n) }

// exit ends the running handler (ngx.exit and friends); the Go function
// calling it returns right after.
func exit(L *lua.LState) { luabindings.ExitHandler(L) }

func encodeArgs(L *lua.LState, t *lua.LTable) (string, error) { return ngxstring.EncodeArgs(L, t) }
