package socket

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

type udpKey struct{}

// udpSock is the state behind one ngx.socket.udp() object.
type udpSock struct {
	vm      *luabindings.VM
	owner   *luabindings.Ctx
	cfg     *Config
	conn    net.Conn
	timeout time.Duration
	buf     []byte
	tracked bool
	used    bool     // setpeername was called before
	local   net.Addr // bind(): the local address
}

type udpAPI struct {
	vm   *luabindings.VM
	meta *lua.LTable
}

// UDP receive buffer limit (lua-nginx-module reads at most this much).
const udpMaxRecv = 65536

func installUDP(vm *luabindings.VM, L *lua.LState, sock *lua.LTable) {
	a := &udpAPI{vm: vm, meta: L.NewTable()}
	methods := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"setpeername": a.setpeername,
		"send":        a.send,
		"receive":     a.receive,
		"settimeout":  a.settimeout,
		"close":       a.close,
		"bind":        a.bind,
	} {
		methods.RawSetString(name, L.NewFunction(fn))
	}
	a.meta.RawSetString("__index", methods)
	sock.RawSetString("udp", L.NewFunction(a.newUDP))
}

func (a *udpAPI) newUDP(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		L.RaiseError("expecting zero arguments, but got %d", n)
	}
	c := a.vm.CheckPhase(L, yieldable...)
	t := L.CreateTable(1, 0)
	ud := L.NewUserData()
	ud.Value = &udpSock{vm: a.vm, owner: c, cfg: ConfigOf(a.vm)}
	t.RawSetInt(1, ud)
	t.Metatable = a.meta
	L.Push(t)
	return 1
}

func (a *udpAPI) sockOf(L *lua.LState) *udpSock {
	t := L.CheckTable(1)
	ud, ok := t.RawGetInt(1).(*lua.LUserData)
	if !ok {
		L.RaiseError("bad argument #1 (udp socket expected)")
	}
	u, ok := ud.Value.(*udpSock)
	if !ok {
		L.RaiseError("bad argument #1 (udp socket expected)")
	}
	c := a.vm.Current()
	if c == nil {
		L.RaiseError("no request found")
	}
	if !sameRequest(c, u.owner) {
		L.RaiseError("bad request")
	}
	return u
}

func (u *udpSock) close() {
	if u.conn != nil {
		u.conn.Close()
		u.conn = nil
	}
}

func (u *udpSock) readTimeout() time.Duration {
	if u.timeout > 0 {
		return u.timeout
	}
	return u.cfg.ReadTimeout
}

func (a *udpAPI) setpeername(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		L.RaiseError("ngx.socket udp setpeername: expecting 2 or 3 arguments (including the object), but seen %d", n)
	}
	a.vm.CheckPhase(L, yieldable...)
	u := a.sockOf(L)
	host := L.CheckString(2)
	network, addr := "udp", ""
	if pv, ok := isNumber(L.Get(3)); n == 3 && ok {
		port := int(pv)
		if port < 0 || port > 65535 {
			return pushErr(L, "bad port number: "+strconv.Itoa(port))
		}
		addr = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(port))
	} else if len(host) >= 5 && strings.EqualFold(host[:5], "unix:") {
		network, addr = "unixgram", host[5:]
	} else {
		return pushErr(L, "missing the port number")
	}
	if u.used && u.cfg.Debug {
		if u.conn != nil {
			a.vm.Log(luabindings.LogDebug, "lua udp socket reconnect without shutting down")
		}
		a.vm.Log(luabindings.LogDebug, "lua reuse socket upstream ctx")
	}
	u.used = true
	u.close()
	if !u.tracked {
		u.tracked = true
		list, _ := u.owner.Value(udpKey{}).(*[]*udpSock)
		if list == nil {
			list = new([]*udpSock)
			u.owner.SetValue(udpKey{}, list)
		}
		*list = append(*list, u)
	}
	var conn net.Conn
	var errStr string
	cfg := u.cfg
	local := u.local
	a.vm.Unlocked(func() {
		if network == "udp" {
			conn, errStr, _, _ = dial(cfg, network, addr, host, cfg.ConnectTimeout, local)
			return
		}
		// a datagram unix socket autobinds (an abstract name the
		// kernel picks) so that the peer can answer, as nginx does
		d := net.Dialer{Control: autobind}
		c, err := d.Dial(network, addr)
		if err != nil {
			errStr = errnoString(err)
			return
		}
		conn = c
	})
	if conn == nil {
		return pushErr(L, errStr)
	}
	u.conn = conn
	L.Push(lua.LNumber(1))
	return 1
}

