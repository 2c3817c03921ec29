package httpd

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// connStats are nginx's connection counters (ngx_stat_*), for
// stub_status and $connections_*: one set per process, kept over reloads.
type connStats struct {
	accepted, requests, writing atomic.Int64

	mu     sync.Mutex
	states map[net.Conn]connEntry
	active int64 // connections whose request is between header and handler
}

func newConnStats() *connStats {
	return &connStats{states: map[net.Conn]connEntry{}}
}

// connState follows fasthttp's connection states: a connection is
// "active" from its parsed header until its response was written.
// connEntry is what is kept per open connection: its state and when it
// was accepted ($connection_time).
type connEntry struct {
	st    fasthttp.ConnState
	start int64 // unix nanoseconds
}

func (s *connStats) connState(c net.Conn, st fasthttp.ConnState) {
	s.mu.Lock()
	prev, known := s.states[c]
	if prev.st == fasthttp.StateActive {
		s.active--
	}
	switch st {
	case fasthttp.StateNew:
		s.accepted.Add(1)
		s.states[c] = connEntry{st, time.Now().UnixNano()}
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		if known {
			delete(s.states, c)
		}
	default:
		prev.st = st
		s.states[c] = prev
		if st == fasthttp.StateActive {
			s.active++
		}
	}
	s.mu.Unlock()
}

// start is when connection c was accepted.
func (s *connStats) start(c net.Conn) (time.Time, bool) {
	s.mu.Lock()
	e, ok := s.states[c]
	s.mu.Unlock()
	return time.Unix(0, e.start), ok && e.start != 0
}

func (s *connStats) enter() {
	s.requests.Add(1)
	s.writing.Add(1)
}

func (s *connStats) leave() { s.writing.Add(-1) }

// ConnStats are the process's counters as stub_status shows them:
// open connections, those reading a request (fasthttp reads a header
// without telling: the ones between their parsed header and the
// handler), those answering, and the idle ones.
type ConnStats struct {
	Active, Reading, Writing, Waiting int64
	Accepted, Handled, Requests       int64
}

// ConnStats reads the counters of the process serving r.
func (r *Request) ConnStats() ConnStats {
	s := r.rt.stats
	if s == nil {
		return ConnStats{}
	}
	s.mu.Lock()
	open, activeState := int64(len(s.states)), s.active
	s.mu.Unlock()
	w := s.writing.Load()
	reading := max(activeState-w, 0)
	acc := s.accepted.Load()
	return ConnStats{
		Active: open, Reading: reading, Writing: w, Waiting: max(open-reading-w, 0),
		Accepted: acc, Handled: acc, Requests: s.requests.Load(),
	}
}
