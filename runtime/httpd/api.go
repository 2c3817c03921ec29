package httpd

import (
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/valyala/fasthttp"
)

// This file is the request API the Lua bindings (luabindings/ngxhttp) use.

// Status is ngx.status.
func (r *Request) Status() int { return r.status }

// SetStatus sets ngx.status; false after the header was sent.
func (r *Request) SetStatus(s int) bool {
	if r.headerSent && !r.inHeaderFilter {
		return false
	}
	r.status = s
	return true
}

// HeaderSent is ngx.headers_sent.
func (r *Request) HeaderSent() bool { return r.headerSent }

// IsSubrequest is ngx.is_subrequest.
func (r *Request) IsSubrequest() bool { return r.subOut != nil }

// PendingSubrequests reports whether a Lua capture of r is in flight
// (lua-nginx-module's ctx->no_abort): ngx.exit, ngx.exec and
// ngx.redirect may not abort the request then.
func (r *Request) PendingSubrequests() bool { return r.pendingSubreqs > 0 }

// IsInternal is ngx.req.is_internal().
func (r *Request) IsInternal() bool { return r.internal }

// Write is ngx.print/ngx.say: false once the response ended or its
// connection failed (OutputFailed tells which).
func (r *Request) Write(p []byte) bool {
	if r.eof || r.aborted || r.wireFailed {
		return false
	}
	r.lenUnknown = true
	if !r.output(p, false) || r.wireFailed {
		return false
	}
	if !r.streaming && len(r.body) >= outputStreamAt && r.subOut == nil && (r.h2 != nil || r.fc.Request.Header.IsHTTP11()) {
		// nginx's output chain would have sent this by now: it goes out
		// (chunked) while the handler runs, never whole from memory
		r.Flush()
	}
	return !r.wireFailed
}

// outputStreamAt is how much output ngx.say/ngx.print (and echo) may build
// up before it goes to an HTTP/1.1 or HTTP/2 client without ngx.flush:
// smaller answers leave in one write when the handler ends. HTTP/1.0 answers
// stay whole for their Content-Length (lua_http10_buffering).
const outputStreamAt = 64 << 10

// OutputFailed reports that writing the response to the client failed
// (it closed or reset the connection): nginx's output filter returns
// NGX_ERROR from then on, ngx.say and ngx.flush answer "nginx output
// filter error".
func (r *Request) OutputFailed() bool { return r.wireFailed }

// EOF is ngx.eof: the response ends now, the handler may go on.
func (r *Request) EOF() bool {
	if r.eof {
		return false
	}
	r.lenUnknown = true
	r.output(nil, true)
	if !r.streaming && r.subOut == nil {
		r.Flush()
	}
	return true
}

// HTTP10Buffering is lua-nginx-module's ctx->buffering, decided at Lua's
// first output: an HTTP/1.0 (or 0.9) response whose header is not out and
// has no Content-Length is kept whole under lua_http10_buffering (on by
// default), so that it goes out with its length; ngx.flush is then a no-op.
func (r *Request) HTTP10Buffering() bool {
	if !r.http10Buffer && r.loc.s.http10Buf == 1 && !r.headerSent && !r.streaming && r.subOut == nil &&
		r.contentLen < 0 && r.HTTPVersion() < 1.1 {
		r.http10Buffer = true
	}
	return r.http10Buffer
}

// HTTP10Buffered reports whether HTTP10Buffering took the response.
func (r *Request) HTTP10Buffered() bool { return r.http10Buffer }

// Ended reports whether the response was ended (ngx.eof / finalized).
func (r *Request) Ended() bool { return r.eof }

// ExitDeclined is ngx.DECLINED given to Exit.
const ExitDeclined = -5

