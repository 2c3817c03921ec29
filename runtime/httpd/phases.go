package httpd

import (
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

const maxRedirects = 10

// serve is the fasthttp handler of one listen address.
func (rt *Runtime) serve(fc *fasthttp.RequestCtx, g *listenGroup, h2 *h2Stream) {
	r := requestPool.Get().(*Request)
	r.rt, r.fc, r.h2 = rt, fc, h2
	r.listenAddr = g.addr
	r.start = time.Now()
	r.contentLen = -1
	r.method = string(fc.Method())
	raw := fc.Request.Header.RequestURI()
	r.requestURI = string(raw)
	path, args, hasArgs := splitURI(r.requestURI)
	r.args, r.hasArgs = args, hasArgs
	r.held = heldOf(fc)
	host, hostOK := requestHost(&fc.Request.Header)
	if len(g.servers) == 1 || !hostOK || len(host) == 0 {
		r.srv = g.def
	} else {
		r.srv = g.find(lowerHost(host))
	}
	r.loc = r.srv.loc
	var ok bool
	r.uri, ok = normalizeURI(path, r.srv.loc.s.mergeSlashes != 0)
	switch {
	case r.held != nil && r.held.status != 413:
		r.logf(LogInfo, "%s", r.held.msg)
		r.keepaliveOff = true
		r.finalize(r.held.status)
	case !hostOK:
		r.logf(LogInfo, "client sent invalid host header while reading client request headers")
		r.keepaliveOff = true
		r.finalize(400)
	case !ok:
		r.finalize(400)
	case r.runPhase(PostReadPhase) != Done:
		r.process()
	}
	r.stopWatch()
	r.finish()
	r.logRequest()
	r.releaseVM()
	r.reset()
	requestPool.Put(r)
}

// logRequest runs the log phase (access_log, log_by_lua) of a finished
// request and ends its Lua state.
func (r *Request) logRequest() {
	r.runPhase(LogPhase)
	if r.lua != nil {
		for _, f := range OnRequestEnd {
			f(r.lua)
		}
	}
	if len(r.ctxRefs) > 0 {
		r.releaseCtxRefs()
	}
}

// lowerHost is a validated Host as server names are compared.
func lowerHost(h []byte) string {
	return strings.ToLower(string(h))
}

// process runs the phases up to content; the response is complete (or
// being streamed) when it returns.
func (r *Request) process() {
	for {
		if !r.serverRewriteDone {
			r.serverRewriteDone = true
			r.loc = r.srv.loc
			if r.runPhase(ServerRewritePhase) == Done {
				return
			}
		}
		if r.redirects > maxRedirects {
			r.logf(LogErr, "rewrite or internal redirection cycle while processing \"%s\"", r.uri)
			r.finalize(500)
			return
		}
		if !r.findConfig() {
			return
		}
		switch r.runPhase(RewritePhase) {
		case Done:
			return
		case Restart:
			r.redirects++
			continue
		}
		switch r.runPhase(PreAccessPhase) {
		case Done:
			return
		case Restart:
			r.redirects++
			continue
		}
		// the access phase is the main request's: subrequests skip it
		// (ngx_http_core_access_phase), access_by_lua included
		if r.parent == nil {
			switch r.runAccessPhase() {
			case Done:
				return
			case Restart:
				r.redirects++
				continue
			}
		}
		switch r.runPhase(PreContentPhase) {
		case Done:
			return
		case Restart:
			r.redirects++
			continue
		}
		if r.content() == Restart {
			r.redirects++
			continue
		}
		return
	}
}

// findConfig is the find-config phase: the location for the URI (or the
// named location being entered), its automatic 301, internal and
// client_max_body_size checks. It reports whether processing goes on.
func (r *Request) findConfig() bool {
	r.jump = false
	var loc *LocConf
	var redirect bool
	if r.named != nil {
		// a named location is entered at its rewrite phase
		loc, r.named = r.named, nil
	} else if loc, redirect, _ = findLocation(r.srv.loc, r, r.uri); loc == nil {
		loc = r.srv.loc
	}
	r.loc = loc
	if redirect {
		u := r.uri + "/"
		if r.args != "" {
			u += "?" + r.args
		}
		r.redirect(301, u)
		return false
	}
	if loc.internal && !r.internal {
		r.finalize(404)
		return false
	}
	return !r.tooLarge(loc)
}

// content runs the location's content handler, or serves static files.
func (r *Request) content() Status {
	if h := r.loc.handler; h != nil {
		return h.Content(r)
	}
	if r.runPhase(ContentPhase) == Declined {
		r.noContentHandler()
	}
	return Done
}

// internalRedirect restarts processing at uri (ngx.exec, error_page,
// try_files): server rewrite, find location, ... with the request marked
// internal and ngx.ctx cleared.
func (r *Request) internalRedirect(uri, args string) {
	if strings.HasPrefix(uri, "@") {
		r.namedRedirect(uri)
		return
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		if args != "" {
			args = uri[i+1:] + "&" + args
		} else {
			args = uri[i+1:]
		}
		uri = uri[:i]
	}
	r.redirectTo(uri, args)
}

// namedRedirect is ngx_http_named_location: $uri and $args stay.
func (r *Request) namedRedirect(uri string) {
	r.redirects++
	named := r.srv.loc.named[uri[1:]]
	if named == nil {
		r.logf(LogErr, "could not find named location \"%s\"", uri)
		r.finalize(500)
		return
	}
	r.internal = true
	r.resetLuaCtx()
	r.named = named
	r.serverRewriteDone = true
	r.process()
}

// redirectTo is ngx_http_internal_redirect to a path (no query string in
// it) and args; a path starting with "@" names a location.
func (r *Request) redirectTo(uri, args string) {
	if strings.HasPrefix(uri, "@") {
		r.namedRedirect(uri)
		return
	}
	r.redirects++
	r.uri = uri
	r.args, r.hasArgs = args, args != ""
	r.internal = true
	r.serverRewriteDone = false
	r.resetLuaCtx()
	if r.redirects > maxRedirects {
		r.logf(LogErr, "rewrite or internal redirection cycle while internally redirecting to \"%s\"", uri)
		r.finalize(500)
		return
	}
	r.process()
}

// finalize ends the request with code, as ngx_http_finalize_request
// with a status: before the header is sent an error status produces the
// error page (or the error_page target); 0 just completes the response.
func (r *Request) finalize(code int) {
	if r.done && code != 0 && !r.errorPageRun {
		return
	}
	r.done = true
	if code == 444 {
		r.closeConn = true
		return
	}
	if code == 408 && !r.headerSent {
		// ngx_http_terminate_request: a client that stopped sending
		// its body gets no answer, the connection is closed
		r.status = code
		r.abort()
		return
	}
	if r.headerSent {
		r.output(nil, true)
		return
	}
	if code == 0 {
		if r.status == 0 {
			r.status = 200
		}
		r.output(nil, true)
		return
	}
	if r.subOut != nil {
		if r.subOut.errorPage && code >= 300 && code != 304 {
			r.sendStatic(code, r.specialBody(code), "text/html")
			return
		}
		// captured subrequests get the status without an error page
		r.status = code
		r.output(nil, true)
		return
	}
	switch code {
	case 400, 413, 414, 494, 500, 501:
		// nginx's special responses that end keepalive
		r.keepaliveOff = true
	}
	if code >= 300 && !r.errorPagesOff {
		if r.errorPage(code) {
			return
		}
	}
	r.status = code
	if r.errorPageRun {
		r.errStatus = code // the special response of a failed error page
	}
	if code < 300 || code == 304 {
		if code == 304 {
			r.contentLen = 0 // ngx_http_send_special_response: no page, length 0
		}
		r.output(nil, true)
		return
	}
	if (code == 301 || code == 302) && r.sendRefresh() {
		return
	}
	body := r.specialBody(code)
	if code == 494 {
		code = 400 // "Request Header Or Cookie Too Large" is a 400 on the wire
	}
	r.sendStatic(code, body, "text/html")
}

// errorPage applies an error_page directive for code; it reports whether
// one did.
func (r *Request) errorPage(code int) bool {
	ep := r.loc.s.errorPages[code]
	if ep == nil || r.subOut != nil {
		return false
	}
	r.errorPageRun = true
	// recursive_error_pages of the location that failed first
	r.errorPagesOff = r.loc.s.recursiveEP != 1
	r.status = code
	// the page is sent with the error's status, "=CODE"'s, or with "="
	// the status the target answers with
	r.errStatus = code
	if ep.overwrite >= 0 {
		r.errStatus = ep.overwrite
	}
	target := ep.uri.eval(r)
	if isAbsoluteURL(target) {
		r.errStatus = 0
		rc := 302
		if ep.overwrite >= 301 && ep.overwrite <= 308 {
			rc = ep.overwrite
		}
		r.status = 0
		r.clearHeader("Location")
		r.addOutHeader("Location", target)
		r.status = rc
		if r.sendRefresh() {
			return true
		}
		r.sendStatic(rc, errorPageBody(rc, r.loc.s.serverTokens == 1), "text/html")
		return true
	}
	if r.method != "HEAD" {
		r.method = "GET"
	}
	r.done = false
	r.internalRedirect(target, "")
	r.done = true
	return true
}

// runAccessPhase is ngx_http_core_access_phase with the post-access
// check: with "satisfy all" the first handler that denies answers; with
// "satisfy any" the first that grants ends the phase (a challenge header
// of an earlier denial is dropped) and a denial answers only when no
// handler grants, 401 winning over 403.
func (r *Request) runAccessPhase() Status {
	anyOf := r.loc.s.satisfy == satisfyAny
	code := 0
	for _, h := range phaseHandlers[AccessPhase] {
		switch s := h(r); s {
		case Declined:
		case Granted:
			if anyOf {
				if code == 401 {
					r.clearHeader("WWW-Authenticate")
				}
				return Declined
			}
		case Forbidden, Unauthorized:
			c := 403
			if s == Unauthorized {
				c = 401
			}
			if !anyOf {
				r.finalize(c)
				return Done
			}
			if code != 401 {
				code = c
			}
		default:
			return s
		}
	}
	if code != 0 {
		if code == 403 {
			r.logf(LogErr, "access forbidden by rule")
		}
		r.finalize(code)
		return Done
	}
	return Declined
}

// accessHandler is the access module's handler: allow/deny rules, and
// those of limit_except for the methods it does not list (GET implies
// HEAD). A matching allow grants, a matching deny forbids, no match
// declines.
func accessHandler(r *Request) Status {
	rules := r.loc.s.access
	if allowed := r.loc.s.limitExcept; len(allowed) > 0 {
		listed := false
		for _, m := range allowed {
			if strings.EqualFold(m, r.method) || strings.EqualFold(m, "GET") && r.method == "HEAD" {
				listed = true
			}
		}
		if !listed {
			rules = r.loc.limitRules
			if len(rules) == 0 {
				rules = r.loc.parentLimitRules()
			}
		}
	}
	if len(rules) == 0 {
		return Declined
	}
	ip := r.clientIP()
	for _, a := range rules {
		if a.all || a.net.Contains(ip) {
			if a.deny {
				if r.loc.s.satisfy != satisfyAny {
					// with "satisfy any" the post-access check logs it
					r.logf(LogErr, "access forbidden by rule")
				}
				return Forbidden
			}
			return Granted
		}
	}
	return Declined
}

// parentLimitRules finds the limit_except rules of the location an "if"
// block belongs to.
func (l *LocConf) parentLimitRules() []accessRule {
	for p := l; p != nil; p = p.parent {
		if len(p.limitRules) > 0 {
			return p.limitRules
		}
	}
	return nil
}

// splitURI splits a request target into path and args.
func splitURI(u string) (path, args string, hasArgs bool) {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i], u[i+1:], true
	}
	return u, "", false
}

