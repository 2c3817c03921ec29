package proxy

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
)

// tunnel is nginx's upgraded connection (a 101 answer to a request with
// Upgrade): the 101 goes to the client, then bytes flow both ways until
// either side closes or neither sends for proxy_read_timeout.
func tunnel(r *httpd.Request, st *state) {
	u := st.u
	st.u = nil
	st.resp.connClose = true // never back to a pool
	r.Flush()                // the 101 with the upstream's headers
	c, pre := r.TakeRawConn()
	r.SetFinalized()
	u.read = 0 // the tunnel keeps its own deadlines
	t := &tunnelState{idle: st.s.read}
	t.touch()
	r.Unlocked(func() {
		defer u.c.Close()
		if len(pre) > 0 {
			u.c.Write(pre)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.pipe(u.c, c, c) // client to upstream
		}()
		// upstream to client; bytes read past the 101 come first from
		// the upstream's buffer
		t.pipe(c, u.c, u.br)
		wg.Wait()
	})
	st.finishTimes()
	st.recv = u.received
}

type tunnelState struct {
	idle time.Duration
	last atomic.Int64 // unix nanoseconds of the last byte either way
	done atomic.Bool
	once sync.Once
}

func (t *tunnelState) touch() { t.last.Store(time.Now().UnixNano()) }

// pipe copies src (read through rd) to dst. A read that waits longer
// than the idle limit ends the tunnel unless the other direction moved
// meanwhile; the end of either direction closes both connections.
func (t *tunnelState) pipe(dst net.Conn, src net.Conn, rd io.Reader) {
	defer t.once.Do(func() {
		// wake the other direction: both connections close
		t.done.Store(true)
		dst.SetReadDeadline(time.Unix(1, 0))
		src.SetReadDeadline(time.Unix(1, 0))
	})
	buf := make([]byte, 16<<10)
	for !t.done.Load() {
		src.SetReadDeadline(time.Unix(0, t.last.Load()).Add(t.idle))
		if t.done.Load() {
			return // the deadline set just now may have undone the wake-up
		}
		n, err := rd.Read(buf)
		if n > 0 {
			t.touch()
			dst.SetWriteDeadline(time.Now().Add(t.idle))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() && !t.done.Load() &&
				time.Since(time.Unix(0, t.last.Load())) < t.idle {
				continue // the other direction was active
			}
			return // nginx ends the tunnel when either side ends
		}
	}
}
