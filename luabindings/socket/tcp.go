package socket

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("socket", install)
}

// Phases in which cosockets may be used (NGX_HTTP_LUA_CONTEXT_YIELDABLE).
var yieldable = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite,
	luabindings.PhaseAccess, luabindings.PhaseContent, luabindings.PhaseTimer,
	luabindings.PhaseSSLClientHello, luabindings.PhaseSSLCert, luabindings.PhaseSSLSessionFetch}

type ctxKey struct{}

// tcpSock is the state behind one ngx.socket.tcp() object. Fields are only
// touched by the entity owning the socket: under the VM lock, or inside
// VM.Unlocked by that same entity.
type tcpSock struct {
	vm     *luabindings.VM
	owner  *luabindings.Ctx
	cfg    *Config
	conn   net.Conn
	raw    net.Conn
	tls    bool
	key    string
	pool   *pool // the pool this connection is counted against
	reused int

	rbuf []byte // rbuf[rpos:] is received but unread
	rpos int
	wbuf []byte

	connectTO, sendTO, readTO time.Duration // 0: the configured default

	connecting, reading, writing bool
	timedOut                     bool // a read timed out: not reusable
	// a read (write) failed or saw the end: that direction is closed,
	// the connection stays until close() as in lua-nginx-module
	// (finalize_read_part / finalize_write_part)
	readClosed, writeClosed bool
	readEOF                 bool     // receive('*a') read to the peer's end
	tracked                 bool     // listed for CloseAll
	used                    bool     // connect was called before (OpenResty reuses its upstream ctx)
	local                   net.Addr // bind(): the local address of the next connect
}

type tcpAPI struct {
	vm   *luabindings.VM
	meta *lua.LTable
}

func install(vm *luabindings.VM, ngx *lua.LTable) {
	L := vm.L
	sock, ok := ngx.RawGetString("socket").(*lua.LTable)
	if !ok {
		sock = L.NewTable()
		ngx.RawSetString("socket", sock)
	}
	a := &tcpAPI{vm: vm, meta: L.NewTable()}
	methods := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"connect":        a.connect,
		"sslhandshake":   a.sslhandshake,
		"send":           a.send,
		"receive":        a.receive,
		"receiveany":     a.receiveany,
		"receiveuntil":   a.receiveuntil,
		"close":          a.close,
		"settimeout":     a.settimeout,
		"settimeouts":    a.settimeouts,
		"setoption":      a.setoption,
		"setkeepalive":   a.setkeepalive,
		"getreusedtimes": a.getreusedtimes,
		"bind":           a.bind,
	} {
		methods.RawSetString(name, L.NewFunction(fn))
	}
	a.meta.RawSetString("__index", methods)
	tcp := L.NewFunction(a.newTCP)
	sock.RawSetString("tcp", tcp)
	sock.RawSetString("stream", tcp)
	sock.RawSetString("connect", L.NewFunction(a.connectShortcut))
	installUDP(vm, L, sock)
}

func (a *tcpAPI) newTCP(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError("expecting zero arguments, but got %d", n)
	}
	c := a.vm.CheckPhase(L, yieldable...)
	L.Push(a.newObject(L, c))
	return 1
}

func (a *tcpAPI) newObject(L *lua.LState, c *luabindings.Ctx) *lua.LTable {
	s := &tcpSock{vm: a.vm, owner: c, cfg: ConfigOf(a.vm)}
	t := L.CreateTable(1, 0)
	ud := L.NewUserData()
	ud.Value = s
	t.RawSetInt(1, ud)
	t.Metatable = a.meta
	return t
}

// connectShortcut is ngx.socket.connect(host, port?).
func (a *tcpAPI) connectShortcut(L *lua.LState) int {
	c := a.vm.CheckPhase(L, yieldable...)
	t := a.newObject(L, c)
	L.Insert(t, 1)
	if n := a.connect(L); n == 2 {
		return 2
	}
	L.Push(t)
	return 1
}

// sockOf returns the socket behind argument 1 and checks that the calling
// entity owns it.
func (a *tcpAPI) sockOf(L *lua.LState) *tcpSock {
	t := L.CheckTable(1)
	ud, ok := t.RawGetInt(1).(*lua.LUserData)
	if !ok {
		L.RaiseError("bad argument #1 (tcp socket expected)")
	}
	s, ok := ud.Value.(*tcpSock)
	if !ok {
		L.RaiseError("bad argument #1 (tcp socket expected)")
	}
	c := a.vm.Current()
	if c == nil {
		L.RaiseError("no request found")
	}
	if !sameRequest(c, s.owner) {
		L.RaiseError("bad request")
	}
	return s
}

// sameRequest reports whether entity c may use a socket owner created:
// OpenResty checks the request, so the light threads of a request share
// its sockets (a subrequest or a timer is another request).
func sameRequest(c, owner *luabindings.Ctx) bool {
	return c == owner || (owner != nil && c.Req != nil && c.Req == owner.Req)
}

func (s *tcpSock) checkBusy(L *lua.LState, connecting, reading, writing bool) {
	switch {
	case connecting && s.connecting:
		L.RaiseError("socket busy connecting")
	case reading && s.reading:
		L.RaiseError("socket busy reading")
	case writing && s.writing:
		L.RaiseError("socket busy writing")
	}
}

func pushErr(L *lua.LState, err string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(err))
	return 2
}

// isNumber is lua_isnumber: numbers and numeric strings.
// argError raises luaL_argerror's message: as a method (s:fname(...)) self
// is not counted; called otherwise (pcall(s.fname, s, ...)) the name is '?'.
func argError(L *lua.LState, n int, fname, msg string) {
	_ = fname
	L.ArgError(n, msg)
}

// debug writes a debug-level line; callers check s.cfg.Debug first so that
// a server without debug logging builds no message.
func (s *tcpSock) debug(msg string) { s.vm.Log(luabindings.LogDebug, msg) }

// connID names a connection in debug lines, as nginx's %p of it.
func connID(c net.Conn) string {
	return fmt.Sprintf("%p", c)
}