// Exit implements ngx.exit's effect on the request for the phase ph. The
// caller unwinds the Lua handler afterwards.
func (r *Request) Exit(code int, ph luabindings.Phase) {
	switch {
	case code == 0: // ngx.OK: the phase ends, the request goes on
		if ph == luabindings.PhaseContent {
			r.finalize(0)
		}
	case code == ExitDeclined:
		// rewrite, server rewrite and access: the handler declines and
		// the phase goes on (access is not granted by it)
		r.luaDeclined = true
	case code < 0 && r.subOut != nil:
		// ngx.ERROR in a subrequest: what was sent stays, the parent
		// sees it truncated, with status 500 when nothing was sent
		if !r.headerSent {
			r.status = 500
		}
		r.aborted = true
		r.done = true
	case code < 0: // ngx.ERROR
		r.finalize(500)
	case ph == luabindings.PhaseAccess && (code == 401 || code == 403) && !r.headerSent && r.loc.s.satisfy == satisfyAny:
		// the access phase combines it with the other handlers' verdicts
		r.accessCode = code
	case code == 444:
		if r.headerSent {
			// the connection closes: no end of the response
			r.terminate(444)
			break
		}
		r.status = 444 // logged as nginx's terminated request
		r.closeConn = true
		r.done = true
	case r.headerSent:
		r.finalize(0)
	case code < 300:
		r.status = code
		r.finalize(0)
	default:
		r.finalize(code)
	}
}

// Redirect is ngx.redirect (Location kept as given).
func (r *Request) Redirect(uri string, code int) {
	r.clearHeader("Location")
	r.addOutHeader("Location", uri)
	r.finalize(code)
}

// Exec schedules ngx.exec's internal redirect, done when the handler
// unwinds: uri is a path as ParseUnsafeURI returns it (no query string;
// "@name" for a named location, which ignores args).
func (r *Request) Exec(uri, args string) {
	r.execURI, r.execArgs, r.execPending = uri, args, true
}

// SetURI is ngx.req.set_uri.
func (r *Request) SetURI(uri string, jump bool) {
	r.uri = uri
	r.validURI = true
	if jump {
		r.jump = true
	}
}

// URI is the current $uri.
func (r *Request) URI() string { return r.uri }

// Args is $args; SetArgs replaces it.
func (r *Request) Args() string { return r.args }

// SetArgsString replaces $args (ngx.req.set_uri_args).
func (r *Request) SetArgsString(a string) { r.args, r.hasArgs = a, a != "" }

// Method is the request method; SetMethod changes it.
func (r *Request) Method() string { return r.method }

// SetMethod changes the request method (ngx.req.set_method).
func (r *Request) SetMethod(m string) { r.method = m }

// Header is the request header (read and changed by ngx.req.*).
func (r *Request) Header() *fasthttp.RequestHeader { return &r.fc.Request.Header }

// UnderscoresInHeaders reports underscores_in_headers for the server.
func (r *Request) UnderscoresInHeaders() bool { return r.srv.loc.s.underscores == 1 }

// IgnoredHeader reports a client header nginx leaves out of the request
// (ignore_invalid_headers on, the default): a name with a byte other
// than a letter, a digit or "-", or "_" unless underscores_in_headers.
func (r *Request) IgnoredHeader(name string) bool {
	s := r.srv.loc.s
	if s.ignoreInvalid == 0 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		case c == '_' && s.underscores == 1:
		default:
			return true
		}
	}
	return false
}

// HTTPVersion is 1.0, 1.1 or 2.
func (r *Request) HTTPVersion() float64 {
	if r.fc.Request.Header.IsHTTP11() {
		return 1.1
	}
	if r.HTTP2() {
		return 2
	}
	return 1.0
}

// RawHeader is the request head as received.
func (r *Request) RawHeader(noRequestLine bool) string {
	h := string(r.fc.Request.Header.RawHeaders())
	if h == "" {
		h = string(r.fc.Request.Header.Header())
		if i := strings.Index(h, "\r\n"); i >= 0 {
			h = h[i+2:]
		}
	}
	if noRequestLine {
		return h
	}
	return r.method + " " + r.requestURI + " " + r.protocol() + "\r\n" + h
}