// normalizeURI decodes %XX, merges slashes and resolves "." and ".."
// segments like ngx_http_parse_complex_uri; ok is false for a URI that
// climbs above the root.
func normalizeURI(p string, merge bool) (string, bool) {
	if n := schemeLen(p); n > 0 {
		// absolute form: nginx answers 400 when the host is empty
		host := p[n:]
		i := strings.IndexByte(host, '/')
		if i == 0 || host == "" {
			return "", false
		}
		if i > 0 {
			p = host[i:]
		} else {
			p = "/"
		}
	}
	if p == "" || p[0] != '/' {
		return p, p == "*"
	}
	simple := true
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' || c == '.' && (i > 0 && p[i-1] == '/') || c == '/' && i > 0 && p[i-1] == '/' && merge {
			simple = false
			break
		}
	}
	if simple {
		return p, true
	}
	dec := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' && i+2 < len(p) && ishex(p[i+1]) && ishex(p[i+2]) {
			dec = append(dec, unhex(p[i+1])<<4|unhex(p[i+2]))
			i += 2
			continue
		}
		dec = append(dec, c)
	}
	segs := strings.Split(string(dec), "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		switch {
		case s == "" && i > 0 && i < len(segs)-1 && merge:
			continue
		case s == ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
			continue
		case s == "..":
			if len(out) <= 1 {
				return "", false
			}
			out = out[:len(out)-1]
			if i == len(segs)-1 {
				out = append(out, "")
			}
			continue
		}
		out = append(out, s)
	}
	res := strings.Join(out, "/")
	if res == "" {
		res = "/"
	}
	return res, true
}

// schemeLen is the length of a leading "http://" or "https://" (any case,
// as nginx's request line parser), 0 without one.
// schemeLen is the length of "scheme://" at the start of an absolute
// request target, 0 for any other: a letter, then letters, digits, '+',
// '-' or '.', as nginx's request line parser takes any scheme.
func schemeLen[T string | []byte](p T) int {
	for i := 0; i < len(p); i++ {
		c := p[i] | 0x20
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (p[i] >= '0' && p[i] <= '9' || p[i] == '+' || p[i] == '-' || p[i] == '.'):
		case i > 0 && p[i] == ':':
			if len(p) >= i+3 && p[i+1] == '/' && p[i+2] == '/' {
				return i + 3
			}
			return 0
		default:
			return 0
		}
	}
	return 0
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