// closedState is the "u:%p, c:%p, ft:%d eof:%d" detail of nginx's
// "attempt to ... on a closed socket" lines.
func (s *tcpSock) closedState() string {
	c := "0000000000000000"
	if s.conn != nil {
		c = connID(s.raw)
	}
	ft, eof := 0, 0
	if s.readClosed || s.writeClosed {
		ft = 4 // NGX_HTTP_LUA_SOCKET_FT_CLOSED
	}
	if s.readEOF {
		eof = 1
	}
	return fmt.Sprintf("u:%p, c:%s, ft:%d eof:%d", s, c, ft, eof)
}

func msString(d time.Duration) string { return strconv.FormatInt(int64(d/time.Millisecond), 10) }

func isNumber(v lua.LValue) (lua.LNumber, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return x, true
	case lua.LString:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
		if err != nil {
			if i, err2 := strconv.ParseInt(strings.TrimSpace(string(x)), 0, 64); err2 == nil {
				return lua.LNumber(i), true
			}
			return 0, false
		}
		return lua.LNumber(f), true
	}
	return 0, false
}

func (s *tcpSock) connectTimeout() time.Duration {
	if s.connectTO > 0 {
		return s.connectTO
	}
	return s.cfg.ConnectTimeout
}

func (s *tcpSock) sendTimeout() time.Duration {
	if s.sendTO > 0 {
		return s.sendTO
	}
	return s.cfg.SendTimeout
}

func (s *tcpSock) readTimeout() time.Duration {
	if s.readTO > 0 {
		return s.readTO
	}
	return s.cfg.ReadTimeout
}

func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// finalize closes the connection (if any) and uncounts it from its pool.
func (s *tcpSock) finalize() {
	if s.cfg.Debug {
		s.debug("lua finalize socket")
	}
	if s.conn != nil {
		if s.cfg.Debug {
			s.debug("lua close socket connection")
		}
		s.conn.Close()
		s.conn, s.raw = nil, nil
		if s.pool != nil {
			s.pool.release()
		}
	}
	s.pool = nil
	s.tls = false
	s.rbuf = s.rbuf[:0]
	s.rpos = 0
	s.timedOut = false
	s.readClosed, s.writeClosed, s.readEOF = false, false, false
}

// closeRead closes the reading direction after a failed or finished read
// (its buffer is dropped); with both directions closed the connection is.
func (s *tcpSock) closeRead() {
	s.readClosed = true
	s.rbuf, s.rpos = s.rbuf[:0], 0
	if s.writeClosed {
		s.finalize()
	}
}

// closeWrite is closeRead for the writing direction.
func (s *tcpSock) closeWrite() {
	s.writeClosed = true
	if s.readClosed {
		s.finalize()
	}
}

func (a *tcpAPI) connect(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 || n > 4 {
		L.RaiseError("ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen %d", n)
	}
	c := a.vm.CheckPhase(L, yieldable...)
	L.CheckTable(1)
	host := L.CheckString(2)
	s := a.sockOf(L)
	_ = c

	backlog, poolSize := -1, 0
	key := ""
	custom := false
	if opts, ok := L.Get(n).(*lua.LTable); ok {
		if v := opts.RawGetString("pool_size"); v != lua.LNil {
			num, ok := isNumber(v)
			if !ok {
				argError(L, n, "connect", "bad \"pool_size\" option type: "+v.Type().String())
			}
			poolSize = int(num)
			if poolSize <= 0 {
				argError(L, n, "connect", "bad \"pool_size\" option value: "+strconv.Itoa(poolSize))
			}
		}
		if v, ok := isNumber(opts.RawGetString("backlog")); ok {
			backlog = int(v)
			if backlog < 0 {
				argError(L, n, "connect", "bad \"backlog\" option value: "+strconv.Itoa(backlog))
			}
			if poolSize == 0 {
				poolSize = s.cfg.PoolSize
			}
		}
		switch v := opts.RawGetString("pool").(type) {
		case lua.LString:
			key, custom = string(v), true
		case lua.LNumber:
			key, custom = v.String(), true
		case *lua.LNilType:
		default:
			argError(L, n, "connect", "bad \"pool\" option type: "+v.Type().String())
		}
		n--
	}
	if n == 4 {
		n--
	}
	network, addr := "tcp", ""
	if pv, ok := isNumber(L.Get(3)); n == 3 && ok {
		port := int(pv)
		if port < 0 || port > 65535 {
			return pushErr(L, "bad port number: "+strconv.Itoa(port))
		}
		if !custom {
			key = host + ":" + strconv.Itoa(port)
		}
		addr = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(port))
	} else if len(host) >= 5 && strings.EqualFold(host[:5], "unix:") {
		network, addr = "unix", host[5:]
		if !custom {
			key = host
		}
	} else {
		return pushErr(L, "missing the port number")
	}

	s.checkBusy(L, true, true, true)
	if e := s.doConnect(network, addr, host, key, poolSize, backlog); e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(1))
	return 1
}

