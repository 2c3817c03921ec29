// Package restyhttp implements lua-resty-http 0.17 (require "resty.http")
// in Go. It runs on the cosocket layer (luabindings/socket.Conn), so it has
// the same connect/keepalive/error semantics as the Lua library running on
// ngx.socket.tcp, shares its connection pool, and blocks with the VM
// released.
package restyhttp

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/socket"
	lua "github.com/yuin/gopher-lua"
)

const (
	version   = "0.17.2"
	userAgent = "lua-resty-http/" + version + " (Lua) ngx_lua/10023"
)

func init() {
	luabindings.RegisterModule("resty.http", load)
}

var yieldable = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite,
	luabindings.PhaseAccess, luabindings.PhaseContent, luabindings.PhaseTimer,
	luabindings.PhaseSSLClientHello, luabindings.PhaseSSLCert, luabindings.PhaseSSLSessionFetch}

type client struct {
	conn      *socket.Conn
	host      string
	port      int // 0: unix socket
	ssl       bool
	keepalive bool
	proxyOpts *lua.LTable
}

type module struct {
	vm  *luabindings.VM
	mod *lua.LTable
	mt  *lua.LTable
}

func load(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := &module{vm: vm, mod: L.NewTable(), mt: L.NewTable()}
	m.mt.RawSetString("__index", m.mod)
	for name, fn := range map[string]lua.LGFunction{
		"new":                          m.new,
		"debug":                        func(L *lua.LState) int { return 0 },
		"connect":                      m.connect,
		"tcp_only_connect":             m.connect,
		"set_timeout":                  m.setTimeout,
		"set_timeouts":                 m.setTimeouts,
		"set_keepalive":                m.setKeepalive,
		"get_reused_times":             m.getReusedTimes,
		"close":                        m.close,
		"ssl_handshake":                m.sslHandshake,
		"parse_uri":                    m.parseURI,
		"send_request":                 m.sendRequest,
		"read_response":                m.readResponse,
		"request":                      m.request,
		"request_uri":                  m.requestURI,
		"request_pipeline":             unsupported("request_pipeline"),
		"get_client_body_reader":       unsupported("get_client_body_reader"),
		"proxy_request":                unsupported("proxy_request"),
		"proxy_response":               unsupported("proxy_response"),
		"set_proxy_options":            m.setProxyOptions,
		"transfer_encoding_is_chunked": m.teIsChunked,
	} {
		m.mod.RawSetString(name, L.NewFunction(fn))
	}
	m.mod.RawSetString("_VERSION", lua.LString(version))
	m.mod.RawSetString("_USER_AGENT", lua.LString(userAgent))
	return m.mod
}

func unsupported(name string) lua.LGFunction {
	return func(L *lua.LState) int {
		L.Push(lua.LNil)
		L.Push(lua.LString(name + " is not supported by goresty's resty.http"))
		return 2
	}
}

func (m *module) new(L *lua.LState) int {
	c := m.vm.CheckPhase(L, yieldable...)
	t := L.CreateTable(1, 0)
	ud := L.NewUserData()
	ud.Value = &client{conn: socket.NewConn(m.vm, c), keepalive: true}
	t.RawSetInt(1, ud)
	t.Metatable = m.mt
	L.Push(t)
	return 1
}

// self returns the client of argument 1, or nil after pushing
// nil, "not initialized".
func (m *module) self(L *lua.LState) *client {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
			if c, ok := ud.Value.(*client); ok {
				cur := m.vm.Current()
				if cur == nil {
					L.RaiseError("no request found")
				}
				if cur != c.conn.Owner() {
					L.RaiseError("bad request")
				}
				return c
			}
		}
	}
	return nil
}

func notInit(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString("not initialized"))
	return 2
}

func pushErr(L *lua.LState, e string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(e))
	return 2
}

func ms(v lua.LValue) time.Duration {
	return time.Duration(int64(lua.LVAsNumber(v))) * time.Millisecond
}

func (m *module) setTimeout(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	t := ms(L.Get(2))
	c.conn.SetTimeouts(t, t, t)
	return 0
}

func (m *module) setTimeouts(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	c.conn.SetTimeouts(ms(L.Get(2)), ms(L.Get(3)), ms(L.Get(4)))
	return 0
}

func (m *module) setProxyOptions(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	c.proxyOpts, _ = L.Get(2).(*lua.LTable)
	return 0
}

