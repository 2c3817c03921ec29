package ngxhttp

import (
	"strings"
	"unsafe"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/ngxstring"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/valyala/fasthttp"
	lua "github.com/yuin/gopher-lua"
)

var methodNames = map[int]string{2: "GET", 4: "HEAD", 8: "POST", 16: "PUT", 32: "DELETE", 64: "MKCOL", 128: "COPY",
	256: "MOVE", 512: "OPTIONS", 1024: "PROPFIND", 2048: "PROPPATCH", 4096: "LOCK", 8192: "UNLOCK", 16384: "PATCH", 32768: "TRACE"}

func init() {
	luabindings.Register("ngx.req", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		req := subTable(L, ngx, "req")
		setFuncs(L, req, map[string]lua.LGFunction{
			"get_uri_args": func(L *lua.LState) int {
				_, r := request(vm, L)
				return pushArgs(vm, L, r.Args())
			},
			"get_post_args": func(L *lua.LState) int {
				_, r := request(vm, L)
				body, ok := r.Body()
				if !ok {
					if r.BodyFile() != "" {
						L.Push(lua.LNil)
						L.Push(lua.LString("request body in temp file not supported"))
						return 2
					}
					L.RaiseError("no request body found; maybe you should turn on lua_need_request_body?")
				}
				return pushArgs(vm, L, string(body))
			},
			"set_uri_args": func(L *lua.LState) int {
				if n := L.GetTop(); n != 1 {
					L.RaiseError("expecting 1 argument but seen %d", n)
				}
				_, r := request(vm, L)
				switch a := L.Get(1).(type) {
				case lua.LString:
					// controls and spaces escaped (ngx_http_lua_escape_args)
					r.SetArgsString(escapeHeader(string(a), &unsafeArgs))
				case lua.LNumber:
					r.SetArgsString(a.String())
				case *lua.LTable:
					s, err := ngxstring.EncodeArgs(L, a)
					if err != nil {
						L.RaiseError("%s", err.Error())
					}
					r.SetArgsString(s)
				default:
					L.ArgError(1, "string, number, or table expected, but got "+L.Get(1).Type().String())
				}
				return 0
			},
			"set_uri": func(L *lua.LState) int {
				// argument checks in lua-nginx-module's order
				if n := L.GetTop(); n < 1 || n > 3 {
					L.RaiseError("expecting 1, 2 or 3 arguments but seen %d", n)
				}
				c, r := request(vm, L)
				uri := L.CheckString(1)
				if uri == "" {
					L.RaiseError("attempt to use zero-length uri")
				}
				binary := false
				if L.GetTop() >= 3 {
					binary = bool(L.CheckBool(3))
				}
				if !binary {
					if i := unsafeURIByte(uri); i >= 0 {
						L.RaiseError("unsafe byte \"0x%02x\" in uri \"%s\" (maybe you want to set the 'binary' argument?)",
							uri[i], escapeLog(uri))
					}
				}
				jump := false
				if L.GetTop() >= 2 {
					jump = bool(L.CheckBool(2))
				}
				if jump {
					if c.Phase != luabindings.PhaseRewrite && c.Phase != luabindings.PhaseServerRewrite {
						L.RaiseError("API disabled in the context of %s", c.Phase.Directive())
					}
					if vm.Debug() {
						vm.Log(luabindings.LogDebug, "lua set uri jump to \""+uri+"\"")
					}
					if r.PendingSubrequests() {
						L.RaiseError("attempt to abort with pending subrequests")
					}
					r.SetURI(uri, true)
					exit(L)
					return 0
				}
				r.SetURI(uri, false)
				return 0
			},
			"get_method": func(L *lua.LState) int {
				_, r := request(vm, L)
				L.Push(lua.LString(r.Method()))
				return 1
			},
			"set_method": func(L *lua.LState) int {
				_, r := request(vm, L)
				m, ok := methodNames[L.CheckInt(1)]
				if !ok {
					L.RaiseError("unsupported HTTP method: %d", L.CheckInt(1))
				}
				r.SetMethod(m)
				return 0
			},
			"http_version": func(L *lua.LState) int {
				_, r := request(vm, L)
				L.Push(lua.LNumber(r.HTTPVersion()))
				return 1
			},
			"raw_header": func(L *lua.LState) int {
				_, r := request(vm, L)
				if r.HTTP2() {
					L.RaiseError("http2 requests not supported yet") // as lua-nginx-module
				}
				L.Push(lua.LString(r.RawHeader(L.OptBool(1, false))))
				return 1
			},
			"start_time": func(L *lua.LState) int {
				_, r := request(vm, L)
				t := r.StartTime()
				if now := ngxstring.Now(); now.Before(t) {
					t = now // same clock as ngx.now()
				}
				L.Push(lua.LNumber(float64(t.UnixMilli()) / 1000))
				return 1
			},
			"is_internal": func(L *lua.LState) int {
				_, r := request(vm, L)
				L.Push(lua.LBool(r.IsInternal()))
				return 1
			},
			"read_body": func(L *lua.LState) int {
				if n := L.GetTop(); n != 0 {
					L.RaiseError("expecting 0 arguments but seen %d", n)
				}
				vm.CheckPhase(L, reqSocketPhases...)
				c, r := request(vm, L)
				if code := r.ReadBody(); code != 0 {
					r.Exit(code, c.Phase)
					exit(L)
					return 0
				}
				return 0
			},
			"discard_body": func(L *lua.LState) int {
				_, r := request(vm, L)
				r.DiscardBody()
				return 0
			},
			"get_body_data": func(L *lua.LState) int {
				_, r := request(vm, L)
				b, ok := r.Body()
				if !ok || len(b) == 0 {
					L.Push(lua.LNil)
					return 1
				}
				L.Push(lua.LString(b))
				return 1
			},
			"get_body_file": func(L *lua.LState) int {
				_, r := request(vm, L)
				if f := r.BodyFile(); f != "" {
					L.Push(lua.LString(f))
				} else {
					L.Push(lua.LNil)
				}
				return 1
			},
			"set_body_file": func(L *lua.LState) int {
				if n := L.GetTop(); n != 1 && n != 2 {
					L.RaiseError("expecting 1 or 2 arguments but seen %d", n)
				}
				name := L.CheckString(1)
				_, r := request(vm, L)
				clean := false
				if L.GetTop() == 2 {
					clean = bool(L.CheckBool(2))
				}
				if err := r.SetBodyFile(name, clean); err != "" {
					L.RaiseError("%s", err)
				}
				return 0
			},
			"set_body_data": func(L *lua.LState) int {
				if n := L.GetTop(); n != 1 {
					L.RaiseError("expecting 1 arguments but seen %d", n)
				}
				L.CheckString(1)
				_, r := request(vm, L)
				if err := r.CheckBodySet(); err != "" {
					L.RaiseError("%s", err)
				}
				r.SetBody([]byte(L.CheckString(1)))
				return 0
			},
			"init_body": func(L *lua.LState) int {
				_, r := request(vm, L)
				size := int64(-1)
				if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
					size = int64(L.CheckInt(1))
					if size < 0 {
						size = 0
					}
				}
				if err := r.InitBody(size); err != "" {
					L.RaiseError("%s", err)
				}
				return 0
			},
			"append_body": func(L *lua.LState) int {
				_, r := request(vm, L)
				if err := r.AppendBody([]byte(L.CheckString(1))); err != "" {
					L.RaiseError("%s", err)
				}
				return 0
			},
			"finish_body": func(L *lua.LState) int {
				_, r := request(vm, L)
				if err := r.FinishBody(); err != "" {
					L.RaiseError("%s", err)
				}
				return 0
			},
			"get_headers": func(L *lua.LState) int {
				names := lowerNames(vm)
				_, r := request(vm, L)
				max := L.OptInt(1, 100)
				raw := L.OptBool(2, false)
				// first pass: the table's size and one string holding
				// every value (two allocations for the whole table)
				n, size := 0, 0
				for k, v := range r.Header().All() {
					if r.IgnoredHeader(httpd.B2S(k)) {
						continue
					}
					if n++; max > 0 && n > max {
						continue
					}
					size += len(v)
				}
				keep := n
				if max > 0 && keep > max {
					keep = max
				}
				t := L.CreateTable(0, keep)
				buf := make([]byte, 0, size)
				m := 0
				for k, v := range r.Header().All() {
					if r.IgnoredHeader(httpd.B2S(k)) {
						continue
					}
					if m++; max > 0 && m > max {
						break
					}
					buf = append(buf, v...)
				}
				vals := unsafe.String(unsafe.SliceData(buf), len(buf))
				n = 0
			headers:
				for k, v := range r.Header().All() {
					if r.IgnoredHeader(httpd.B2S(k)) {
						continue headers
					}
					if n++; max > 0 && n > max {
						continue headers // counted for the log line only
					}
					var key string
					if raw {
						key = string(k)
					} else {
						key = names.lower(k)
					}
					// boxed in the state's block: no allocation per box
					val := L.StringValue(vals[:len(v)])
					vals = vals[len(v):]
					switch old := t.RawGetString(key).(type) {
					case *lua.LNilType:
						t.RawSetH(L.StringValue(key), val)
					case *lua.LTable:
						old.Append(val)
					default:
						nt := L.CreateTable(2, 0)
						nt.Append(old)
						nt.Append(val)
						t.RawSetString(key, nt)
					}
				}
				if !raw {
					L.SetMetatable(t, headersMeta(L))
				}
				L.Push(t)
				if max > 0 && n > max {
					vm.Log(luabindings.LogDebug, "lua exceeding request header limit "+itoa(n)+" > "+itoa(max))
					L.Push(lua.LString("truncated"))
					return 2
				}
				return 1
			},
			"set_header": func(L *lua.LState) int {
				c, r := request(vm, L)
				_ = c
				name := safeName(L.CheckString(1))
				h := r.Header()
				delHeader(h, name)
				switch v := L.Get(2).(type) {
				case *lua.LNilType:
				case *lua.LTable:
					for i := 1; i <= v.Len(); i++ {
						s, _ := tostr(v.RawGetInt(i))
						h.Add(name, safeValue(s))
					}
				default:
					s, ok := tostr(v)
					if !ok {
						L.ArgError(2, "string or table expected")
					}
					h.Set(name, safeValue(s))
				}
				return 0
			},
			"clear_header": func(L *lua.LState) int {
				_, r := request(vm, L)
				delHeader(r.Header(), L.CheckString(1))
				return 0
			},
		})
		// lua-resty-core's ngx.req module name
		loaded := L.GetField(L.GetField(L.Get(lua.GlobalsIndex), "package"), "loaded").(*lua.LTable)
		loaded.RawSetString("ngx.req", req)
	})
}