// doConnect connects (or takes a pooled connection); it returns the error
// string, "" on success. The VM must be held by s.owner.
func (s *tcpSock) doConnect(network, addr, host, key string, poolSize, backlog int) string {
	if s.used && s.cfg.Debug {
		if s.conn != nil {
			s.debug("lua tcp socket reconnect without shutting down")
		}
		s.debug("lua reuse socket upstream ctx")
	}
	s.used = true
	if s.conn != nil {
		s.finalize()
	}
	s.rbuf, s.rpos = s.rbuf[:0], 0
	s.key = key
	s.reused = 0
	s.raw, s.tls = nil, false
	s.track()

	p := lookupPool(key)
	if p == nil && poolSize > 0 {
		p = createPool(key, poolSize, backlog, s.cfg, s.vm.Log)
	}
	if p != nil {
		if s.cfg.Debug {
			s.debug("lua tcp socket pool get keepalive peer")
		}
		if ic := p.get(); ic != nil {
			if s.cfg.Debug {
				s.debug("lua tcp socket get keepalive peer: using connection " + connID(ic.raw) + ", fd:" + strconv.Itoa(fdOf(ic.raw)))
			}
			// an idle connection stays counted against its pool
			s.conn, s.raw, s.tls, s.reused, s.pool = ic.conn, ic.raw, ic.tls, ic.reused+1, p
			if s.rbuf == nil {
				s.rbuf = ic.buf[:0]
			}
			return ""
		}
	}

	if p != nil && s.cfg.Debug {
		s.debug("lua tcp socket keepalive: connection pool empty")
	}
	timeout := s.connectTimeout()
	if s.cfg.Debug {
		s.debug("lua tcp socket connect timeout: " + msString(timeout))
	}
	var conn net.Conn
	var errStr string
	var logMsg string
	logLevel := luabindings.LogErr
	s.connecting = true
	s.vm.Unlocked(func() {
		start := time.Now()
		for p != nil {
			ok, freed := p.reserve()
			if ok {
				break
			}
			if freed {
				// the last connection went meanwhile: a new pool when
				// the options ask for one, else an uncounted connection
				p = nil
				if poolSize > 0 {
					p = createPool(key, poolSize, backlog, s.cfg, nil)
				}
				continue
			}
			{
				ch := p.enqueue()
				if ch == nil {
					errStr = "too many waiting connect operations"
					return
				}
				left := timeout - time.Since(start)
				if left <= 0 {
					p.dequeue(ch)
					errStr = "timeout"
					logMsg = "lua tcp socket queued connect timed out, when trying to connect to " + addr
					return
				}
				t := time.NewTimer(left)
				select {
				case <-ch:
					t.Stop()
				case <-t.C:
					p.dequeue(ch)
					errStr = "timeout"
					logMsg = "lua tcp socket queued connect timed out, when trying to connect to " + addr
					return
				}
				if ic := p.get(); ic != nil {
					conn = ic.conn
					s.raw, s.tls, s.reused = ic.raw, ic.tls, ic.reused+1
					return
				}
			}
		}
		conn, errStr, logMsg, logLevel = dial(s.cfg, network, addr, host, timeout-time.Since(start), s.localFor(network))
		if conn == nil && p != nil {
			p.release()
		}
	})
	s.connecting = false
	if logMsg != "" && s.cfg.LogErrors {
		s.vm.Log(logLevel, logMsg)
	}
	if conn == nil {
		return errStr
	}
	s.conn = conn
	if s.raw == nil {
		s.raw = conn
	}
	s.pool = p
	return ""
}

// localFor is the bound local address when it applies to network.
func (s *tcpSock) localFor(network string) net.Addr {
	if s.local == nil || network != "tcp" {
		return nil
	}
	return s.local
}

// dial resolves and connects from local (nil: any address); it returns
// the Lua error string, the error log line and its level on failure.
func dial(cfg *Config, network, addr, host string, timeout time.Duration, local net.Addr) (net.Conn, string, string, int) {
	if timeout <= 0 {
		timeout = time.Millisecond
	}
	if network == "tcp" || network == "udp" {
		h, port, _ := net.SplitHostPort(addr)
		if net.ParseIP(h) == nil {
			ip, e := resolve(cfg, h, timeout)
			if e != "" {
				return nil, host + " could not be resolved (" + e + ")", "", 0
			}
			addr = net.JoinHostPort(ip.String(), port)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d := net.Dialer{LocalAddr: local}
	conn, err := d.DialContext(ctx, network, addr)
	if err == nil {
		return conn, "", "", 0
	}
	if isTimeout(err) {
		return nil, "timeout", "lua tcp socket connect timed out, upstream: " + upstreamText(network, addr, host), luabindings.LogErr
	}
	msg := errnoString(err)
	if network == "unix" {
		// a unix socket connects at once: nginx's ngx_event_connect_peer
		// line, at crit unless the peer refused or is unreachable
		level := luabindings.LogCrit
		for _, e := range []syscall.Errno{syscall.ECONNREFUSED, syscall.EAGAIN, syscall.ECONNRESET,
			syscall.ENETDOWN, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.EHOSTUNREACH} {
			if errors.Is(err, e) {
				level = luabindings.LogErr
			}
		}
		return nil, msg, "connect() to unix:" + addr + " failed (" + errnoText(err) + ")", level
	}
	// a TCP connect completes later: ngx_http_lua_socket_test_connect's line
	return nil, msg, "connect() failed (" + errnoText(err) + ")", luabindings.LogErr
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// resolve looks name up with the "resolver" directive's client (bounded
// by resolver_timeout) or, without one, with Go's resolver (bounded by the
// connect timeout); it returns one address, or nginx's error text.
func resolve(cfg *Config, name string, timeout time.Duration) (net.IP, string) {
	var ips []net.IP
	if cfg.DNS != nil {
		var err error
		ips, err = cfg.DNS.Lookup(context.Background(), name)
		if err != nil {
			return nil, err.Error()
		}
	} else {
		r := cfg.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		addrs, err := r.LookupIPAddr(ctx, name)
		if err != nil || len(addrs) == 0 {
			var de *net.DNSError
			code := "3: Host not found"
			if errors.As(err, &de) {
				if de.IsTimeout {
					code = "110: Operation timed out"
				} else if !de.IsNotFound {
					code = "2: Server failure"
				}
			}
			return nil, code
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, "3: Host not found"
	}
	// nginx picks one address at random
	return ips[int(time.Now().UnixNano()%int64(len(ips)))], ""
}

// upstreamText is what ngx_http_lua_socket_tcp_log_error appends:
// the host as given, the port, and the address connected to.
func upstreamText(network, addr, host string) string {
	if network == "unix" {
		return host
	}
	h, port, _ := net.SplitHostPort(addr)
	return host + ":" + port + "(" + h + ")"
}

// errnoText is nginx's "%d: %s" rendering of an errno (strerror text).
func errnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		t := en.Error()
		if t != "" {
			t = strings.ToUpper(t[:1]) + t[1:]
		}
		return strconv.Itoa(int(en)) + ": " + t
	}
	return err.Error()
}

// errnoString renders a socket error the way cosockets do: the lower-cased
// strerror text ("connection refused").
func errnoString(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return strings.ToLower(en.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return "closed"
	}
	return "error"
}

// ErrClientAborted is a downstream read whose client went away
// mid-body ("client aborted").
var ErrClientAborted = errors.New("client aborted")

// ioError maps a read/write error to the cosocket error string.
func ioError(err error) string {
	if isTimeout(err) {
		return "timeout"
	}
	if errors.Is(err, ErrClientAborted) {
		return "client aborted"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "closed"
	}
	return errnoString(err)
}

// bind(ip, port?) sets the local address the next connect binds to.
func (a *tcpAPI) bind(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		L.RaiseError("expecting 2 or 3 arguments, but got %d", n)
	}
	a.vm.CheckPhase(L, yieldable...)
	s := a.sockOf(L)
	port := 0
	if n == 3 {
		v, ok := isNumber(L.Get(3))
		if !ok {
			return pushErr(L, "expecting port to be anumber but got type: "+L.Get(3).Type().String())
		}
		if port = int(v); port < 0 || port > 65535 {
			return pushErr(L, "bad port number: "+strconv.Itoa(port))
		}
	}
	text := L.CheckString(2)
	ip := net.ParseIP(text)
	if ip == nil {
		return pushErr(L, "bad address")
	}
	s.local = &net.TCPAddr{IP: ip, Port: port}
	if s.cfg.Debug {
		s.debug("lua tcp socket bind ip: " + text)
	}
	L.Push(lua.LTrue)
	return 1
}

func (a *tcpAPI) setoption(L *lua.LState) int {
	s := a.sockOf(L)
	if s.conn == nil {
		return pushErr(L, "closed")
	}
	opt := L.CheckString(2)
	tc, _ := s.raw.(*net.TCPConn)
	switch opt {
	case "keepalive":
		if tc != nil {
			tc.SetKeepAlive(L.ToBool(3))
		}
	case "tcp-nodelay":
		if tc != nil {
			tc.SetNoDelay(L.ToBool(3))
		}
	case "sndbuf":
		if tc != nil {
			tc.SetWriteBuffer(L.CheckInt(3))
		}
	case "rcvbuf":
		if tc != nil {
			tc.SetReadBuffer(L.CheckInt(3))
		}
	case "reuseaddr":
	default:
		return pushErr(L, "unsupported option "+opt)
	}
	L.Push(lua.LTrue)
	return 1
}

func checkTimeout(L *lua.LState, idx int) time.Duration {
	v := int64(lua.LVAsNumber(L.Get(idx)))
	if v>>31 != 0 {
		L.RaiseError("bad timeout value")
	}
	return time.Duration(v) * time.Millisecond
}

func (a *tcpAPI) settimeout(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("ngx.socket settimeout: expecting 2 arguments (including the object) but seen %d", n)
	}
	s := a.sockOf(L)
	t := checkTimeout(L, 2)
	s.connectTO, s.sendTO, s.readTO = t, t, t
	return 0
}