func optInt(t *lua.LTable, k string, def int) int {
	if n, ok := t.RawGetString(k).(lua.LNumber); ok {
		return int(n)
	}
	return def
}

func optStr(t *lua.LTable, k string) string {
	switch v := t.RawGetString(k).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	return ""
}

// connect supports connect(options), connect(host, port, opts?) and
// connect("unix:/path", opts?).
func (m *module) connect(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	if opts, ok := L.Get(2).(*lua.LTable); ok {
		ok, e := m.connectOpts(L, c, opts)
		if !ok {
			return pushErr(L, e)
		}
		L.Push(lua.LTrue)
		return 1
	}
	m.vm.CheckPhase(L, yieldable...)
	host := L.CheckString(2)
	port, pool, size, backlog := 0, "", 0, -1
	var opts *lua.LTable
	if n, ok := L.Get(3).(lua.LNumber); ok {
		port = int(n)
		opts, _ = L.Get(4).(*lua.LTable)
	} else {
		opts, _ = L.Get(3).(*lua.LTable)
		if !strings.HasPrefix(strings.ToLower(host), "unix:") {
			return pushErr(L, "missing the port number")
		}
	}
	if opts != nil {
		pool, size, backlog = optStr(opts, "pool"), optInt(opts, "pool_size", 0), optInt(opts, "backlog", -1)
	}
	c.host, c.port, c.keepalive, c.ssl = host, port, true, false
	if e := c.conn.Connect(host, port, pool, size, backlog); e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(1))
	return 1
}

func (m *module) connectOpts(L *lua.LState, c *client, o *lua.LTable) (bool, string) {
	m.vm.CheckPhase(L, yieldable...)
	scheme := optStr(o, "scheme")
	host := optStr(o, "host")
	port := optInt(o, "port", 0)
	if scheme != "" && port == 0 {
		if scheme == "https" {
			port = 443
		} else {
			port = 80
		}
	} else if port != 0 && scheme == "" {
		return false, "'scheme' is required when providing a port"
	}
	ssl := scheme == "https"
	verify := true
	serverName := ""
	if ssl {
		serverName = optStr(o, "ssl_server_name")
		if o.RawGetString("ssl_verify") == lua.LFalse {
			verify = false
		}
	}
	proxy, _ := o.RawGetString("proxy_opts").(*lua.LTable)
	if proxy == nil {
		proxy = c.proxyOpts
	}
	if proxy != nil {
		key := "http_proxy"
		if ssl {
			key = "https_proxy"
		}
		if optStr(proxy, key) != "" && optStr(proxy, "no_proxy") != "*" {
			return false, "proxy connections are not supported by goresty's resty.http"
		}
	}
	pool := optStr(o, "pool")
	if pool == "" {
		pool = scheme + ":" + host + ":" + strconv.Itoa(port) + ":" + strconv.FormatBool(ssl) + ":" +
			serverName + ":" + strconv.FormatBool(verify && ssl) + ":::"
		if !ssl {
			// lua-resty-http writes tostring(nil) for ssl_verify over http
			pool = scheme + ":" + host + ":" + strconv.Itoa(port) + ":false::nil:::"
		}
	}
	if e := c.conn.Connect(host, port, pool, optInt(o, "pool_size", 0), optInt(o, "backlog", -1)); e != "" {
		return false, e
	}
	if ssl {
		if n, _ := c.conn.ReusedTimes(); n == 0 {
			if e := c.conn.SSLHandshake(serverName, verify); e != "" {
				c.conn.Close()
				return false, e
			}
		}
	}
	c.host, c.port, c.ssl, c.keepalive = host, port, ssl, true
	return true, ""
}

func (m *module) sslHandshake(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	name := ""
	if s, ok := L.Get(3).(lua.LString); ok {
		name = string(s)
	}
	if e := c.conn.SSLHandshake(name, lua.LVAsBool(L.Get(4))); e != "" {
		return pushErr(L, e)
	}
	c.ssl = true
	L.Push(lua.LTrue)
	return 1
}

func (m *module) setKeepalive(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	if !c.keepalive {
		if e := c.conn.Close(); e != "" {
			return pushErr(L, e)
		}
		L.Push(lua.LNumber(2))
		L.Push(lua.LString("connection must be closed"))
		return 2
	}
	timeout := time.Duration(-1)
	if v := L.Get(2); v != lua.LNil {
		timeout = ms(v)
	}
	size := 0
	if n, ok := L.Get(3).(lua.LNumber); ok {
		size = int(n)
	}
	if e := c.conn.SetKeepalive(timeout, size); e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(1))
	return 1
}

