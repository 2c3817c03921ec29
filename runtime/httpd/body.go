package httpd

import (
	"errors"
	"io"
	"os"
	"time"
)

// The request body is streamed: fasthttp hands the handler a reader, and
// nothing a client merely declares is allocated. The body is read when
// something needs it (ngx.req.read_body, lua_need_request_body,
// proxy_pass, $request_body), bounded by the client_max_body_size of the
// location chosen by then, as nginx reads it; a body nobody reads is
// drained (or the connection closed) by fasthttp afterwards.

// bodyChunk is the first allocation for a body of unknown or large
// declared length; the buffer then grows with what actually arrives.
const bodyChunk = 16 << 10

// declaredLength is the Content-Length the client sent (-1 for none or
// chunked), also when the connection layer held the body back.
func (r *Request) declaredLength() int64 {
	if h := r.held; h != nil && h.declared > 0 {
		return h.declared
	}
	if n := r.fc.Request.Header.ContentLength(); n > 0 {
		return int64(n)
	}
	return -1
}

// tooLarge is the find-config check of a declared length: 413 at once,
// before any of the body is read.
func (r *Request) tooLarge(loc *LocConf) bool {
	max := loc.s.maxBody
	if max <= 0 || r.subOut != nil || r.bodyLoaded {
		return false
	}
	n := r.declaredLength()
	if n <= max {
		return false
	}
	r.logf(LogErr, "client intended to send too large body: %d bytes", n)
	r.keepaliveOff = true
	r.finalize(413)
	return true
}

// bodyReader is the streamed request body as it arrives, for every
// reader of it (loadBody, ngx.req.socket, proxy_request_buffering off):
// a chunked body comes decoded, a body past client_max_body_size ends
// with ErrBodyTooLarge, and a failed read ends keep-alive (the rest of
// the body cannot be drained then).
type bodyReader struct {
	r       *Request
	st      io.Reader
	left    int64         // what client_max_body_size still allows; <0 none
	timeout time.Duration // client_body_timeout, between two reads; 0: the caller sets deadlines
}

// ErrBodyTooLarge ends a streamed body past client_max_body_size.
var ErrBodyTooLarge = errors.New("client intended to send too large chunked body")

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.timeout > 0 {
		b.r.fc.Conn().SetReadDeadline(time.Now().Add(b.timeout))
	}
	n, err := b.st.Read(p)
	b.r.bodyRecv += int64(n)
	if b.left >= 0 {
		if b.left -= int64(n); b.left < 0 {
			b.r.keepaliveOff = true
			return n, ErrBodyTooLarge
		}
	}
	if errors.Is(err, io.EOF) {
		if d := b.r.fc.Request.Header.ContentLength(); d > 0 && b.r.bodyRecv < int64(d) {
			// the client closed before its declared length
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.r.keepaliveOff = true
	}
	return n, err
}

// SetReadDeadline bounds the next reads (an ngx.req.socket timeout).
func (b *bodyReader) SetReadDeadline(t time.Time) error { return b.r.fc.Conn().SetReadDeadline(t) }

// bodyTimeout is client_body_timeout.
func (r *Request) bodyTimeout() time.Duration { return orDefault(r.rt.readTimeout, 60*time.Second) }

// openBody takes the streamed body of the main request for one reader:
// nil when there is none (no body, refused at the header, or taken
// already). timeout is the wait allowed between two reads (0: the
// caller sets deadlines).
func (r *Request) openBody(timeout time.Duration) *bodyReader {
	if r.parent != nil || r.bodyLoaded {
		return nil
	}
	st := r.fc.RequestBodyStream()
	if st == nil {
		return nil
	}
	r.bodyLoaded = true
	if r.fc.Request.Header.ContentLength() == 0 || r.held != nil {
		r.fc.Request.SetBodyRaw(nil) // closes the (empty) stream
		return nil
	}
	b := &bodyReader{r: r, st: st, left: -1, timeout: timeout}
	if max := r.loc.s.maxBody; max > 0 {
		b.left = max
	}
	return b
}

// loadBody reads the streamed body into memory. It returns 0, or the
// status that ends the request: 413 past client_max_body_size, 408 when
// the client stops sending, 400 for a broken chunked body.
func (r *Request) loadBody() int {
	if r.parent != nil {
		return r.parent.loadBody()
	}
	if r.bodyLoaded {
		return r.bodyStatus
	}
	b := r.openBody(r.bodyTimeout())
	r.bodyLoaded = true
	if b == nil {
		return 0
	}
	declared := r.fc.Request.Header.ContentLength()
	size := bodyChunk
	if declared >= 0 && declared < size {
		size = declared
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grows with what arrived
		}
		before := len(buf)
		room := buf[before:cap(buf)]
		if declared > 0 && len(room) > declared-before {
			// a Content-Length Lua set before the body was read
			// (ngx.req.set_header) bounds what is read, as nginx reads
			// what headers_in.content_length_n says
			room = room[:declared-before]
		}
		n, err := b.Read(room)
		buf = buf[:before+n]
		if declared > 0 && len(buf) >= declared && err == nil {
			break
		}
		if errors.Is(err, ErrBodyTooLarge) {
			r.logf(LogErr, "client intended to send too large chunked body: %d+%d bytes", before, n)
			r.bodyStatus = 413
			return 413
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r.bodyFailed(err)
		}
	}
	r.fc.Request.SetBodyRaw(buf)
	r.spillBody(buf)
	return 0
}

func (r *Request) bodyFailed(err error) int {
	r.keepaliveOff = true
	r.bodyStatus = 400
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.logf(LogInfo, "client timed out (110: Connection timed out) while reading client request body")
		r.bodyStatus = 408
	case errors.Is(err, io.ErrUnexpectedEOF):
		r.logf(LogInfo, "client prematurely closed connection")
	default:
		r.logf(LogInfo, "client sent invalid chunked body")
	}
	return r.bodyStatus
}

// bodyLength is the part of $request_length that the body makes: what
// was read, or what the client declared and fasthttp drains.
func (r *Request) bodyLength() int {
	if r.bodyLoaded {
		if r.bodyStatus != 0 {
			return 0
		}
		return int(r.bodyRecv)
	}
	if r.held == nil {
		if n := r.fc.Request.Header.ContentLength(); n > 0 {
			return n
		}
	}
	return 0
}
