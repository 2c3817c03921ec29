package proxy

import (
	"crypto/tls"
	"net"
	"sync"
	"syscall"
	"time"
)

// A client that goes away while its request waits on the upstream
// cancels the upstream request, as nginx's proxy_ignore_client_abort off:
// the upstream connection is closed and the request ends with 499.
//
// The watch starts only when the upstream has not answered within
// watchDelay, so that a quick exchange costs no goroutine; it then waits
// in the network poller for the client's socket to become readable and
// peeks: end of stream means the client is gone, data (a pipelined
// request) ends the watch.

const watchDelay = 20 * time.Millisecond

type watch struct {
	mu      sync.Mutex
	st      *state
	client  net.Conn
	timer   *time.Timer
	running bool
	stopped bool
	gone    bool
	done    chan struct{}
	upConn  net.Conn // the upstream connection to close on abort
}

// startWatch arms the watch of the client connection c for st.
func (st *state) startWatch(c net.Conn) {
	if c == nil {
		return
	}
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if _, ok := c.(syscall.Conn); !ok {
		return
	}
	w := st.w
	w.mu.Lock()
	w.st, w.client, w.stopped, w.gone, w.running = st, c, false, false, false
	w.mu.Unlock()
	if w.timer == nil {
		w.timer = time.AfterFunc(watchDelay, w.run)
	} else {
		w.timer.Reset(watchDelay)
	}
}

// setUpstream names the connection an abort closes.
func (w *watch) setUpstream(c net.Conn) {
	w.mu.Lock()
	w.upConn = c
	gone := w.gone
	w.mu.Unlock()
	if gone {
		c.SetDeadline(time.Unix(1, 0))
	}
}

func (w *watch) run() {
	w.mu.Lock()
	if w.stopped || w.client == nil || w.running {
		// stopped, or a late callback of an earlier exchange while this
		// exchange's watch already runs
		w.mu.Unlock()
		return
	}
	w.running = true
	w.done = make(chan struct{})
	c := w.client
	w.mu.Unlock()
	defer close(w.done)
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return
	}
	var closed bool
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		n, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n > 0:
			return true // data: the client is there
		case e == syscall.EAGAIN || e == syscall.EINTR:
			return false // wait for readability
		}
		closed = true // end of stream or an error
		return true
	})
	if !closed {
		return
	}
	w.mu.Lock()
	w.gone = !w.stopped
	up := w.upConn
	w.mu.Unlock()
	if w.gone && up != nil {
		up.SetDeadline(time.Unix(1, 0)) // wakes the exchange
	}
}

// stop ends the watch; it reports whether the client went away.
func (w *watch) stop() bool {
	if w.client == nil {
		return false
	}
	w.mu.Lock()
	w.stopped = true
	running := w.running
	c := w.client
	w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	if running {
		c.SetReadDeadline(time.Unix(1, 0)) // wakes the poller wait
		<-w.done
		c.SetReadDeadline(time.Time{})
	}
	w.mu.Lock()
	gone := w.gone
	w.client, w.upConn, w.running = nil, nil, false
	w.mu.Unlock()
	return gone
}
