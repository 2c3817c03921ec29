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
		capture := func(L *lua.LState, r *httpd.Request, uri string, opts *lua.LTable) *lua.LTable {
			if len(uri) > 0 && uri[0] == '@' {
				L.RaiseError("named subrequest is not supported")
			}
			o := &httpd.CaptureOptions{}
			if opts != nil {
				if m, ok := opts.RawGetString("method").(lua.LNumber); ok {
					name, ok := methodNames[int(m)]
					if !ok {
						L.RaiseError("unsupported HTTP method: %d", int(m))
					}
					o.Method = name
				}
				if b, ok := opts.RawGetString("body").(lua.LString); ok {
					o.Body, o.HasBody = []byte(b), true
				}
				switch a := opts.RawGetString("args").(type) {
				case lua.LString:
					o.Args = string(a)
				case *lua.LTable:
					s, err := encodeArgs(L, a)
					if err != nil {
						L.RaiseError("%s", err.Error())
					}
					o.Args = s
				}
				switch vt := opts.RawGetString("vars").(type) {
				case *lua.LNilType:
				case *lua.LTable:
					o.Vars = map[string]string{}
					vt.ForEach(func(k, v lua.LValue) {
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
				o.CopyAllVars = lua.LVAsBool(opts.RawGetString("copy_all_vars"))
				o.ShareAllVars = lua.LVAsBool(opts.RawGetString("share_all_vars"))
				o.AlwaysBody = lua.LVAsBool(opts.RawGetString("always_forward_body"))
				if ct, ok := opts.RawGetString("ctx").(*lua.LTable); ok {
					o.Ctx = ct
				}
			}
			o.HeaderOnly = true // a HEAD capture has no body, as sr->header_only
			res := r.Capture(uri, o)
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
		loc.RawSetString("capture", L.NewFunction(func(L *lua.LState) int {
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			uri := L.CheckString(1)
			opts, _ := L.Get(2).(*lua.LTable)
			L.Push(capture(L, r, uri, opts))
			return 1
		}))
		loc.RawSetString("capture_multi", L.NewFunction(func(L *lua.LState) int {
			vm.CheckPhase(L, outputPhases...)
			_, r := request(vm, L)
			reqs := L.CheckTable(1)
			n := reqs.Len()
			for i := 1; i <= n; i++ {
				spec, ok := reqs.RawGetInt(i).(*lua.LTable)
				if !ok {
					L.RaiseError("bad argument #1 to 'capture_multi' (table expected)")
				}
				opts, _ := spec.RawGetInt(2).(*lua.LTable)
				L.Push(capture(L, r, lua.LVAsString(spec.RawGetInt(1)), opts))
			}
			return n
		}))
	})
}
