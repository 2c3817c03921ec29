package httpd

// ConnStats are the process's counters as stub_status shows them:
// open connections, those reading a request (fasthttp reads a header
// without telling: the ones between their parsed header and the
// handler), those answering, and the idle ones.
type ConnStats struct {
	Active, Reading, Writing, Waiting int64
	Accepted, Handled, Requests       int64
}

// Connections reads the process's connection counters: open, reading a
// request, writing (a request is being served), idle (keepalive), and
// how many were accepted and requests served so far.
func Connections() ConnStats {
	active, writing, idle, accepted := conns.open.Load(), conns.writing.Load(), conns.idle.Load(), conns.accepted.Load()
	return ConnStats{
		Active: active, Reading: max(active-writing-idle, 0), Writing: writing, Waiting: idle,
		Accepted: accepted, Handled: accepted, Requests: conns.requests.Load(),
	}
}

// ConnStats reads the counters of the process serving r (stub_status,
// $connections_*).
func (r *Request) ConnStats() ConnStats { return Connections() }
