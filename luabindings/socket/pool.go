package socket

import (
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/goresty/goresty/luabindings"
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
	p      *pool
	// the watcher goroutine waits for the peer (data, close) or the idle
	// timeout while the connection is parked; taken tells it that get
	// claimed the connection, done is closed when it has returned, broken
	// records that its read saw data or an error (the connection is dead)
	taken  bool
	broken bool
	done   chan struct{}
}

type pool struct {
	mu      sync.Mutex
	key     string
	size    int
	backlog int // < 0: no limit on open connections
	conns   int // open connections counted against the pool
	idle    []*idleConn
	waiters []chan struct{}
	freed   bool // dropped from pools once its count fell to zero
	debug   bool
	log     func(level int, msg string) // nil: no lines
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
// cfg gives the pool its log (debug lines only with cfg.Debug).
func createPool(key string, size, backlog int, cfg *Config, logf func(int, string)) *pool {
	pools.Lock()
	defer pools.Unlock()
	if p := pools.m[key]; p != nil {
		return p
	}
	p := &pool{key: key, size: size, backlog: backlog}
	if cfg != nil {
		p.debug, p.log = cfg.Debug, cfg.BgLog
	}
	if p.debug && logf != nil {
		logf(luabindings.LogDebug, "lua tcp socket connection pool size: "+strconv.Itoa(size)+", backlog: "+strconv.Itoa(backlog))
		logf(luabindings.LogDebug, "lua tcp socket keepalive create connection pool for key \""+key+"\"")
	}
	pools.m[key] = p
	return p
}

func (p *pool) debugf(msg string) {
	if p.debug && p.log != nil {
		p.log(luabindings.LogDebug, msg)
	}
}

// past is a deadline in the past: it wakes a blocked Read at once.
var past = time.Unix(1, 0)

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
		ic.taken = true
		p.mu.Unlock()
		// whoever removes a connection from idle owns it: stop its
		// watcher and look at what it saw meanwhile
		ic.conn.SetReadDeadline(past)
		<-ic.done
		ic.conn.SetReadDeadline(time.Time{})
		if ic.broken {
			ic.conn.Close()
			p.release()
			continue
		}
		return ic
	}
}

// put parks a connection, evicting the least recently used one when full.
// A watcher closes it when the peer sends data or closes, or when timeout
// (0: no limit) passes.
func (p *pool) put(ic *idleConn, timeout time.Duration) {
	ic.p = p
	ic.done = make(chan struct{})
	p.mu.Lock()
	var evict *idleConn
	if len(p.idle) >= p.size && len(p.idle) > 0 {
		evict = p.idle[0]
		copy(p.idle, p.idle[1:])
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
		evict.taken = true
	}
	p.idle = append(p.idle, ic)
	p.wakeLocked()
	p.mu.Unlock()
	go p.watch(ic, timeout)
	if evict != nil {
		evict.conn.SetReadDeadline(past)
		<-evict.done
		evict.conn.Close()
		p.release()
	}
}

// watch is the keepalive close handler of one parked connection.
func (p *pool) watch(ic *idleConn, timeout time.Duration) {
	defer close(ic.done)
	p.mu.Lock()
	if ic.taken {
		p.mu.Unlock()
		return
	}
	// set under the lock: get's wake-up deadline comes after it
	if timeout > 0 {
		ic.conn.SetReadDeadline(time.Now().Add(timeout))
	} else {
		ic.conn.SetReadDeadline(time.Time{})
	}
	p.mu.Unlock()
	var b [1]byte
	n, err := ic.conn.Read(b[:])
	p.mu.Lock()
	if ic.taken {
		ic.broken = n > 0 || (err != nil && !isTimeout(err))
		p.mu.Unlock()
		return
	}
	for i, c := range p.idle {
		if c == ic {
			copy(p.idle[i:], p.idle[i+1:])
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			break
		}
	}
	p.mu.Unlock()
	if p.debug {
		if n == 0 && isTimeout(err) {
			p.debugf("lua tcp socket keepalive max idle timeout")
		} else {
			p.debugf("lua tcp socket keepalive close handler check stale events")
		}
		p.debugf("lua tcp socket keepalive close handler: fd:" + strconv.Itoa(fdOf(ic.raw)))
	}
	ic.conn.Close()
	p.release()
}

// reserve counts a new connection against the pool. It reports false when
// the pool is at its limit (backlog mode only) or was freed meanwhile
// (freed tells which).
func (p *pool) reserve() (ok, freed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.freed {
		return false, true
	}
	if p.backlog >= 0 && p.conns >= p.size {
		return false, false
	}
	p.conns++
	return true, false
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
	if p.debug {
		p.debugf("lua tcp socket queue connect operation for connection pool \"" + p.key + "\", connections: " + strconv.Itoa(p.conns+len(p.waiters)))
	}
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

// count counts a connection made outside the pool (parked by setkeepalive
// into a pool created there), as OpenResty does; false when the pool was
// freed meanwhile (the caller creates a new one).
func (p *pool) count() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.freed {
		return false
	}
	p.conns++
	return true
}

// release uncounts a closed connection and lets a queued connect proceed;
// the last one frees the pool (a later one is created anew, with the size
// then asked for).
func (p *pool) release() {
	p.mu.Lock()
	if p.conns > 0 {
		p.conns--
	}
	free := p.conns == 0 && len(p.idle) == 0 && len(p.waiters) == 0 && !p.freed
	if free {
		p.freed = true
	} else {
		p.wakeLocked()
	}
	p.mu.Unlock()
	if free {
		pools.Lock()
		if pools.m[p.key] == p {
			delete(pools.m, p.key)
		}
		pools.Unlock()
		p.debugf("lua tcp socket keepalive: free connection pool for \"" + p.key + "\"")
	}
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
	for p == nil || !p.count() {
		p = createPool(key, size, -1, nil, nil)
	}
	pc.Conn.SetDeadline(time.Time{})
	p.put(&idleConn{conn: pc.Conn, raw: raw, tls: pc.TLS, reused: pc.Reused}, timeout)
	return ""
}

// fdOf is the descriptor of a connection, for debug lines (-1 if none).
func fdOf(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}
