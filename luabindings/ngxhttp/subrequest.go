package ngxhttp

import (
	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("ngx.location", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		loc := subTable(L, ngx, "location")
		// capture issues query index (0-based, as upstream numbers them
		// in its messages) of capture_multi: its checks in
		// ngx_http_lua_ngx_location_capture_multi's order.
		capture := func(L *lua.LState, r *httpd.Request, index int, q lua.LValue) *lua.LTable {
			qt, ok := q.(*lua.LTable)
			if !ok {
				if q == lua.LNil {
					L.RaiseError("only array-like tables are allowed")
				}
				L.RaiseError("the query argument %d is not a table, but a %s", index, q.Type().String())
			}
			nargs := qt.Len()
			if nargs != 1 && nargs != 2 {
				L.RaiseError("query argument %d expecting one or two arguments", index)
			}
			o := &httpd.CaptureOptions{}
			if nargs == 2 {
				opts, ok := qt.RawGetInt(2).(*lua.LTable)
				if !ok {
					L.RaiseError("expecting table as the 2nd argument for subrequest %d, but got %s", index, qt.RawGetInt(2).Type().String())
				}
				switch a := opts.RawGetString("args").(type) {
				case *lua.LNilType:
				case lua.LString:
					o.Args = string(a)
				case lua.LNumber:
					o.Args = lua.LVAsString(a)
				case *lua.LTable:
					s, err := encodeArgs(L, a)
					if err != nil {
						L.RaiseError("%s", err.Error())
					}
					o.Args = s
				default:
					L.RaiseError("Bad args option value")
				}
				switch vt := opts.RawGetString("vars").(type) {
				case *lua.LNilType:
				case *lua.LTable:
					o.Vars = map[string]string{}
					vt.ForEach(func(k, v lua.LValue) {
						if _, ok := k.(lua.LString); !ok {
							L.RaiseError("attempt to use a non-string key in the \"vars\" option table")
						}
						switch v.(type) {
						case lua.LString, lua.LNumber:
						default:
							L.RaiseError("attempt to use bad variable value type %s", v.Type().String())
						}
						name := lua.LVAsString(k)
						if err := r.SubrequestVarWritable(name); err != nil {
							L.RaiseError("%s", err.Error())
						}
						o.Vars[name] = lua.LVAsString(v)
					})
				default:
					L.RaiseError("Bad vars option value")
				}
				switch opts.RawGetString("headers").(type) {
				case *lua.LNilType, *lua.LTable:
				default:
					L.RaiseError("Bad headers option value")
				}
				boolOpt := func(name string) bool {
					switch v := opts.RawGetString(name).(type) {
					case *lua.LNilType:
						return false
					case lua.LBool:
						return bool(v)
					}
					L.RaiseError("Bad %s option value", name)
					return false
				}
				o.ShareAllVars = boolOpt("share_all_vars")
				o.CopyAllVars = boolOpt("copy_all_vars")
				o.AlwaysBody = lua.LVAsBool(opts.RawGetString("always_forward_body"))
				switch m := opts.RawGetString("method").(type) {
				case *lua.LNilType:
				case lua.LNumber:
					name, ok := methodNames[int(m)]
					if !ok {
						L.RaiseError("unsupported HTTP method: %d", int(m))
					}
					o.Method = name
				default:
					L.RaiseError("Bad http request method")
				}
				switch ct := opts.RawGetString("ctx").(type) {
				case *lua.LNilType:
				case *lua.LTable:
					o.Ctx = ct
				default:
					L.RaiseError("Bad ctx option value type %s, expected a Lua table", ct.Type().String())
				}
				switch b := opts.RawGetString("body").(type) {
				case *lua.LNilType:
				case lua.LString, lua.LNumber:
					o.Body, o.HasBody = []byte(lua.LVAsString(b)), true
				default:
					L.RaiseError("Bad http request body")
				}
			}
			uv := qt.RawGetInt(1)
			var uri string
			switch u := uv.(type) {
			case lua.LString:
				uri = string(u)
			case lua.LNumber:
				uri = lua.LVAsString(u)
			default:
				L.RaiseError("bad argument #3 to '?' (string expected, got %s)", uv.Type().String())
			}
			if len(uri) > 0 && uri[0] == '@' {
				L.RaiseError("named subrequest is not supported")
			}
			path, qs, ok := httpd.ParseUnsafeURI(uri)
			if !ok {
				L.RaiseError("unsafe uri in argument #1: %s", uri)
			}
			if vm.Debug() {
				// the subrequest's args: the URI's query string, then the args option
				switch {
				case qs == "":
					qs = o.Args
				case o.Args != "":
					qs += "&" + o.Args
				}
				vm.Log(luabindings.LogDebug, "lua http subrequest \""+path+"?"+qs+"\"")
			}
			if r.SubrequestsLeft() == 0 {
				r.Logf(httpd.LogErr, "lua subrequests cycle while processing \"%s\"", path)
				L.RaiseError("failed to issue subrequest: -1")
			}
			o.HeaderOnly = true // a HEAD capture has no body, as sr->header_only
			res := r.Capture(uri, o)
			if res == nil {
				L.RaiseError("failed to issue subrequest: -1")
			}
			t := L.NewTable()
			t.RawSetString("status", lua.LNumber(res.Status))
			h := L.NewTable()
			for _, kv := range res.Headers {
				switch old := h.RawGetString(kv[0]).(type) {
				case *lua.LNilType:
					h.RawSetString(kv[0], lua.LString(kv[1]))
				case *lua.LTable:
					old.Append(lua.LString(kv[1]))
				default:
					nt := L.NewTable()
					nt.Append(old)
					nt.Append(lua.LString(kv[1]))
					h.RawSetString(kv[0], nt)
				}
			}
			t.RawSetString("header", h)
			t.RawSetString("body", lua.LString(res.Body))
			t.RawSetString("truncated", lua.LBool(res.Truncated))
			return t
		}
		// capture_multi is lua-nginx-module's one entry point; capture
		// wraps its arguments into a one-query table as upstream does.
		multi := func(L *lua.LState, reqs *lua.LTable) int {
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			n := reqs.Len()
			if n == 0 {
				L.RaiseError("at least one subrequest should be specified")
			}
			for i := 1; i <= n; i++ {
				L.Push(capture(L, r, i-1, reqs.RawGetInt(i)))
			}
			return n
		}
		loc.RawSetString("capture", L.NewFunction(func(L *lua.LState) int {
			n := L.GetTop()
			if n != 1 && n != 2 {
				L.RaiseError("expecting one or two arguments")
			}
			q := L.NewTable()
			for i := 1; i <= n; i++ {
				q.RawSetInt(i, L.Get(i))
			}
			reqs := L.NewTable()
			reqs.RawSetInt(1, q)
			return multi(L, reqs)
		}))
		loc.RawSetString("capture_multi", L.NewFunction(func(L *lua.LState) int {
			if n := L.GetTop(); n != 1 {
				L.RaiseError("only one argument is expected, but got %d", n)
			}
			return multi(L, L.CheckTable(1))
		}))
	})
}
