package httpd

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"time"
)

// This file is the runtime side of ngx.req.socket and ngx.send_headers.

// SendHeaders is ngx.send_headers: the header filters run now and the
// header counts as sent (it goes out with the first flush or at the end).
func (r *Request) SendHeaders() {
	r.lenUnknown = true
	r.sendHeader()
}

// IsMain reports whether r is the main request (not a subrequest).
func (r *Request) IsMain() bool { return r.parent == nil && r.subOut == nil }

// BodyChunked reports a request body sent with Transfer-Encoding: chunked.
func (r *Request) BodyChunked() bool { return r.fc.Request.Header.ContentLength() == -1 }

// StreamedBody is the request body as ngx.req.socket() reads it.
type StreamedBody interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

// BodySocket hands the request body to an ngx.req.socket() reader, read
// from the client as it arrives (a chunked body decoded), as
// lua-nginx-module's body socket: err is "request body already exists"
// once it was read (or taken), or "no body" (also once discarded: nginx
// answers so for a body discarded completely). Afterwards the request
// has an empty body. The reader's deadlines are set by the socket.
func (r *Request) BodySocket() (body StreamedBody, err string) {
	switch {
	case r.bodyDiscard:
		return nil, "no body"
	case r.bodyRead:
		return nil, "request body already exists"
	}
	if r.fc.Request.Header.ContentLength() == 0 || r.fc.Request.Header.ContentLength() < -1 {
		return nil, "no body"
	}
	if r.bodyLoaded { // read whole already (e.g. for $request_body)
		if r.bodyStatus != 0 {
			return nil, "failed to read the request body"
		}
		body = loadedBody{bytes.NewReader(r.fc.Request.Body())}
	} else if b := r.openBody(0); b != nil {
		body = b
	} else {
		return nil, "no body"
	}
	r.bodyRead, r.bodyChanged, r.newBody = true, true, nil
	return body, ""
}

// loadedBody is a body that was received whole.
type loadedBody struct{ *bytes.Reader }

func (loadedBody) SetReadDeadline(time.Time) error { return nil }

// RawBuffering reports pending HTTP/1.0 output that nginx would still
// be buffering (lua_http10_buffering): no raw socket then.
func (r *Request) RawBuffering() bool {
	return !r.fc.Request.Header.IsHTTP11() && !r.streaming && (r.bodySent > 0 || len(r.body) > 0)
}

// TakeRawConn gives the client connection to ngx.req.socket(true). What
// was flushed stays sent; output not flushed yet is dropped, like nginx's
// postponed output; from now on the Lua code writes the response itself.
// pre is the request body when nothing read it yet (a chunked body comes
// re-encoded as one chunk).
func (r *Request) TakeRawConn() (conn net.Conn, pre []byte) {
	if r.streaming {
		r.bw.Flush()
		r.chunked = false
	}
	r.body = r.body[:0]
	r.headerSent, r.eof, r.closeConn = true, true, true
	if !r.bodyRead && !r.bodyDiscard {
		var b []byte
		if r.loadBody() == 0 {
			b = r.fc.Request.Body()
		}
		switch {
		case r.BodyChunked():
			if len(b) > 0 {
				pre = append(pre, strconv.FormatInt(int64(len(b)), 16)...)
				pre = append(pre, "\r\n"...)
				pre = append(pre, b...)
				pre = append(pre, "\r\n"...)
			}
			pre = append(pre, "0\r\n\r\n"...)
		case len(b) > 0:
			pre = append(pre, b...)
		}
		r.bodyRead, r.bodyChanged, r.newBody = true, true, nil
	}
	// fasthttp must not answer; it closes the connection once the
	// handler returns.
	r.fc.HijackSetNoResponse(true)
	r.fc.Hijack(func(net.Conn) {})
	return r.fc.Conn(), pre
}
