package socket

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
)

// Conn is a cosocket driven from Go, for built-in libraries that
// lua-nginx-module users would run over ngx.socket.tcp (resty.http). It
// has the cosocket's semantics, error strings and keepalive pool. Methods
// must be called with the VM held by the owning entity; they release the
// VM while blocking.
type Conn struct{ s *tcpSock }

// NewConn makes an unconnected cosocket owned by entity c.
func NewConn(vm *luabindings.VM, c *luabindings.Ctx) *Conn {
	return &Conn{s: &tcpSock{vm: vm, owner: c, cfg: ConfigOf(vm)}}
}

// Owner is the entity the connection belongs to.
func (c *Conn) Owner() *luabindings.Ctx { return c.s.owner }

// Connect connects to host:port, or to a unix socket when host starts with
// "unix:" (port ignored). pool names the keepalive pool ("" = host:port);
// poolSize/backlog as the connect options (0 / -1 when absent).
func (c *Conn) Connect(host string, port int, pool string, poolSize, backlog int) string {
	network, addr, key := "tcp", "", ""
	if len(host) >= 5 && strings.EqualFold(host[:5], "unix:") {
		network, addr, key = "unix", host[5:], host
	} else {
		if port < 0 || port > 65535 {
			return "bad port number: " + strconv.Itoa(port)
		}
		addr = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), strconv.Itoa(port))
		key = host + ":" + strconv.Itoa(port)
	}
	if pool != "" {
		key = pool
	}
	if backlog >= 0 && poolSize == 0 {
		poolSize = c.s.cfg.PoolSize
	}
	return c.s.doConnect(network, addr, host, key, poolSize, backlog)
}

// SSLHandshake upgrades the connection to TLS (no-op when already TLS).
func (c *Conn) SSLHandshake(serverName string, verify bool) string {
	if c.s.conn == nil {
		return "closed"
	}
	if c.s.tls {
		return ""
	}
	return c.s.handshake(serverName, verify)
}

// Connected reports whether the connection is open.
func (c *Conn) Connected() bool { return c.s.conn != nil }

// SetTimeouts sets the connect, send and read timeouts (0 = default).
func (c *Conn) SetTimeouts(connect, send, read time.Duration) {
	c.s.connectTO, c.s.sendTO, c.s.readTO = connect, send, read
}

// Send writes data; it returns the bytes sent or the error string.
func (c *Conn) Send(data []byte) (int, string) {
	if c.s.conn == nil {
		return 0, "closed"
	}
	return c.s.write(data)
}

// ReceiveLine is receive("*l"): data, or "" with err and partial data.
func (c *Conn) ReceiveLine() (string, string, string) {
	if c.s.conn == nil {
		return "", "closed", ""
	}
	line, partial, err := c.s.readLine()
	if err != nil {
		return "", c.s.readFail(err), string(partial)
	}
	return line, "", ""
}

// Receive is receive(n). The returned slice is valid until the next read.
func (c *Conn) Receive(n int) ([]byte, string) {
	if c.s.conn == nil {
		return nil, "closed"
	}
	if n == 0 {
		return []byte{}, ""
	}
	data, err := c.s.readN(n)
	if err != nil {
		d := append([]byte(nil), data...)
		return d, c.s.readFail(err)
	}
	return data, ""
}

// ReceiveAll is receive("*a").
func (c *Conn) ReceiveAll() ([]byte, string) {
	if c.s.conn == nil {
		return nil, "closed"
	}
	data, err := c.s.readAll()
	if err != nil {
		d := append([]byte(nil), data...)
		return d, c.s.readFail(err)
	}
	return data, ""
}

// ReusedTimes is getreusedtimes().
func (c *Conn) ReusedTimes() (int, string) {
	if c.s.conn == nil {
		return 0, "closed"
	}
	return c.s.reused, ""
}

// SetKeepalive is setkeepalive(timeout, size); timeout < 0 means the
// configured default, size <= 0 the configured pool size.
func (c *Conn) SetKeepalive(timeout time.Duration, size int) string {
	if timeout < 0 {
		timeout = c.s.cfg.KeepaliveTimeout
	}
	return c.s.keepalive(timeout, size)
}

// Close is close().
func (c *Conn) Close() string {
	if c.s.conn == nil {
		return "closed"
	}
	c.s.finalize()
	return ""
}