// StartTime is ngx.req.start_time().
func (r *Request) StartTime() time.Time { return r.start }

// ReadBody is ngx.req.read_body: it returns 0, or the status that ends
// the request (413 past client_max_body_size, ...), as lua-nginx-module
// finalizes the request when reading fails.
func (r *Request) ReadBody() int {
	r.bodyRead = true
	if r.bodyChanged || r.bodyDiscard {
		return 0
	}
	return r.loadBody()
}

// DiscardBody is ngx.req.discard_body.
func (r *Request) DiscardBody() { r.bodyDiscard = true }

// Body is the request body; ok is false when it was not read.
func (r *Request) Body() ([]byte, bool) {
	if !r.bodyRead || r.bodyDiscard || r.bodyFile != "" {
		return nil, false
	}
	return r.reqBody(), true
}

// CheckBodySet is the check ngx.req.set_body_data makes first: the error
// text when the body cannot be replaced ("" when it can).
func (r *Request) CheckBodySet() string {
	if !r.bodyRead || r.bodyDiscard { // a discard here is never asynchronous
		return "request body not read yet"
	}
	return ""
}

// SetBody is ngx.req.set_body_data.
func (r *Request) SetBody(b []byte) {
	r.removeBodyFile()
	r.newBody, r.bodyChanged, r.bodyRead = b, true, true
	r.fc.Request.Header.SetContentLength(len(b))
}

// HeaderFilterExit records ngx.exit(code) from header_filter_by_lua: the
// filter goes on; afterwards an error code replaces the response with its
// error page and any other code empties the body, as lua-nginx-module does.
func (r *Request) HeaderFilterExit(code int) { r.hfExit = code }

// SetBalancerPeer is ngx.balancer.set_current_peer.
func (r *Request) SetBalancerPeer(addr string) { r.balancerPeer = addr }

// TransformUnderscores is lua_transform_underscores_in_response_headers.
func (r *Request) TransformUnderscores() bool { return r.loc.s.underscoreHdr != 0 }

// CheckClientAbort is lua_check_client_abort.
func (r *Request) CheckClientAbort() bool { return r.loc.s.checkAbort == 1 }

// JumpPending reports a set_uri(.., true) waiting to be applied.
func (r *Request) JumpPending() bool { return r.jump }

// KeepAlive reports whether the connection stays open after this
// response (nginx's r->keepalive).
func (r *Request) KeepAlive() bool {
	return !r.closeConn && r.loc.s.keepalive != 0 && !r.fc.Request.Header.ConnectionClose()
}

// VisitOutHeaders calls fn for every response header (Content-Type and
// Content-Length included).
func (r *Request) VisitOutHeaders(fn func(name, value string)) {
	if r.contentType != "" {
		fn("Content-Type", r.contentType)
	}
	if r.contentLen >= 0 {
		fn("Content-Length", strconv.FormatInt(r.contentLen, 10))
	}
	for _, h := range r.out {
		fn(h.name, h.value)
	}
}

// CaptureOptions are ngx.location.capture's options.
type CaptureOptions struct {
	Method       string
	Body         []byte
	HasBody      bool
	Args         string
	Vars         map[string]string
	CopyAllVars  bool
	ShareAllVars bool
	AlwaysBody   bool
	Ctx          any
	// ErrorPage: an error status of the subrequest produces nginx's error
	// page as its body, as for a subrequest whose output goes to the
	// client (echo_location); ngx.location.capture's get none.
	ErrorPage bool
	// HeaderOnly: a HEAD subrequest produces no body
	// (ngx.location.capture's sr->header_only).
	HeaderOnly bool
}

// CaptureResult is a finished subrequest.
type CaptureResult struct {
	Status  int
	Headers [][2]string
	Body    []byte
	// Truncated: the subrequest's response was cut (an upstream closed
	// early, an error after its header)
	Truncated bool
}

// maxSubrequests is nginx's NGX_HTTP_MAX_SUBREQUESTS: how deep
// subrequests may nest.
const maxSubrequests = 50