func (a *tcpAPI) settimeouts(L *lua.LState) int {
	if n := L.GetTop(); n != 4 {
		L.RaiseError("ngx.socket settimeouts: expecting 4 arguments (including the object) but seen %d", n)
	}
	s := a.sockOf(L)
	s.connectTO, s.sendTO, s.readTO = checkTimeout(L, 2), checkTimeout(L, 3), checkTimeout(L, 4)
	return 0
}

func (a *tcpAPI) getreusedtimes(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError("expecting 1 argument (including the object), but got %d", n)
	}
	s := a.sockOf(L)
	if s.conn == nil {
		return pushErr(L, "closed")
	}
	L.Push(lua.LNumber(s.reused))
	return 1
}

func (a *tcpAPI) close(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError("expecting 1 argument (including the object) but seen %d", n)
	}
	s := a.sockOf(L)
	if s.conn == nil {
		return pushErr(L, "closed")
	}
	s.checkBusy(L, true, true, true)
	s.finalize()
	L.Push(lua.LNumber(1))
	return 1
}

func (a *tcpAPI) setkeepalive(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 || n > 3 {
		L.RaiseError("expecting 1 to 3 arguments (including the object), but got %d", n)
	}
	s := a.sockOf(L)
	timeout := s.cfg.KeepaliveTimeout
	if n >= 2 && L.Get(2) != lua.LNil {
		timeout = time.Duration(L.CheckInt64(2)) * time.Millisecond
	}
	size := s.cfg.PoolSize
	if n >= 3 && L.Get(3) != lua.LNil {
		size = L.CheckInt(3)
	}
	if s.conn == nil {
		return pushErr(L, "closed")
	}
	s.checkBusy(L, true, true, true)
	if size <= 0 && s.pool == nil && lookupPool(s.key) == nil {
		argError(L, n, "setkeepalive", "bad \"pool_size\" option value: "+strconv.Itoa(size))
	}
	if e := s.keepalive(timeout, size); e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(1))
	return 1
}

