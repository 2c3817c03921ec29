package ngxhttp

import (
	"fmt"
	"math"
	"strconv"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

// nginx's return codes as ngx.ERROR, ngx.AGAIN, ngx.DONE, ngx.DECLINED.
const (
	ngxError    = -1
	ngxAgain    = -2
	ngxDone     = -4
	ngxDeclined = -5
)

var outputPhases = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite, luabindings.PhaseAccess, luabindings.PhaseContent}

func init() {
	luabindings.Register("ngx.output", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		null := func() lua.LValue { return ngx.RawGetString("null") }
		write := func(name string, newline bool) lua.LGFunction {
			return func(L *lua.LState) int {
				c := vm.CheckPhase(L, outputPhases...)
				_, r := request(vm, L)
				_ = c
				buf := make([]byte, 0, 64)
				n := L.GetTop()
				for i := 1; i <= n; i++ {
					var err error
					buf, err = appendArg(buf, L.Get(i), null(), 0)
					if err != nil {
						L.ArgError(i, err.Error())
					}
				}
				if newline {
					buf = append(buf, '\n')
				}
				if r.Ended() {
					L.Push(lua.LNil)
					L.Push(lua.LString("seen eof"))
					return 2
				}
				if headerOnly(r) {
					L.Push(lua.LNil)
					L.Push(lua.LString("header only"))
					return 2
				}
				if r.HTTP10Buffering() && vm.Debug() {
					vm.Log(luabindings.LogDebug, "lua buffering output bufs for the HTTP 1.0 request")
				}
				if !r.Write(buf) {
					L.Push(lua.LNil)
					if r.OutputFailed() {
						L.Push(lua.LString("nginx output filter error"))
					} else {
						L.Push(lua.LString("seen eof"))
					}
					return 2
				}
				L.Push(lua.LNumber(1))
				return 1
			}
		}
		ngx.RawSetString("say", L.NewFunction(write("say", true)))
		ngx.RawSetString("print", L.NewFunction(write("print", false)))
		ngx.RawSetString("flush", L.NewFunction(func(L *lua.LState) int {
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			if r.Ended() {
				L.Push(lua.LNil)
				L.Push(lua.LString("seen eof"))
				return 2
			}
			if headerOnly(r) {
				L.Push(lua.LNil)
				L.Push(lua.LString("header only"))
				return 2
			}
			if r.OutputFailed() {
				L.Push(lua.LNil)
				L.Push(lua.LString("nginx output filter error"))
				return 2
			}
			if r.HTTP10Buffered() {
				if vm.Debug() {
					vm.Log(luabindings.LogDebug, "lua http 1.0 buffering makes ngx.flush() a no-op")
				}
				L.Push(lua.LNil)
				L.Push(lua.LString("buffering"))
				return 2
			}
			r.Flush()
			if r.OutputFailed() {
				L.Push(lua.LNil)
				L.Push(lua.LString("nginx output filter error"))
				return 2
			}
			L.Push(lua.LNumber(1))
			return 1
		}))
		ngx.RawSetString("eof", L.NewFunction(func(L *lua.LState) int {
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			if !r.EOF() {
				L.Push(lua.LNil)
				L.Push(lua.LString("seen eof"))
				return 2
			}
			L.Push(lua.LNumber(1))
			return 1
		}))
		ngx.RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
			code := L.CheckInt(1)
			if code == ngxAgain || code == ngxDone {
				L.RaiseError("bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE")
			}
			c := vm.Current()
			if c == nil {
				L.RaiseError("no request found")
			}
			if vm.Debug() {
				vm.Log(luabindings.LogDebug, "lua exit with code "+strconv.Itoa(code))
			}
			if c.Phase.IsSSL() {
				// the handshake goes on (ngx.OK) or fails (ngx.ERROR)
				c.ExitCode, c.ExitSet = code, true
				exit(L)
				return 0
			}
			switch c.Phase {
			case luabindings.PhaseTimer, luabindings.PhaseInitWorker:
				exit(L)
				return 0
			case luabindings.PhaseSet, luabindings.PhaseBodyFilter, luabindings.PhaseLog, luabindings.PhaseInit:
				L.RaiseError("API disabled in the context of %s", c.Phase.Directive())
			}
			_, r := request(vm, L)
			if r.PendingSubrequests() && code != ngxError && code != 444 && code != 408 && code != 499 {
				L.RaiseError("attempt to abort with pending subrequests")
			}
			if c.Phase == luabindings.PhaseHeaderFilter {
				// recorded; the rest of the filter still runs
				r.HeaderFilterExit(code)
				return 0
			}
			switch {
			case code == ngxDeclined && (c.Phase == luabindings.PhaseRewrite ||
				c.Phase == luabindings.PhaseServerRewrite || c.Phase == luabindings.PhaseAccess):
				// the phase handler declines: the request goes on
			case (code == ngxError || code == ngxDeclined) && r.IsSubrequest():
				// the subrequest ends in error: its parent sees
				// status 500 (unless sent) and a truncated body
				code = ngxError
			case code == ngxError || code == ngxDeclined:
				// nginx finalizes with an error: the connection closes
				// without a response, as for 444
				code = 444
			case r.HeaderSent() && code >= 300 && code != 408 && code != 499 && code != 444:
				if code != r.Status() {
					vm.Log(luabindings.LogErr, fmt.Sprintf("attempt to set status %d via ngx.exit after sending out the response status %d", code, r.Status()))
				}
				code = 200
			}
			r.Exit(code, c.Phase)
			// the whole handler ends: every other thread of the request
			killThreads(r.LuaCtx(), c)
			exit(L)
			return 0
		}))
		ngx.RawSetString("redirect", L.NewFunction(func(L *lua.LState) int {
			uri := L.CheckString(1)
			code := L.OptInt(2, 302)
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			switch code {
			case 301, 302, 303, 307, 308:
			default:
				L.RaiseError("only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed")
			}
			for i := 0; i < len(uri); i++ {
				if b := uri[i]; b < 0x20 && b != '\t' || b == 0x7f { // %00-%08, %0A-%1F, %7F
					L.RaiseError("unsafe byte \"0x%02x\" in redirect uri \"%s\"", b, escapeUnsafe(uri))
				}
			}
			if r.PendingSubrequests() {
				L.RaiseError("attempt to abort with pending subrequests")
			}
			if r.HeaderSent() {
				L.RaiseError("attempt to call ngx.redirect after sending out the headers")
			}
			r.Redirect(uri, code)
			killThreads(r.LuaCtx(), vm.Current())
			exit(L)
			return 0
		}))
		ngx.RawSetString("exec", L.NewFunction(func(L *lua.LState) int {
			if n := L.GetTop(); n != 1 && n != 2 {
				L.RaiseError("expecting one or two arguments, but got %d", n)
			}
			uri := L.CheckString(1)
			if uri == "" {
				L.RaiseError("The uri argument is empty")
			}
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			path, args, ok := httpd.ParseUnsafeURI(uri)
			if !ok {
				r.Logf(httpd.LogErr, "unsafe URI \"%s\" was detected", path)
				L.RaiseError("unsafe uri")
			}
			user := ""
			switch a := L.Get(2).(type) {
			case lua.LString:
				user = string(a)
			case *lua.LTable:
				s, err := encodeArgs(L, a)
				if err != nil {
					L.RaiseError("%s", err.Error())
				}
				user = s
			case lua.LNumber:
				user = a.String()
			case *lua.LNilType:
			default:
				L.ArgError(2, "string, number, or table expected, but got "+L.Get(2).Type().String())
			}
			switch {
			case args == "":
				args = user
			case user != "":
				args += "&" + user
			}
			if r.PendingSubrequests() {
				L.RaiseError("attempt to abort with pending subrequests")
			}
			if r.HeaderSent() {
				L.RaiseError("attempt to call ngx.exec after sending out response headers")
			}
			r.Exec(path, args)
			killThreads(r.LuaCtx(), vm.Current())
			exit(L)
			return 0
		}))
		ngx.RawSetString("on_abort", L.NewFunction(func(L *lua.LState) int {
			L.CheckFunction(1)
			c := vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			if !r.CheckClientAbort() {
				L.Push(lua.LNil)
				L.Push(lua.LString("lua_check_client_abort is off"))
				return 2
			}
			if c.Value(onAbortKey{}) != nil {
				L.Push(lua.LNil)
				L.Push(lua.LString("duplicate call"))
				return 2
			}
			// run as a light thread when the client goes away
			// (httpd.LuaClientAbort)
			c.SetValue(onAbortKey{}, &onAbort{fn: L.CheckFunction(1)})
			L.Push(lua.LNumber(1))
			return 1
		}))
		_ = fmt.Sprint
	})
}