func (m *module) getReusedTimes(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	n, e := c.conn.ReusedTimes()
	if e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(n))
	return 1
}

func (m *module) close(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	if e := c.conn.Close(); e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(1))
	return 1
}

var uriRe = regexp.MustCompile(`^(?:(http[s]?):)?//((?:[^\[\]:/\?]+)|(?:\[.+\]))(?::(\d+))?([^\?]*)\??(.*)`)

// parseURI is httpc:parse_uri(uri, query_in_path?) → {scheme, host, port, path, query}.
func (m *module) parseURI(L *lua.LState) int {
	uri := L.CheckString(2)
	queryInPath := L.Get(3) == lua.LNil || lua.LVAsBool(L.Get(3))
	t, e := m.parse(uri, queryInPath)
	if t == nil {
		return pushErr(L, e)
	}
	L.Push(t)
	return 1
}

func (m *module) parse(uri string, queryInPath bool) (*lua.LTable, string) {
	sm := uriRe.FindStringSubmatchIndex(uri)
	if sm == nil {
		return nil, "bad uri: " + uri
	}
	group := func(i int) (string, bool) {
		if sm[2*i] < 0 {
			return "", false
		}
		return uri[sm[2*i]:sm[2*i+1]], true
	}
	scheme, ok := group(1)
	if !ok {
		cur := m.vm.Current()
		if cur != nil && cur.Req != nil {
			if v, found := cur.Req.Var("scheme"); found && (v == "http" || v == "https") {
				scheme = v
			}
		}
		if scheme == "" {
			return nil, "schemaless URIs require a request context: " + uri
		}
	}
	host, _ := group(2)
	port := 80
	if p, ok := group(3); ok {
		port, _ = strconv.Atoi(p)
	} else if scheme == "https" {
		port = 443
	}
	path, _ := group(4)
	if path == "" {
		path = "/"
	}
	query, _ := group(5)
	t := m.vm.L.CreateTable(5, 0)
	t.RawSetInt(0, lua.LString(uri[sm[0]:sm[1]]))
	t.RawSetInt(1, lua.LString(scheme))
	t.RawSetInt(2, lua.LString(host))
	t.RawSetInt(3, lua.LNumber(port))
	if queryInPath && query != "" {
		t.RawSetInt(4, lua.LString(path+"?"+query))
	} else {
		t.RawSetInt(4, lua.LString(path))
		t.RawSetInt(5, lua.LString(query))
	}
	return t, ""
}

func (m *module) teIsChunked(L *lua.LState) int {
	L.Push(lua.LBool(teChunked(L, L.Get(1))))
	return 1
}

func teChunked(L *lua.LState, headers lua.LValue) bool {
	t, ok := headers.(*lua.LTable)
	if !ok {
		return false
	}
	var te string
	switch v := L.GetField(t, "Transfer-Encoding").(type) {
	case lua.LString:
		te = string(v)
	case *lua.LTable:
		var parts []string
		for i := 1; i <= v.Len(); i++ {
			parts = append(parts, lua.LVAsString(v.RawGetInt(i)))
		}
		te = strings.Join(parts, ",")
	default:
		return false
	}
	return strings.Contains(strings.ToLower(te), "chunked")
}

// encodeArgs is ngx.encode_args for a query table (keys sorted so the
// output is stable).
func encodeArgs(t *lua.LTable) string {
	type kv struct{ k, v string }
	var out []kv
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	t.ForEach(func(k, v lua.LValue) {
		key := esc(lua.LVAsString(k))
		switch x := v.(type) {
		case lua.LBool:
			if x {
				out = append(out, kv{key, ""})
			}
		case *lua.LTable:
			for i := 1; i <= x.Len(); i++ {
				if b, ok := x.RawGetInt(i).(lua.LBool); ok {
					if b {
						out = append(out, kv{key, ""})
					}
					continue
				}
				out = append(out, kv{key, "=" + esc(lua.LVAsString(x.RawGetInt(i)))})
			}
		default:
			out = append(out, kv{key, "=" + esc(lua.LVAsString(v))})
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].k < out[j].k })
	var b strings.Builder
	for i, p := range out {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteString(p.v)
	}
	return b.String()
}