// keepalive parks the connection in its pool; "" on success.
func (s *tcpSock) keepalive(timeout time.Duration, size int) string {
	if s.conn == nil {
		return "closed"
	}
	if s.readClosed || s.writeClosed {
		s.finalize()
		return "closed"
	}
	if s.rpos < len(s.rbuf) {
		return "unread data in buffer"
	}
	if s.timedOut {
		return "invalid connection"
	}
	switch peerState(s.raw) {
	case peerData:
		s.finalize()
		return "connection in dubious state"
	case peerClosed:
		s.finalize()
		return "closed"
	}
	if s.vm.Exiting() {
		if s.cfg.Debug {
			s.debug("lua tcp socket set keepalive while process exiting, closing connection " + connID(s.raw))
		}
		s.finalize()
		return ""
	}
	if s.cfg.Debug {
		s.debug("lua tcp socket set keepalive: saving connection " + connID(s.raw))
	}
	p := s.pool
	if p == nil {
		if size <= 0 {
			size = s.cfg.PoolSize
		}
		// counted from now on, as OpenResty does for pools made here
		for p = lookupPool(s.key); p == nil || !p.count(); p = lookupPool(s.key) {
			createPool(s.key, size, -1, s.cfg, s.vm.Log)
		}
	}
	if s.cfg.Debug {
		s.debug("lua tcp socket clear current socket connection")
		if timeout == 0 {
			s.debug("lua tcp socket keepalive timeout: unlimited")
		} else {
			s.debug("lua tcp socket keepalive timeout: " + msString(timeout) + " ms")
		}
	}
	s.conn.SetDeadline(time.Time{})
	p.put(&idleConn{conn: s.conn, raw: s.raw, tls: s.tls, reused: s.reused, buf: s.rbuf[:0]}, timeout)
	s.conn, s.raw, s.pool, s.tls = nil, nil, nil, false
	s.rbuf, s.rpos = nil, 0
	return ""
}

// ---- sending ----

// appendNumber formats a number as lua-nginx-module does (%d or %.14g).
func appendNumber(b []byte, n lua.LNumber) []byte {
	f := float64(n)
	if f == float64(int64(f)) && f > -1e15 && f < 1e15 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 14, 64)
}

// appendTable appends the fragments of a (nested) array table; strict
// mode as cosocket send: only strings, numbers and arrays.
func appendTable(L *lua.LState, b []byte, t *lua.LTable, arg int) []byte {
	max := 0
	t.ForEach(func(k, _ lua.LValue) {
		if kn, ok := k.(lua.LNumber); ok && float64(kn) == float64(int64(kn)) && kn >= 1 {
			if int(kn) > max {
				max = int(kn)
			}
			return
		}
		argError(L, arg, "send", "non-array table found")
	})
	for i := 1; i <= max; i++ {
		switch v := t.RawGetInt(i).(type) {
		case lua.LString:
			b = append(b, v...)
		case lua.LNumber:
			b = appendNumber(b, v)
		case *lua.LTable:
			b = appendTable(L, b, v, arg)
		default:
			argError(L, arg, "send", "bad data type "+v.Type().String()+" found")
		}
	}
	return b
}

func (a *tcpAPI) send(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("expecting 2 arguments (including the object), but got %d", n)
	}
	s := a.sockOf(L)
	if s.conn == nil || s.writeClosed {
		if s.cfg.LogErrors {
			a.vm.Log(luabindings.LogErr, "attempt to send data on a closed socket: "+s.closedState())
		}
		return pushErr(L, "closed")
	}
	s.checkBusy(L, true, false, true)
	var data []byte
	switch v := L.Get(2).(type) {
	case lua.LString:
		data = unsafeBytes(string(v))
	case lua.LNumber:
		s.wbuf = appendNumber(s.wbuf[:0], v)
		data = s.wbuf
	case *lua.LTable:
		s.wbuf = appendTable(L, s.wbuf[:0], v, 2)
		data = s.wbuf
	case *lua.LNilType:
		data = []byte("nil")
	case lua.LBool:
		if v {
			data = []byte("true")
		} else {
			data = []byte("false")
		}
	default:
		argError(L, 2, "send", "string, number, boolean, nil, or array table expected, got "+v.Type().String())
	}
	if len(data) == 0 {
		L.Push(lua.LNumber(0))
		return 1
	}
	if s.cfg.Debug {
		s.debug("lua tcp socket send timeout: " + msString(s.sendTimeout()))
	}
	nw, e := s.write(data)
	if cap(s.wbuf) > 64<<10 {
		s.wbuf = nil
	}
	if e != "" {
		return pushErr(L, e)
	}
	L.Push(lua.LNumber(nw))
	return 1
}

// write sends all of data; a failure closes the connection.
func (s *tcpSock) write(data []byte) (int, string) {
	var nw int
	var err error
	conn := s.conn
	s.writing = true
	s.vm.Unlocked(func() {
		conn.SetWriteDeadline(deadline(s.sendTimeout()))
		nw, err = conn.Write(data)
	})
	s.writing = false
	if err != nil {
		e := ioError(err)
		if e == "timeout" && s.cfg.LogErrors {
			s.vm.Log(luabindings.LogErr, "lua tcp socket write timed out")
		}
		if s.conn == conn {
			s.closeWrite()
		}
		return 0, e
	}
	return nw, ""
}

// ---- receiving ----

// fill reads more data into rbuf; it runs with the VM released.
func (s *tcpSock) fill() error {
	if s.readEOF {
		return io.EOF
	}
	if s.rpos == len(s.rbuf) {
		s.rbuf, s.rpos = s.rbuf[:0], 0
	}
	// like nginx, one recv reads at most lua_socket_buffer_size bytes
	bs := s.cfg.bufSize()
	if cap(s.rbuf)-len(s.rbuf) < bs {
		if s.rpos > 0 && s.rpos >= len(s.rbuf)/2 {
			n := copy(s.rbuf, s.rbuf[s.rpos:])
			s.rbuf, s.rpos = s.rbuf[:n], 0
		}
		if cap(s.rbuf)-len(s.rbuf) < bs {
			nb := make([]byte, len(s.rbuf)-s.rpos, 2*cap(s.rbuf)+bs)
			copy(nb, s.rbuf[s.rpos:])
			s.rbuf, s.rpos = nb, 0
		}
	}
	s.conn.SetReadDeadline(deadline(s.readTimeout()))
	n, err := s.conn.Read(s.rbuf[len(s.rbuf) : len(s.rbuf)+bs])
	s.rbuf = s.rbuf[:len(s.rbuf)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

func (s *tcpSock) buffered() []byte { return s.rbuf[s.rpos:] }

func (s *tcpSock) consume(n int) []byte {
	b := s.rbuf[s.rpos : s.rpos+n]
	s.rpos += n
	return b
}

// readErr turns a read failure into Lua results: nil, err, partial. A read
// timeout keeps the connection; other errors close it.
func (a *tcpAPI) readErr(L *lua.LState, s *tcpSock, err error, partial []byte) int {
	e := s.readFail(err)
	L.Push(lua.LNil)
	L.Push(lua.LString(e))
	L.Push(lua.LString(partial))
	return 3
}

// readFail records a read failure and returns its cosocket error string.
func (s *tcpSock) readFail(err error) string {
	e := ioError(err)
	if e == "timeout" {
		s.timedOut = true
		if s.cfg.LogErrors {
			s.vm.Log(luabindings.LogErr, "lua tcp socket read timed out")
		}
	} else {
		s.closeRead()
	}
	return e
}

// stripCR drops every CR, as the *l pattern does.
func stripCR(b []byte) string {
	if bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\r' {
			out = append(out, c)
		}
	}
	return string(out)
}