type onAbortKey struct{}

// appendArg formats one ngx.say/ngx.print argument; arrays are flattened
// as lua-nginx-module does (ngx_http_lua_calc_strlen_in_table): every key
// must be a positive integer, the elements 1..the largest key are
// written, a hole as "nil".
func appendArg(buf []byte, v lua.LValue, null lua.LValue, depth int) ([]byte, error) {
	if s, ok := tostr(v); ok {
		return append(buf, s...), nil
	}
	if v == null {
		return append(buf, "null"...), nil
	}
	if t, ok := v.(*lua.LTable); ok {
		max, array := 0, true
		t.ForEach(func(k, _ lua.LValue) {
			kn, ok := k.(lua.LNumber)
			if !ok || float64(kn) != math.Floor(float64(kn)) || kn < 1 {
				array = false
				return
			}
			if int(kn) > max {
				max = int(kn)
			}
		})
		if !array {
			return buf, fmt.Errorf("non-array table found")
		}
		for i := 1; i <= max; i++ {
			e := t.RawGetInt(i)
			switch e.(type) {
			case lua.LString, lua.LNumber, lua.LBool, *lua.LNilType, *lua.LTable:
			default:
				if e != null {
					return buf, fmt.Errorf("bad data type %s found", e.Type().String())
				}
			}
			var err error
			buf, err = appendArg(buf, e, null, depth+1)
			if err != nil {
				return buf, err
			}
		}
		return buf, nil
	}
	return buf, fmt.Errorf("string, number, boolean, nil, ngx.null, or array table expected, but got %s", v.Type().String())
}

// escapeUnsafe renders control bytes as \xHH the way lua-nginx-module
// quotes a rejected URI.
func escapeUnsafe(s string) string {
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			b = append(b, '\\', 'x', hexd[c>>4], hexd[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// headerOnly is nginx's r->header_only: the header of a HEAD response
// is out, no body may follow.
func headerOnly(r *httpd.Request) bool {
	return r.HeaderSent() && r.Method() == "HEAD" && !r.IsSubrequest()
}
