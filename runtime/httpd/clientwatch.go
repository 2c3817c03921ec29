package httpd

import (
	"crypto/tls"
	"net"
	"sync"
	"syscall"
)

// clientWatch notices a client that closes its connection while its
// request is in progress, as nginx's read event handler does
// (ngx_http_lua_rd_check_broken_connection, the upstream module's
// ngx_http_upstream_check_broken_connection): the connection is polled
// for readability and a one-byte MSG_PEEK tells a close (0) from data
// (a pipelined request or an unread body, left where it is for the
// next reader). Only HTTP/1 main requests are watched, as nginx, which
// does not check HTTP/2 streams.
type clientWatch struct {
	mu      sync.Mutex
	stopped bool
	gone    bool
	stopFn  func()
	onGone  []func()
}

// WatchClient calls fn (on another goroutine) when the client closes the
// connection before the request ends; several callers may register. It
// reports whether the connection can be watched.
func (r *Request) WatchClient(fn func()) bool {
	m := r
	for m.parent != nil {
		m = m.parent
	}
	if m.h2 != nil || m.fc == nil {
		return false
	}
	w := m.cw
	if w == nil {
		fd, ok := dupConnFD(m.fc.Conn())
		if !ok {
			return false
		}
		w = &clientWatch{}
		m.cw = w
		w.onGone = append(w.onGone, fn)
		w.stopFn = startWatch(fd, w.fire)
		return true
	}
	w.mu.Lock()
	gone := w.gone
	if !gone {
		w.onGone = append(w.onGone, fn)
	}
	w.mu.Unlock()
	if gone {
		go fn()
	}
	return true
}

// ClientGone reports whether the client was seen closing the connection.
func (r *Request) ClientGone() bool {
	m := r
	for m.parent != nil {
		m = m.parent
	}
	if m.cw == nil {
		return false
	}
	m.cw.mu.Lock()
	defer m.cw.mu.Unlock()
	return m.cw.gone
}

func (w *clientWatch) fire() {
	w.mu.Lock()
	if w.stopped || w.gone {
		w.mu.Unlock()
		return
	}
	w.gone = true
	fns := w.onGone
	w.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// stopWatch ends the watch when the request ends.
func (r *Request) stopWatch() {
	w := r.cw
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.stopFn()
	r.cw = nil
}

// dupConnFD duplicates the socket descriptor under c (a TLS or PROXY
// protocol connection is unwrapped).
func dupConnFD(c net.Conn) (int, bool) {
	for {
		switch v := c.(type) {
		case *tls.Conn:
			c = v.NetConn()
			continue
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
			continue
		}
		break
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd := -1
	if raw.Control(func(s uintptr) { fd, err = dupCloexec(int(s)) }) != nil || err != nil || fd < 0 {
		return -1, false
	}
	return fd, true
}