func (a *tcpAPI) checkReadable(L *lua.LState, s *tcpSock) bool {
	if s.conn == nil || s.readClosed {
		if s.cfg.LogErrors {
			a.vm.Log(luabindings.LogErr, "attempt to receive data on a closed socket: "+s.closedState())
		}
		return false
	}
	s.checkBusy(L, true, true, false)
	return true
}

func (a *tcpAPI) receive(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError("expecting 1 or 2 arguments (including the object), but got %d", n)
	}
	s := a.sockOf(L)
	if !a.checkReadable(L, s) {
		return pushErr(L, "closed")
	}
	mode, size := 'l', 0
	if n == 2 {
		v := L.Get(2)
		if num, ok := isNumber(v); ok {
			if num < 0 {
				argError(L, 2, "receive", "bad number argument")
			}
			size = int(num)
			if size == 0 {
				L.Push(lua.LString(""))
				return 1
			}
			mode = 'n'
		} else if str, ok := v.(lua.LString); ok {
			if len(str) != 2 || str[0] != '*' {
				argError(L, 2, "receive", "bad pattern argument: "+string(str))
			}
			switch str[1] {
			case 'l':
			case 'a':
				mode = 'a'
			default:
				argError(L, 2, "receive", "bad pattern argument")
			}
		} else {
			argError(L, 2, "receive", "bad argument")
		}
	}
	if s.cfg.Debug {
		s.debug("lua tcp socket calling receive() method")
		s.debug("lua tcp socket read timeout: " + msString(s.readTimeout()))
		switch mode {
		case 'l':
			s.debug("lua tcp socket read line")
		case 'a':
			s.debug("lua tcp socket read all")
		default:
			s.debug("lua tcp socket read chunk " + strconv.Itoa(size))
		}
	}
	switch mode {
	case 'l':
		line, partial, err := s.readLine()
		if err != nil {
			return a.readErr(L, s, err, partial)
		}
		L.Push(lua.LString(line))
		return 1
	case 'n':
		data, err := s.readN(size)
		if err != nil {
			return a.readErr(L, s, err, data)
		}
		L.Push(lua.LString(data))
		return 1
	default: // *a
		data, err := s.readAll()
		if err == nil {
			L.Push(lua.LString(data))
			return 1
		}
		return a.readErr(L, s, err, data)
	}
}

// readLine reads a line without its LF and CRs. On failure it returns what
// was read (the connection is left for readFail to judge).
func (s *tcpSock) readLine() (string, []byte, error) {
	// fast path: a whole line is buffered
	if i := bytes.IndexByte(s.buffered(), '\n'); i >= 0 {
		return stripCR(s.consume(i + 1)[:i]), nil, nil
	}
	var line string
	var err error
	s.reading = true
	s.vm.Unlocked(func() {
		for {
			if err = s.fill(); err != nil {
				return
			}
			if i := bytes.IndexByte(s.buffered(), '\n'); i >= 0 {
				line = stripCR(s.consume(i + 1)[:i])
				return
			}
		}
	})
	s.reading = false
	if err != nil {
		return "", []byte(stripCR(s.consume(len(s.buffered())))), err
	}
	return line, nil, nil
}

// readN reads exactly n bytes; on failure it returns the partial data.
// The result aliases the read buffer until the next read.
func (s *tcpSock) readN(n int) ([]byte, error) {
	if len(s.buffered()) >= n {
		return s.consume(n), nil
	}
	var err error
	s.reading = true
	s.vm.Unlocked(func() {
		for len(s.buffered()) < n {
			if err = s.fill(); err != nil {
				return
			}
		}
	})
	s.reading = false
	if err != nil {
		return s.consume(len(s.buffered())), err
	}
	return s.consume(n), nil
}

// readAll reads until the peer closes.
func (s *tcpSock) readAll() ([]byte, error) {
	var err error
	s.reading = true
	s.vm.Unlocked(func() {
		for {
			if err = s.fill(); err != nil {
				return
			}
		}
	})
	s.reading = false
	data := s.consume(len(s.buffered()))
	if errors.Is(err, io.EOF) {
		// the data so far; the socket stays open (a second '*a'
		// gets "", other reads "closed"), as lua-nginx-module
		data = append([]byte(nil), data...)
		s.readEOF = true
		return data, nil
	}
	return data, err
}

func (a *tcpAPI) receiveany(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("expecting 2 arguments (including the object), but got %d", n)
	}
	s := a.sockOf(L)
	if !a.checkReadable(L, s) {
		return pushErr(L, "closed")
	}
	num, ok := isNumber(L.Get(2))
	if !ok || int64(num) <= 0 {
		argError(L, 2, "receiveany", "bad max argument")
	}
	max := int(num)
	if s.cfg.Debug {
		s.debug("lua tcp socket calling receiveany() method to read at most " + strconv.Itoa(max) + " bytes")
		s.debug("lua tcp socket read timeout: " + msString(s.readTimeout()))
		s.debug("lua tcp socket read any")
	}
	if len(s.buffered()) == 0 {
		var err error
		s.reading = true
		a.vm.Unlocked(func() { err = s.fill() })
		s.reading = false
		if err != nil {
			return a.readErr(L, s, err, nil)
		}
	}
	b := s.buffered()
	if len(b) > max {
		b = b[:max]
	}
	L.Push(lua.LString(s.consume(len(b))))
	return 1
}