// SubrequestsLeft is nginx's r->subrequests: a main request starts with
// maxSubrequests+1, each subrequest has one less than its parent; a
// request with none left cannot issue another ("subrequests cycle").
func (r *Request) SubrequestsLeft() int {
	n := maxSubrequests + 1
	for p := r.parent; p != nil && n > 0; p = p.parent {
		n--
	}
	return n
}

// Capture runs a subrequest to uri to completion, from the parent's Lua
// (which holds the worker VM) or from another content handler. It
// returns nil, issuing nothing, when r has no subrequests left
// (SubrequestsLeft); the caller logs its module's message.
func (r *Request) Capture(uri string, o *CaptureOptions) *CaptureResult {
	if r.SubrequestsLeft() == 0 {
		return nil
	}
	r.pendingSubreqs++
	s := r.subrequest(uri, o)
	r.pendingSubreqs--
	if s.subOut.terminate {
		// a filter of the subrequest failed: the main request ends
		// with a closed connection, nothing more sent
		root := r.rootReq()
		root.abort()
		if root != r {
			r.abort()
		}
	}
	res := &CaptureResult{Status: s.status, Body: s.body, Truncated: s.aborted || s.eofDropped}
	s.VisitOutHeaders(func(n, v string) { res.Headers = append(res.Headers, [2]string{n, v}) })
	return res
}

// subrequest runs a subrequest of r to uri with options o to completion
// (nginx's ngx_http_subrequest, run in place).
func (r *Request) subrequest(uri string, o *CaptureOptions) *Request {
	s := &Request{rt: r.rt, fc: r.fc, w: r.w, srv: r.srv, loc: r.srv.loc, listenAddr: r.listenAddr, parent: r, internal: true, vmHeld: r.vmHeld,
		start: r.start, contentLen: -1, requestURI: r.requestURI, subOut: &subResult{errorPage: o.ErrorPage}}
	s.method = o.Method
	if s.method == "" {
		s.method = "GET"
	}
	path, args, _ := splitURI(uri)
	if o.Args != "" {
		if args != "" {
			args += "&" + o.Args
		} else {
			args = o.Args
		}
	}
	s.uri, _ = normalizeURI(path, true)
	s.args, s.hasArgs = args, args != ""
	switch {
	case o.HasBody:
		s.newBody, s.bodyChanged, s.bodyRead = o.Body, true, true
	case o.AlwaysBody || s.method == "POST" || s.method == "PUT":
		s.newBody, s.bodyChanged, s.bodyRead = r.reqBody(), true, true
		if r.bodyFile != "" { // the same file, which the parent removes
			s.newBody, s.bodyFile, s.bodyKeep = nil, r.bodyFile, true
		}
	default:
		s.bodyChanged, s.bodyRead = true, true
	}
	switch {
	case o.ShareAllVars:
		// one array for both requests, as nginx's sr->variables =
		// r->variables: grown to every slot first, so that neither
		// request reallocates it away from the other
		if n := len(r.rt.vars.index); n > 0 {
			r.growVars(n - 1)
		}
		s.vars, s.varSet, s.sharedVars = r.vars, r.varSet, true
	case o.CopyAllVars:
		s.vars = append([]string(nil), r.vars...)
		s.varSet = append([]uint8(nil), r.varSet...)
	}
	for k, v := range o.Vars {
		s.SetVarByName(k, v, false)
	}
	s.luaCtxRef = o.Ctx
	s.headerOnly = o.HeaderOnly && s.method == "HEAD"
	if r.vmHeld {
		s.lua = &luabindings.Ctx{VM: r.w.vm, Req: s}
	}
	// a subrequest starts at the server rewrite phase, as
	// ngx_http_subrequest's ngx_http_handler does
	s.process()
	if !s.eof {
		s.finalize(0)
	}
	s.releaseVM()
	if s.status == 0 {
		s.status = 200
	}
	return s
}
