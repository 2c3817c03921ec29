package httpd

import (
	"net"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// connStats are nginx's connection counters (ngx_stat_*), for
// stub_status and $connections_*: one set per process, kept over reloads.
// They are atomic counters, touched when a connection opens and closes
// and around each request's handler.
type connStats struct {
	accepted, closed, requests, writing atomic.Int64
}

func newConnStats() *connStats { return &connStats{} }

// connState follows fasthttp's connection states: a new connection is
// counted as accepted, a closed or hijacked one leaves the open count.
func (s *connStats) connState(_ net.Conn, st fasthttp.ConnState) {
	switch st {
	case fasthttp.StateNew:
		s.accepted.Add(1)
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.closed.Add(1)
	}
}

func (s *connStats) enter() {
	s.requests.Add(1)
	s.writing.Add(1)
}

func (s *connStats) leave() { s.writing.Add(-1) }

// ConnStats are the process's counters as stub_status shows them: open
// connections, those reading a request header (fasthttp reads a header
// without telling: always 0, such a connection counts as waiting), those
// answering, and the idle ones.
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
	acc := s.accepted.Load()
	open := max(acc-s.closed.Load(), 0)
	w := s.writing.Load()
	return ConnStats{
		Active: open, Writing: w, Waiting: max(open-w, 0),
		Accepted: acc, Handled: acc, Requests: s.requests.Load(),
	}
}