// ---- receiveuntil ----

type untilReader struct {
	s         *tcpSock
	pat       []byte
	inclusive bool
	state     int // matched pattern prefix length; -1: size mode saw the pattern
	fail      []int
	// out is the iterator's scratch buffer, reused from call to call (a
	// chunk is copied into a Lua string); one grown past maxUntilScratch
	// is not kept
	out []byte
}

const maxUntilScratch = 64 << 10

func (a *tcpAPI) receiveuntil(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		L.RaiseError("expecting 2 or 3 arguments (including the object), but got %d", n)
	}
	inclusive := false
	if n == 3 {
		opts := L.CheckTable(3)
		switch v := opts.RawGetString("inclusive").(type) {
		case *lua.LNilType:
		case lua.LBool:
			inclusive = bool(v)
		default:
			L.RaiseError("bad \"inclusive\" option value type: %s", v.Type().String())
		}
	}
	s := a.sockOf(L)
	if s.cfg.Debug {
		s.debug("lua tcp socket calling receiveuntil() method")
	}
	pat := L.CheckString(2)
	if pat == "" {
		return pushErr(L, "pattern is empty")
	}
	r := &untilReader{s: s, pat: []byte(pat), inclusive: inclusive, fail: kmpFail(pat)}
	L.Push(L.NewFunction(func(L *lua.LState) int { return a.untilIter(L, r) }))
	return 1
}

func kmpFail(p string) []int {
	f := make([]int, len(p))
	k := 0
	for i := 1; i < len(p); i++ {
		for k > 0 && p[i] != p[k] {
			k = f[k-1]
		}
		if p[i] == p[k] {
			k++
		}
		f[i] = k
	}
	return f
}

// next is the longest pattern prefix that is a suffix of pat[:state]+c.
func (r *untilReader) next(state int, c byte) int {
	for state > 0 && (state == len(r.pat) || r.pat[state] != c) {
		state = r.fail[state-1]
	}
	if r.pat[state] == c {
		state++
	}
	return state
}

// scan runs the matcher over the buffered bytes, appending data known not
// to belong to the pattern to out. It reports done when the pattern was
// seen or (size mode) enough data is out.
func (r *untilReader) scan(out []byte, size int, rest *int) ([]byte, bool) {
	s := r.s
	buf := s.buffered()
	i := 0
	for i < len(buf) {
		c := buf[i]
		st := r.state
		if c == r.pat[st] {
			i++
			r.state++
			if r.state == len(r.pat) {
				s.rpos += i
				if size > 0 {
					r.state = -1
				} else {
					r.state = 0
				}
				if r.inclusive {
					out = append(out, r.pat...)
				}
				return out, true
			}
			continue
		}
		if st == 0 {
			// c does not start the pattern: every byte up to the next
			// one that may is data
			n := bytes.IndexByte(buf[i+1:], r.pat[0]) + 1
			if n == 0 {
				n = len(buf) - i
			}
			if size > 0 && n > *rest {
				n = *rest
			}
			out = append(out, buf[i:i+n]...)
			i += n
			if size > 0 {
				*rest -= n
				if *rest == 0 {
					s.rpos += i
					return out, true
				}
			}
			continue
		}
		ns := r.next(st, c)
		if ns < 2 {
			// no overlap: flush the partial match, then look at c afresh
			out = append(out, r.pat[:st]...)
			r.state = 0
			if size > 0 {
				if *rest <= st {
					*rest = 0
					s.rpos += i
					return out, true
				}
				*rest -= st
			}
			continue
		}
		flushed := st + 1 - ns
		out = append(out, r.pat[:flushed]...)
		r.state = ns
		i++
		if size > 0 {
			if *rest <= flushed {
				*rest = 0
				s.rpos += i
				return out, true
			}
			*rest -= flushed
		}
	}
	s.rpos += i
	return out, false
}

func (a *tcpAPI) untilIter(L *lua.LState, r *untilReader) int {
	n := L.GetTop()
	if n > 1 {
		L.RaiseError("expecting 0 or 1 argument, but seen %d", n)
	}
	size := 0
	if n == 1 {
		size = int(L.CheckInt64(1))
		if size < 0 {
			size = 0
		}
	}
	s := r.s
	if s.conn == nil || s.readClosed {
		return pushErr(L, "closed")
	}
	c := a.vm.Current()
	if c == nil {
		L.RaiseError("no request found")
	}
	if !sameRequest(c, s.owner) {
		L.RaiseError("bad request")
	}
	s.checkBusy(L, true, true, false)
	if s.cfg.Debug {
		s.debug("lua tcp socket receiveuntil iterator")
		s.debug("lua tcp socket read timeout: " + msString(s.readTimeout()))
		s.debug("lua tcp socket read until")
	}
	if r.state == -1 {
		r.state = 0
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 3
	}
	rest := size
	out, done := r.scan(r.out[:0], size, &rest)
	var err error
	if !done {
		s.reading = true
		a.vm.Unlocked(func() {
			for !done {
				if err = s.fill(); err != nil {
					return
				}
				out, done = r.scan(out, size, &rest)
			}
		})
		s.reading = false
	}
	if cap(out) <= maxUntilScratch {
		r.out = out[:0]
	} else {
		r.out = nil
	}
	if err != nil {
		if isTimeout(err) {
			r.unread()
		}
		r.state = 0
		return a.readErr(L, s, err, out)
	}
	if r.state > 0 {
		// a chunk ended inside a partial match: as nginx, the matched
		// bytes stay in the buffer for any reader (the iterator rescans)
		r.unread()
	}
	L.Push(lua.LString(out))
	return 1
}

