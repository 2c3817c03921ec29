package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// This file is the upstream side of proxy_pass: connections to a peer,
// kept for reuse only when the upstream block says "keepalive N" (at most
// N idle per peer, as nginx's ngx_http_upstream_keepalive_module), with
// nginx's three timeouts: connect, send (between two writes) and read
// (between two reads).

// connPool is one peer's connections (one per address and TLS setting).
type connPool struct {
	addr    string
	tls     *tls.Config // nil: plain TCP
	maxIdle int         // the upstream block's keepalive; 0: never reused
	mu      sync.Mutex
	idle    []*upConn
}

// upConn is a connection to an upstream with its read buffer; both are
// kept together while the connection waits in the pool.
type upConn struct {
	c      net.Conn
	br     *bufio.Reader
	pool   *connPool
	reused bool
	// read is proxy_read_timeout: every Read of br refreshes the deadline
	read time.Duration
	// counter for $upstream_bytes_received
	received int64
}

const upReadBuf = 16 << 10

// Read reads from the upstream with proxy_read_timeout between two reads.
func (u *upConn) Read(p []byte) (int, error) {
	if u.read > 0 {
		u.c.SetReadDeadline(time.Now().Add(u.read))
	}
	n, err := u.c.Read(p)
	u.received += int64(n)
	return n, err
}

// get returns an idle connection or dials a new one within connect.
func (p *connPool) get(ctx context.Context, connect time.Duration, local *net.TCPAddr) (*upConn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		u := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		u.reused = true
		return u, nil
	}
	p.mu.Unlock()
	return p.dial(ctx, connect, local)
}

// dial connects within connect, from local when proxy_bind gave one (a
// kept connection is reused whatever its local address, as nginx's
// keepalive cache is keyed by the peer only).
func (p *connPool) dial(ctx context.Context, connect time.Duration, local *net.TCPAddr) (*upConn, error) {
	d := net.Dialer{Timeout: connect}
	if local != nil {
		d.LocalAddr = local
	}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if p.tls != nil {
		tc := tls.Client(c, p.tls)
		tc.SetDeadline(time.Now().Add(connect))
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		tc.SetDeadline(time.Time{})
		c = tc
	}
	u := &upConn{c: c, pool: p}
	u.br = bufio.NewReaderSize(u, upReadBuf)
	return u, nil
}

// put gives a connection whose response was read whole back to the pool,
// or closes it when the pool is full or keeps none.
func (p *connPool) put(u *upConn) {
	p.mu.Lock()
	if len(p.idle) < p.maxIdle {
		u.c.SetReadDeadline(time.Time{})
		u.received = 0
		p.idle = append(p.idle, u)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	u.c.Close()
}

// closeIdle closes the pool's idle connections (a configuration released).
func (p *connPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, u := range idle {
		u.c.Close()
	}
}

// errText is the system error in nginx's words: "(111: Connection refused)".
func errText(err error) string {
	var se syscall.Errno
	if errors.As(err, &se) {
		return "(" + itoa(int(se)) + ": " + sysText(se) + ")"
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		return "(110: Connection timed out)"
	}
	return "(" + err.Error() + ")"
}

// sysText is strerror's text as glibc writes it (Go's is lower case).
func sysText(e syscall.Errno) string {
	s := e.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-32) + s[1:]
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isEOF(err error) bool {
	return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