// pushArgs decodes a query string for get_uri_args/get_post_args
// (optional max as argument 1, default 100; "truncated" as second result).
func pushArgs(vm *luabindings.VM, L *lua.LState, args string) int {
	max := L.OptInt(1, 100)
	t, trunc := ngxstring.DecodeArgs(L, args, max)
	L.Push(t)
	if trunc {
		vm.Log(luabindings.LogDebug, "lua hit query args limit "+itoa(max))
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// nameCache keeps the lowercase form of header names seen before, so
// get_headers does not allocate a key per header per request. Bounded:
// names past the limit are converted each time.
type nameCache map[string]string

const nameCacheMax = 512

func (c nameCache) lower(k []byte) string {
	if s, ok := c[string(k)]; ok {
		return s
	}
	s := strings.ToLower(string(k))
	if len(c) < nameCacheMax {
		c[string(k)] = s
	}
	return s
}

const nameCacheKey = "ngxhttp.header_names"

func lowerNames(vm *luabindings.VM) nameCache {
	c, _ := vm.Services[nameCacheKey].(nameCache)
	if c == nil {
		c = nameCache{}
		vm.Services[nameCacheKey] = c
	}
	return c
}

var headersMetaKey = "goresty.headers_mt"

// headersMeta finds "my_foo_header" and "My-Foo-Header" in a
// get_headers() table.
func headersMeta(L *lua.LState) *lua.LTable {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if mt, ok := reg.RawGetString(headersMetaKey).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		k, ok := L.Get(2).(lua.LString)
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		key := strings.ToLower(strings.ReplaceAll(string(k), "_", "-"))
		L.Push(t.RawGetString(key))
		return 1
	}))
	reg.RawSetString(headersMetaKey, mt)
	return mt
}

// delHeader removes every header called name keeping the others in
// their order: fasthttp's Del moves the last header into the hole,
// which would reorder repeated headers the upstream gets.
func delHeader(h *fasthttp.RequestHeader, name string) { h.DelStable(name) }

// unsafeURIByte is the index of the first byte ngx.req.set_uri refuses
// without its binary argument (ngx_http_lua_check_unsafe_uri_bytes:
// controls other than tab, and DEL), or -1.
func unsafeURIByte(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

// escapeLog writes bytes as lua-nginx-module's ngx_http_lua_escape_log:
// controls, '"', '\\', DEL and non-ASCII as \xHH.
func escapeLog(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			b.WriteString("\\x")
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