// unread puts the bytes of a partial match back before the buffered data
// and restarts the matcher.
func (r *untilReader) unread() {
	if r.state <= 0 {
		return
	}
	s := r.s
	pending := append([]byte(nil), r.pat[:r.state]...)
	s.rbuf = append(pending, s.buffered()...)
	s.rpos = 0
	r.state = 0
}

// ---- TLS ----

type sslSession struct{ serverName string }

// LuaCData: type() of a session is "cdata", as lua-resty-core's.
func (*sslSession) LuaCData() {}

var sessionCache = tls.NewLRUClientSessionCache(1024)

func (a *tcpAPI) sslhandshake(L *lua.LState) int {
	s := a.sockOf(L)
	if s.conn == nil || s.readClosed || s.writeClosed {
		return pushErr(L, "closed")
	}
	s.checkBusy(L, true, true, true)
	reuse := L.Get(2)
	serverName := ""
	if v, ok := L.Get(3).(lua.LString); ok {
		serverName = string(v)
	}
	verify := lua.LVAsBool(L.Get(4))
	ret := func() int {
		if reuse == lua.LFalse {
			L.Push(lua.LTrue)
			return 1
		}
		ud := L.NewUserData()
		ud.Value = &sslSession{serverName: serverName}
		L.Push(ud)
		return 1
	}
	if s.tls {
		return ret()
	}
	if serverName != "" && s.cfg.Debug {
		s.vm.Log(luabindings.LogDebug, "lua ssl server name: \""+serverName+"\"")
	}
	if e := s.handshake(serverName, verify); e != "" {
		return pushErr(L, e)
	}
	return ret()
}

// handshake runs the TLS client handshake; a failure closes the connection.
func (s *tcpSock) handshake(serverName string, verify bool) string {
	roots := s.cfg.RootCAs
	conf := &tls.Config{
		ServerName:         serverName,
		MinVersion:         s.cfg.MinVersion,
		MaxVersion:         s.cfg.MaxVersion,
		InsecureSkipVerify: true, // verified below, as nginx does, only when asked
		ClientSessionCache: sessionCache,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if !verify {
				return nil
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			leaf := cs.PeerCertificates[0]
			if _, err := leaf.Verify(opts); err != nil {
				return err
			}
			return checkHost(leaf, serverName)
		},
	}
	tc := tls.Client(s.conn, conf)
	var err error
	s.connecting = true
	s.vm.Unlocked(func() {
		tc.SetDeadline(deadline(s.connectTimeout()))
		err = tc.Handshake()
		tc.SetDeadline(time.Time{})
	})
	s.connecting = false
	if err != nil {
		if level, msg := handshakeLog(err, serverName); msg != "" && (s.cfg.LogErrors || level > luabindings.LogErr) {
			s.vm.Log(level, msg)
		}
		s.finalize()
		return tlsError(err)
	}
	s.conn, s.tls = tc, true
	return ""
}

// checkHost is OpenSSL's X509_check_host as nginx uses it: the DNS
// names of the certificate, or its subject's common name when it has
// none (Go's own check no longer falls back to the common name).
func checkHost(leaf *x509.Certificate, host string) error {
	if host == "" {
		return nil
	}
	if len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 || net.ParseIP(host) != nil {
		return leaf.VerifyHostname(host)
	}
	if matchHostPattern(strings.ToLower(leaf.Subject.CommonName), strings.ToLower(strings.TrimSuffix(host, "."))) {
		return nil
	}
	return x509.HostnameError{Certificate: leaf, Host: host}
}

// matchHostPattern matches a name with a leading "*." label wildcard.
func matchHostPattern(pattern, host string) bool {
	if pattern == host {
		return pattern != ""
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		i := strings.IndexByte(host, '.')
		return i > 0 && host[i+1:] == rest
	}
	return false
}

// handshakeLog is the error log line of a failed client handshake, as
// lua-nginx-module and nginx's SSL layer write it: none for a timeout
// (the caller gets "timeout"), the verification result, or the failure
// at info level when the peer refused with an alert.
func handshakeLog(err error, serverName string) (int, string) {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case isTimeout(err):
		return 0, ""
	case errors.As(err, &ua):
		return luabindings.LogErr, "lua ssl certificate verify error: (20: unable to get local issuer certificate)"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return luabindings.LogErr, "lua ssl certificate verify error: (10: certificate has expired)"
	case errors.As(err, &he):
		return luabindings.LogErr, "lua ssl certificate does not match host \"" + serverName + "\""
	case strings.Contains(err.Error(), "remote error: "):
		return luabindings.LogInfo, "SSL_do_handshake() failed (SSL: " + err.Error() + ") while SSL handshaking to upstream"
	}
	return luabindings.LogErr, "lua ssl handshake failed: " + err.Error()
}

func tlsError(err error) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "20: unable to get local issuer certificate"
	case errors.As(err, &he):
		return "certificate host mismatch"
	case errors.As(err, &ci):
		if ci.Reason == x509.Expired {
			return "10: certificate has expired"
		}
		return "handshake failed"
	case isTimeout(err):
		return "timeout"
	}
	return "handshake failed"
}

// CloseAll closes the cosockets an entity left open (OpenResty closes them
// when the handler ends). The runtime calls it when a request or timer
// finishes; Go's finalizers close any connection that is missed.
func CloseAll(c *luabindings.Ctx) {
	list, _ := c.Value(ctxKey{}).(*[]*tcpSock)
	if list == nil {
		return
	}
	for _, s := range *list {
		s.finalize()
		s.tracked = false
	}
	*list = (*list)[:0]
	if us, _ := c.Value(udpKey{}).(*[]*udpSock); us != nil {
		for _, u := range *us {
			u.close()
		}
		*us = (*us)[:0]
	}
}

func (s *tcpSock) track() {
	if s.tracked || s.owner == nil {
		return
	}
	s.tracked = true
	list, _ := s.owner.Value(ctxKey{}).(*[]*tcpSock)
	if list == nil {
		list = new([]*tcpSock)
		s.owner.SetValue(ctxKey{}, list)
	}
	*list = append(*list, s)
}

func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