func (a *udpAPI) send(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("expecting 2 arguments (including the object), but got %d", n)
	}
	u := a.sockOf(L)
	if u.conn == nil {
		return pushErr(L, "closed")
	}
	var data []byte
	switch v := L.Get(2).(type) {
	case lua.LString:
		data = unsafeBytes(string(v))
	case lua.LNumber:
		data = appendNumber(nil, v)
	case *lua.LTable:
		data = appendTable(L, nil, v, 2)
	case *lua.LNilType:
		data = []byte("nil")
	case lua.LBool:
		data = []byte(v.String())
	default:
		argError(L, 2, "send", "string, number, boolean, nil, or array table expected, got "+v.Type().String())
	}
	conn := u.conn
	var err error
	a.vm.Unlocked(func() {
		conn.SetWriteDeadline(deadline(u.cfg.SendTimeout))
		_, err = conn.Write(data)
	})
	if err != nil {
		return pushErr(L, ioError(err))
	}
	L.Push(lua.LNumber(1))
	return 1
}

func (a *udpAPI) receive(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		L.RaiseError("expecting 1 or 2 arguments (including the object), but got %d", n)
	}
	u := a.sockOf(L)
	if u.conn == nil {
		return pushErr(L, "closed")
	}
	size := udpMaxRecv
	if n == 2 {
		num, ok := isNumber(L.Get(2))
		if !ok || num < 0 {
			argError(L, 2, "receive", "bad size argument")
		}
		if int(num) < size {
			size = int(num)
		}
	}
	if u.cfg.Debug {
		a.vm.Log(luabindings.LogDebug, "lua udp socket calling receive() method")
		a.vm.Log(luabindings.LogDebug, "lua udp socket read timeout: "+msString(u.readTimeout()))
		a.vm.Log(luabindings.LogDebug, "lua udp socket receive buffer size: "+strconv.Itoa(size))
	}
	if cap(u.buf) < size {
		u.buf = make([]byte, size)
	}
	buf := u.buf[:size]
	conn := u.conn
	var nr int
	var err error
	a.vm.Unlocked(func() {
		conn.SetReadDeadline(deadline(u.readTimeout()))
		nr, err = conn.Read(buf)
	})
	if err != nil {
		e := ioError(err)
		if e == "timeout" {
			if u.cfg.LogErrors {
				a.vm.Log(luabindings.LogErr, "lua udp socket read timed out")
			}
		} else if u.cfg.LogErrors {
			a.vm.Log(luabindings.LogErr, "recv() failed ("+errnoText(err)+")")
		}
		return pushErr(L, e)
	}
	L.Push(lua.LString(buf[:nr]))
	return 1
}

func (a *udpAPI) settimeout(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("ngx.socket settimout: expecting at least 2 arguments (including the object) but seen %d", n)
	}
	u := a.sockOf(L)
	u.timeout = checkTimeout(L, 2)
	return 0
}

func (a *udpAPI) close(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		L.RaiseError("expecting 1 argument (including the object) but seen %d", n)
	}
	u := a.sockOf(L)
	if u.conn == nil {
		return pushErr(L, "closed")
	}
	u.close()
	L.Push(lua.LNumber(1))
	return 1
}

// bind(ip) sets the local address the next setpeername connects from.
func (a *udpAPI) bind(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("expecting 2 arguments, but got %d", n)
	}
	u := a.sockOf(L)
	text := L.CheckString(2)
	ip := net.ParseIP(text)
	if ip == nil {
		return pushErr(L, "bad address")
	}
	u.local = &net.UDPAddr{IP: ip}
	if u.cfg.Debug {
		a.vm.Log(luabindings.LogDebug, "lua udp socket bind ip: "+text)
	}
	L.Push(lua.LNumber(1))
	return 1
}
