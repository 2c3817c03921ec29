package socket

import (
	"net"
	"sync"
	"time"
)

// The keepalive pool. OpenResty keeps one per worker; goresty keeps one per
// process (connections are plain Go objects usable from any worker VM), so
// pool_size and backlog limit the whole process.

type idleConn struct {
	conn   net.Conn // what reads and writes go through (a *tls.Conn after sslhandshake)
	raw    net.Conn // the transport connection under conn
	tls    bool
	reused int
	buf    []byte // the read buffer travels with the connection
	timer  *time.Timer
	p      *pool
}

type pool struct {
	mu      sync.Mutex
	key     string
	size    int
	backlog int // < 0: no limit on open connections
	conns   int // open connections counted against the pool
	idle    []*idleConn
	waiters []chan struct{}
}

var pools = struct {
	sync.Mutex
	m map[string]*pool
}{m: map[string]*pool{}}

func lookupPool(key string) *pool {
	pools.Lock()
	p := pools.m[key]
	pools.Unlock()
	return p
}

// createPool returns the pool for key, creating it with size and backlog;
// like OpenResty, an existing pool keeps the size it was created with.
func createPool(key string, size, backlog int) *pool {
	pools.Lock()
	defer pools.Unlock()
	if p := pools.m[key]; p != nil {
		return p
	}
	p := &pool{key: key, size: size, backlog: backlog}
	pools.m[key] = p
	return p
}

// get takes the most recently parked live connection, or nil.
func (p *pool) get() *idleConn {
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		ic := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		// whoever removes a connection from idle owns it; a timer that
		// fired meanwhile finds nothing to expire
		if ic.timer != nil {
			ic.timer.Stop()
		}
		if peerState(ic.raw) != peerIdle {
			ic.conn.Close()
			p.release()
			continue
		}
		return ic
	}
}

// put parks a connection, evicting the least recently used one when full.
func (p *pool) put(ic *idleConn, timeout time.Duration) {
	ic.p = p
	p.mu.Lock()
	var evict *idleConn
	if len(p.idle) >= p.size && len(p.idle) > 0 {
		evict = p.idle[0]
		copy(p.idle, p.idle[1:])
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
	}
	p.idle = append(p.idle, ic)
	if timeout > 0 {
		ic.timer = time.AfterFunc(timeout, func() { p.expire(ic) })
	}
	p.wakeLocked()
	p.mu.Unlock()
	if evict != nil {
		if evict.timer != nil {
			evict.timer.Stop()
		}
		evict.conn.Close()
		p.release()
	}
}

func (p *pool) expire(ic *idleConn) {
	p.mu.Lock()
	found := false
	for i, c := range p.idle {
		if c == ic {
			copy(p.idle[i:], p.idle[i+1:])
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			found = true
			break
		}
	}
	p.mu.Unlock()
	if found {
		ic.conn.Close()
		p.release()
	}
}

// reserve counts a new connection against the pool. It reports false when
// the pool is at its limit (backlog mode only).
func (p *pool) reserve() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.backlog >= 0 && p.conns >= p.size {
		return false
	}
	p.conns++
	return true
}

// enqueue registers a waiter for a free slot, or returns nil when the
// backlog queue is full.
func (p *pool) enqueue() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) >= p.backlog {
		return nil
	}
	ch := make(chan struct{}, 1)
	p.waiters = append(p.waiters, ch)
	return ch
}

func (p *pool) dequeue(ch chan struct{}) {
	p.mu.Lock()
	for i, w := range p.waiters {
		if w == ch {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
}

// release uncounts a closed connection and lets a queued connect proceed.
func (p *pool) release() {
	p.mu.Lock()
	if p.conns > 0 {
		p.conns--
	}
	p.wakeLocked()
	p.mu.Unlock()
}

func (p *pool) wakeLocked() {
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		ch <- struct{}{}
	}
}

// Idle connection states seen by a non-blocking peek.
const (
	peerIdle   = iota // nothing to read: safe to reuse
	peerData          // unread data: the previous session left bytes behind
	peerClosed        // EOF or error
)

// IdleConns reports how many connections are parked under key (for tests
// and status pages).
func IdleConns(key string) int {
	p := lookupPool(key)
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// PooledConn is a connection handed out by Acquire, for Go-native clients
// (resty.http) that share the cosocket keepalive pool.
type PooledConn struct {
	Conn   net.Conn
	Raw    net.Conn
	TLS    bool
	Reused int
}

// Acquire takes a live idle connection parked under key.
func Acquire(key string) (PooledConn, bool) {
	p := lookupPool(key)
	if p == nil {
		return PooledConn{}, false
	}
	ic := p.get()
	if ic == nil {
		return PooledConn{}, false
	}
	return PooledConn{Conn: ic.conn, Raw: ic.raw, TLS: ic.tls, Reused: ic.reused + 1}, true
}

// Park puts a connection into the pool under key (created with size when
// absent) for at most timeout (0 = no limit). It returns "closed" or
// "connection in dubious state" (and closes the connection) when the
// connection cannot be reused.
func Park(key string, pc PooledConn, timeout time.Duration, size int) string {
	raw := pc.Raw
	if raw == nil {
		raw = pc.Conn
	}
	switch peerState(raw) {
	case peerData:
		pc.Conn.Close()
		return "connection in dubious state"
	case peerClosed:
		pc.Conn.Close()
		return "closed"
	}
	p := lookupPool(key)
	if p == nil {
		p = createPool(key, size, -1)
	}
	p.mu.Lock()
	p.conns++
	p.mu.Unlock()
	pc.Conn.SetDeadline(time.Time{})
	p.put(&idleConn{conn: pc.Conn, raw: raw, tls: pc.TLS, reused: pc.Reused}, timeout)
	return ""
}
