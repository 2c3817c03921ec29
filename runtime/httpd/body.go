package httpd

import (
	"errors"
	"io"
	"os"
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
	r.bodyLoaded = true
	st := r.fc.RequestBodyStream()
	if st == nil {
		return 0
	}
	declared := r.fc.Request.Header.ContentLength()
	if declared == 0 || r.held != nil {
		r.fc.Request.SetBodyRaw(nil) // closes the (empty) stream
		return 0
	}
	max := r.loc.s.maxBody
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
		n, err := st.Read(buf[before:cap(buf)])
		buf = buf[:before+n]
		if max > 0 && int64(len(buf)) > max {
			r.logf(LogErr, "client intended to send too large chunked body: %d+%d bytes", before, n)
			r.keepaliveOff = true
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
		return len(r.fc.Request.Body())
	}
	if r.held == nil {
		if n := r.fc.Request.Header.ContentLength(); n > 0 {
			return n
		}
	}
	return 0
}
