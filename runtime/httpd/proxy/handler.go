package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
	"github.com/goresty/goresty/runtime/httpd/proxycache"
	"github.com/valyala/fasthttp"
)

type proxyPass struct {
	url      *httpd.Value // the whole argument when it has variables
	upstream *Upstream
	host     string // host[:port] as written (for $proxy_host)
	addr     string // host:port to connect to when static
	uri      string // URI part, "" when none
	hasURI   bool
	dynamic  bool
	tls      bool // https://
}

func parseProxyPass(b *httpd.Builder, u string) (*proxyPass, error) {
	p := &proxyPass{}
	if strings.Contains(u, "$") {
		p.dynamic = true
		p.url = b.Value(u)
		return p, nil
	}
	rest, tls, ok := cutScheme(u)
	if !ok {
		return nil, errors.New("invalid URL prefix in \"" + u + "\"")
	}
	p.tls = tls
	host := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, p.uri, p.hasURI = rest[:i], rest[i:], true
	}
	p.host = host
	p.addr = withPort(host, p.tls)
	// an upstream{} name is resolved after the whole http block is read
	m := mainOf(b.Runtime())
	m.pending = append(m.pending, p)
	return p, nil
}

// state is the module's per-request state: what the variables read and
// the exchange with the upstream, pooled with its buffers.
type state struct {
	proxyHost, proxyPort string
	upAddr               string
	upStatus             int
	upHeaders            []hdr
	hdrBuf               []byte
	hdrOffs              []int32
	head                 []byte // the request head sent upstream

	// the exchange, run with the worker VM released
	pool    *connPool
	s       *locConf
	local   *net.TCPAddr // proxy_bind's address, nil for none
	localV  string       // and its text, for the log
	body    []byte
	u       *upConn
	resp    upResponse
	br      bodyReader
	fail    failure
	err     error
	start   time.Time
	connect time.Duration // -1: none
	header  time.Duration // -1: none
	total   time.Duration
	timed   bool
	sent    int64
	recv    int64

	// what runs unlocked, bound once (no closure per request)
	roundTripFn func()
	readFn      func()
	rbuf        []byte
	rn          int
	rerr        error

	// w watches the client connection while the upstream is awaited. It
	// is allocated once per pooled state and kept by clear: a timer
	// callback that fired late still finds its own mutex.
	w *watch

	// proxy_request_buffering off: the body read as it is sent
	stream      io.Reader
	chunkedBody bool
	streamErr   error // reading the client's body failed

	// proxy_cache: the body read from the cache (src), or the upstream's
	// body stored as it is relayed (storing)
	cache *proxycache.Cache
	src   io.Reader

	pk      pick      // the upstream{} servers tried
	prev    []attempt // the tries before the current one
	storing bool
}

type hdr struct{ name, value string }

// attempt is a try that went to the next server.
type attempt struct {
	addr            string
	status          int
	connect, header time.Duration
	total           time.Duration
	sent, recv      int64
}

// failure is where an upstream exchange failed.
type failure uint8

const (
	failNone failure = iota
	failConnect
	failSend
	failHeader
)

var statePool = sync.Pool{New: func() any {
	st := &state{w: new(watch)}
	st.roundTripFn = st.roundTrip
	st.readFn = st.read
	return st
}}

func stateOf(r *httpd.Request) *state {
	if v := Module.ReqCtx(r); v != nil {
		return v.(*state)
	}
	return nil
}

func newState(r *httpd.Request) *state {
	if st := stateOf(r); st != nil {
		st.finish()
		st.clear()
		return st
	}
	st := statePool.Get().(*state)
	Module.SetReqCtx(r, st)
	return st
}

// clear empties the state for another exchange, keeping its buffers.
func (st *state) clear() {
	st.w.stop()
	w := st.w
	*st = state{w: w, upHeaders: st.upHeaders[:0], hdrBuf: st.hdrBuf[:0], hdrOffs: st.hdrOffs[:0], head: st.head[:0],
		roundTripFn: st.roundTripFn, readFn: st.readFn, rbuf: st.rbuf, connect: -1, header: -1,
		pk: pick{tried: st.pk.tried[:0]}, prev: st.prev[:0]}
}

func releaseState(v any) {
	st := v.(*state)
	st.finish()
	st.clear()
	statePool.Put(st)
}

// finish ends the exchange: a connection whose response was read whole
// goes back to its pool, any other is closed.
func (st *state) finish() {
	if st.pk.cur != nil {
		st.pk.free(false)
	}
	u := st.u
	if u == nil {
		return
	}
	st.u = nil
	st.recv = u.received
	if st.br.complete && !st.resp.connClose && st.fail == failNone && st.pool.maxIdle > 0 {
		st.pool.put(u)
		return
	}
	u.c.Close()
}

// Content is proxy_pass as the location's content handler.
func (p *proxyPass) Content(r *httpd.Request) httpd.Status {
	proxyRequest(r, p)
	return httpd.Done
}

// proxyRequest forwards the request and relays the response through the
// header and body filters.
func proxyRequest(r *httpd.Request, p *proxyPass) {
	s := confOf(r.Loc())
	var body []byte
	// whether the client sent a body (a length or chunked), before
	// reading it sets a length: nginx sends Content-Length only then
	in := r.Header()
	hadBody := clientSentBody(in)
	var stream io.Reader
	streamLen := int64(0)
	if s.bodyOff != 1 && s.reqBuffering == 0 && hadBody && (in.ContentLength() >= 0 || s.http11 == 1) {
		// proxy_request_buffering off: the body goes upstream as it
		// arrives (a chunked one only over HTTP/1.1, as nginx)
		if rd, n, ok := r.BodyStream(); ok {
			stream, streamLen = rd, n
		}
	}
	if s.bodyOff != 1 && stream == nil {
		var code int
		if body, code = r.RequestBody(); code != 0 {
			r.Finalize(code)
			return
		}
	}
	m := mainOf(r.Runtime())
	st := newState(r)
	// the URI sent: uri, then "?" and args when args is not empty
	var addr, hostHdr, uri, args string
	var up *Upstream
	useTLS := p.tls
	if p.dynamic {
		u := p.url.Eval(r)
		rest, tls, ok := cutScheme(u)
		useTLS = tls
		if !ok {
			r.Logf(httpd.LogErr, "invalid URL prefix in \"%s\"", u)
			r.Finalize(500)
			return
		}
		host := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			host, uri = rest[:i], rest[i:]
		}
		hostHdr = host
		if m.upstreams[host] != nil {
			up = m.upstreams[host]
		} else {
			addr = withPort(host, useTLS)
		}
		if uri == "" {
			uri, args = sendURI(r)
		} else if !strings.Contains(uri, "?") {
			args = r.Args()
		}
	} else {
		hostHdr = p.host
		up = p.upstream
		addr = p.addr
		switch {
		case !p.hasURI || r.URIChanged():
			// no URI part, or the URI was changed (rewrite ... break,
			// ngx.req.set_uri): the current URI is sent as it is
			uri, args = sendURI(r)
		default:
			l := r.Loc()
			rest := strings.TrimPrefix(r.URI(), l.Name())
			if k := l.Kind(); k == httpd.LocExact || k == httpd.LocRegex {
				rest = ""
			}
			uri, args = httpd.EscapeURI(p.uri+rest), r.Args()
		}
	}
	st.proxyHost = hostHdr
	if s.bind != nil {
		if v := s.bind.Eval(r); v != "" {
			// an address that does not parse is logged and the
			// connection made unbound, as ngx_http_upstream_set_local
			if a, ok := localAddr(v); ok {
				st.local, st.localV = a, v
			} else {
				r.Logf(httpd.LogErr, "invalid local address \"%s\"", v)
			}
		}
	}
	upMethod := r.Method()
	bg := false // the answer was stale: the entry is refreshed after it
	scheme := "http://"
	if useTLS {
		scheme = "https://"
	}
	if c, ok := proxycache.Begin(r, scheme+hostHdr, uri, args); !ok {
		return
	} else if c != nil {
		st.cache = c
		upMethod = c.UpstreamMethod(upMethod)
		if c.Serve() {
			serveCached(r, p, st, s)
			if !c.Background() {
				return
			}
			bg = true
		}
	}
	var pool *connPool
	balanced := up != nil && up.balancer == nil
	if up != nil && up.balancer != nil {
		// balancer_by_lua picks the peer with ngx.balancer.set_current_peer
		r.SetBalancerPeer("")
		r.RunLua(up.balancer, luabindings.PhaseBalancer)
		if r.Finalized() {
			return
		}
		if r.BalancerPeer() == "" {
			r.Logf(httpd.LogErr, "no peer set by balancer_by_lua* for upstream \"%s\"", up.name)
			r.Finalize(500)
			return
		}
		addr = r.BalancerPeer()
		pool = m.poolFor(addr, useTLS, s, up.keepalive)
	} else if up == nil {
		pool = m.poolFor(addr, useTLS, s, 0)
	}
	st.proxyHost = hostHdr
	if i := strings.LastIndexByte(hostHdr, ':'); i >= 0 {
		st.proxyPort = hostHdr[i+1:]
	} else if useTLS {
		st.proxyPort = "443"
	} else {
		st.proxyPort = "80"
	}

	method := upMethod
	sendBody := false
	if s.bodyOff != 1 {
		sendBody = hadBody || len(body) > 0
	}
	n := int64(len(body))
	if stream != nil {
		n = streamLen
		sendBody = streamLen >= 0
		st.stream, st.chunkedBody = stream, streamLen < 0
	}
	st.head = buildHead(r, st, s, st.head[:0], method, uri, args, sendBody, n)
	if sendBody && stream == nil {
		st.body = body
	}
	st.s = s
	var began time.Time
	if balanced {
		st.pk.begin(up, s.nextTries, r.ClientIP())
		began = time.Now()
	}
	for {
		if balanced {
			pe := st.pk.next()
			if pe == nil {
				// every server is down or failed (nginx's NGX_BUSY)
				st.upAddr = up.name
				r.SetLogUpstream(scheme, up.name, uri, args)
				r.Logf(httpd.LogErr, "no live upstreams while connecting to upstream")
				st.upStatus = 502
				if st.cache != nil && st.cache.StaleOnError(proxycache.FtError) {
					serveCached(r, p, st, s)
					return
				}
				r.Finalize(502)
				return
			}
			addr, pool = pe.addr, pe.pool
			if useTLS {
				pool = m.poolFor(addr, true, s, up.keepalive)
			}
		}
		st.upAddr = addr
		r.SetLogUpstream(scheme, addr, uri, args)
		st.pool = pool
		if s.ignoreAbort != 1 && !bg {
			st.startWatch(r.Fasthttp().Conn())
		}
		r.Unlocked(st.roundTripFn)
		if bg {
			backgroundUpdate(r, st, method)
			return
		}
		if st.w.stop() {
			clientGone(r, st)
			return
		}
		if st.fail != failNone {
			if balanced && st.streamErr == nil && st.err != errNoValidHeader && !bindFailed(st) {
				// proxy_next_upstream error, timeout, invalid_header
				status, what := failCause(st)
				timeout := isTimeout(st.err)
				if !timeout {
					r.Logf(httpd.LogErr, "%s", what)
				}
				if st.pk.free(true) {
					r.Logf(httpd.LogWarn, "upstream server temporarily disabled%s", failAction(st.fail))
				}
				if timeout {
					r.Logf(httpd.LogErr, "%s", what)
				}
				st.upStatus = status
				ft := failNext(st)
				if st.pk.tries > 0 && st.mayRetry(r, ft, method, began) {
					st.nextTry()
					continue
				}
				st.finishTimes()
				if st.cache != nil && st.cache.StaleOnError(failMask(st)) {
					serveCached(r, p, st, s)
					return
				}
				r.Finalize(status)
				return
			}
			if st.cache != nil && st.cache.StaleOnError(failMask(st)) {
				st.upStatus = 502
				if isTimeout(st.err) {
					st.upStatus = 504
				}
				st.finishTimes()
				serveCached(r, p, st, s)
				return
			}
			failed(r, st)
			return
		}
		if balanced {
			// proxy_next_upstream http_*: the answer is dropped for the
			// next server's while one is left
			if ft := statusNext(st.resp.status); ft != 0 && st.pk.tries > 1 && st.mayRetry(r, ft, method, began) {
				st.upStatus = st.resp.status
				st.finishTimes()
				st.u.c.Close()
				st.u = nil
				if st.pk.free(ft != nextHTTP403 && ft != nextHTTP404) {
					r.Logf(httpd.LogWarn, "upstream server temporarily disabled while reading response header from upstream")
				}
				st.nextTry()
				continue
			}
		}
		break
	}
	resp := &st.resp
	status := resp.status
	st.upStatus = status
	if c := st.cache; c != nil {
		if c.StaleOnError(proxycache.StatusMask(status)) || c.NotModified(r, status, cacheHeaders(st.upHeaders)) {
			// the upstream's answer is dropped for the cached one
			st.finishTimes()
			st.u.c.Close()
			st.u = nil
			serveCached(r, p, st, s)
			return
		}
	}
	r.SetStatus(status)
	resp.hasBody = method != "HEAD" && status >= 200 && status != 204 && status != 304
	st.br.init(st.u.br, resp)
	if s.intercept == 1 && status >= 300 && r.HasErrorPage(status) {
		st.finishTimes()
		r.Finalize(status)
		return
	}
	if st.cache != nil && s.buffering != 0 && status != 101 {
		st.storing = st.cache.Store(r, status, cacheHeaders(st.upHeaders)) != nil
		if st.storing && !resp.hasBody {
			st.cache.Commit()
			st.storing = false
		}
	}
	sendHeaders(r, p, st, s)
	switch {
	case resp.length >= 0 && (resp.hasBody || method == "HEAD"):
		r.SetContentLength(resp.length)
	case resp.hasBody:
		// no length: the client gets it chunked (HTTP/1.1), as from nginx
		r.SetHeader("Content-Length")
	}
	if status == 101 && len(r.Header().Peek("Upgrade")) > 0 {
		// WebSocket and other upgrades: a two-way tunnel from now on
		tunnel(r, st)
		return
	}
	if !resp.hasBody {
		st.finishTimes()
		st.finish()
		r.Output(nil, true)
		r.SetFinalized()
		return
	}
	if s.buffering == 0 {
		relay(r, st)
	} else {
		relayBuffered(r, st)
	}
	r.SetFinalized()
}

// sendHeaders passes the upstream's (or the cached) header to the client
// as nginx does: its hidden headers left out, Location rewritten.
func sendHeaders(r *httpd.Request, p *proxyPass, st *state, s *locConf) {
	for _, h := range st.upHeaders {
		if hiddenUpstreamHeader(s, h.name) {
			continue
		}
		v := h.value
		if s.redirect == 1 && !p.dynamic && (modutil.EqualFold(h.name, "Location") || modutil.EqualFold(h.name, "Refresh")) {
			v = defaultRedirect(r, p, v)
		}
		r.AddHeader(h.name, v)
	}
	r.SetContentType(contentType(st.upHeaders))
}

// clientSentBody reports a request with a Content-Length or a chunked
// body (fasthttp gives a body-less DELETE a length of 0 of its own).
func clientSentBody(in *fasthttp.RequestHeader) bool {
	switch n := in.ContentLength(); {
	case n != 0:
		return n > 0 || n == -1
	case len(in.Peek("Content-Length")) == 0:
		return false
	}
	raw := in.RawHeaders()
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) > 15 && line[14] == ':' && modutil.EqualFoldBytes(line[:14], "Content-Length") {
			return true
		}
	}
	return false
}

// sendURI is the URI sent when proxy_pass has no URI part: the client's
// own request URI as it came, unless the URI was changed in the request.
func sendURI(r *httpd.Request) (uri, args string) {
	if !r.URIChanged() && !r.IsInternal() {
		raw := r.RequestURI()
		path, a, _ := strings.Cut(raw, "?")
		// ngx.req.set_uri_args and the like change the args: then
		// nginx builds the URI as for a changed one
		if path != "" && path[0] == '/' && a == r.Args() {
			return raw, ""
		}
	}
	return httpd.EscapeURI(r.URI()), r.Args()
}

func contentType(hs []hdr) string {
	for _, h := range hs {
		if modutil.EqualFold(h.name, "Content-Type") {
			return h.value
		}
	}
	return ""
}

// buildHead writes the request line and headers nginx sends: the
// proxy_set_header list with nginx's defaults (Host, Connection, the
// body's length; TE, Keep-Alive, Expect and Upgrade removed unless set),
// then the client's headers not named in that list.
func buildHead(r *httpd.Request, st *state, s *locConf, b []byte, method, uri, args string, sendBody bool, n int64) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	if args != "" {
		b = append(b, '?')
		b = append(b, args...)
	}
	if s.http11 == 1 {
		b = append(b, " HTTP/1.1\r\n"...)
	} else {
		b = append(b, " HTTP/1.0\r\n"...)
	}
	for i := range s.reqHeaders {
		h := &s.reqHeaders[i]
		var v string
		switch h.kind {
		case sendValue:
			v = h.value.Eval(r)
		case sendProxyHost:
			v = st.proxyHost
		case sendLiteral:
			v = h.lit
		case sendBodyLength:
			if !sendBody {
				continue
			}
			b = append(b, h.name...)
			b = append(b, ": "...)
			b = strconv.AppendInt(b, n, 10)
			b = append(b, "\r\n"...)
			continue
		case sendChunked:
			if st.chunkedBody {
				v = "chunked"
			}
		}
		if v == "" {
			continue
		}
		b = append(b, h.name...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	}
	cached := st.cache != nil
	if cached {
		// nginx's cache headers: the client's conditions and ranges are
		// not sent; a revalidation sends the entry's own
		lm, etag := st.cache.Conditional()
		if lm != "" && !setsHeader(s, "If-Modified-Since") {
			b = append(append(append(b, "If-Modified-Since: "...), lm...), "\r\n"...)
		}
		if etag != "" && !setsHeader(s, "If-None-Match") {
			b = append(append(append(b, "If-None-Match: "...), etag...), "\r\n"...)
		}
	}
	in := r.Header()
	skip := func(ks string) bool {
		if r.IgnoredHeader(ks) {
			return true // nginx ignores such client headers
		}
		if cached && isCacheCondition(ks) {
			return true
		}
		for i := range s.reqHeaders {
			if modutil.EqualFold(ks, s.reqHeaders[i].name) {
				return true
			}
		}
		return false
	}
	// fasthttp yields Content-Type, User-Agent, Trailer and Cookie before
	// the others: they go back to where the client sent them
	var special [4]kv
	ns := 0
	j := 0 // the ordinary headers so far
	for k, v := range in.All() {
		ks := httpd.B2S(k)
		if i := specialIndex(ks); i >= 0 {
			if !skip(ks) {
				special[ns] = kv{k, v, -1}
				ns++
			}
			continue
		}
		if isFraming(ks) {
			continue
		}
		if ns > 0 && j == 0 {
			rankSpecials(in.RawHeaders(), special[:ns])
		}
		for i := 0; i < ns; i++ {
			if special[i].rank == j {
				b = appendHeader(b, special[i].k, special[i].v)
			}
		}
		j++
		if !skip(ks) {
			b = appendHeader(b, k, v)
		}
	}
	if ns > 0 && j == 0 {
		rankSpecials(in.RawHeaders(), special[:ns])
	}
	for i := 0; i < ns; i++ {
		if special[i].rank >= j || special[i].rank < 0 {
			b = appendHeader(b, special[i].k, special[i].v)
		}
	}
	return append(b, "\r\n"...)
}

type kv struct {
	k, v []byte
	rank int // ordinary headers before it in the client's order
}

func appendHeader(b, k, v []byte) []byte {
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, v...)
	return append(b, "\r\n"...)
}

var specialNames = [...]string{"Content-Type", "User-Agent", "Trailer", "Cookie"}

func specialIndex(name string) int {
	for i, n := range specialNames {
		if modutil.EqualFold(name, n) {
			return i
		}
	}
	return -1
}

// isFraming: headers fasthttp keeps apart or may not keep at all; they
// are replaced for the upstream anyway and do not count for the order.
func isFraming(name string) bool {
	return modutil.EqualFold(name, "Host") || modutil.EqualFold(name, "Content-Length") ||
		modutil.EqualFold(name, "Connection") || modutil.EqualFold(name, "Transfer-Encoding")
}

// rankSpecials finds in the raw header block how many ordinary headers
// came before the first line of each special header.
func rankSpecials(raw []byte, sp []kv) {
	n := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			continue
		}
		name := httpd.B2S(bytes.TrimSpace(line[:c]))
		if specialIndex(name) >= 0 {
			for i := range sp {
				if sp[i].rank < 0 && modutil.EqualFold(httpd.B2S(sp[i].k), name) {
					sp[i].rank = n
				}
			}
			continue
		}
		if !isFraming(name) {
			n++
		}
	}
}

// roundTrip connects (or takes a kept connection), sends the request and
// reads the response header. A kept connection the upstream closed in the
// meantime is replaced by a new one once, as nginx retries it.
func (st *state) roundTrip() {
	s := st.s
	st.start = time.Now()
	for attempt := 0; ; attempt++ {
		u, err := st.pool.get(context.Background(), s.connect, st.local)
		if err != nil {
			st.fail, st.err = failConnect, err
			st.connect = time.Since(st.start)
			return
		}
		st.u = u
		st.w.setUpstream(u.c)
		st.connect = time.Since(st.start)
		u.read = s.read
		u.c.SetWriteDeadline(time.Now().Add(s.send))
		var n int64
		if len(st.body) == 0 {
			k, werr := u.c.Write(st.head)
			n, err = int64(k), werr
		} else if len(st.body) <= 16<<10 {
			st.head = append(st.head, st.body...)
			k, werr := u.c.Write(st.head)
			st.head = st.head[:len(st.head)-len(st.body)]
			n, err = int64(k), werr
		} else {
			bufs := net.Buffers{st.head, st.body}
			n, err = bufs.WriteTo(u.c)
		}
		st.sent += n
		if err == nil && st.stream != nil {
			err = st.sendStream(u)
			if st.streamErr != nil {
				u.c.Close()
				st.u = nil
				st.fail, st.err = failSend, st.streamErr
				return
			}
		}
		if err != nil {
			u.c.Close()
			st.u = nil
			if u.reused && attempt == 0 && !isTimeout(err) && st.stream == nil {
				continue
			}
			st.fail, st.err = failSend, err
			return
		}
		st.resp = upResponse{}
		if err := readHeader(u.br, st, &st.resp, s.bufSize); err != nil {
			st.recv = u.received
			if err == errNoValidHeader {
				st.fail, st.err = failHeader, err
				return
			}
			u.c.Close()
			st.u = nil
			if u.reused && attempt == 0 && st.recv == 0 && !isTimeout(err) {
				st.sent = 0
				continue
			}
			st.fail, st.err = failHeader, err
			return
		}
		st.header = time.Since(st.start)
		return
	}
}

// sendStream copies the client's body to the upstream as it arrives,
// chunked when its length is unknown, each write within proxy_send_timeout.
func (st *state) sendStream(u *upConn) error {
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	buf := (*bp)[:16<<10]
	const room = 18 // a chunk's size line
	for {
		k, rerr := st.stream.Read(buf[room : len(buf)-2])
		if k > 0 {
			out := buf[room : room+k]
			if st.chunkedBody {
				line := strconv.AppendInt(buf[:0:room], int64(k), 16)
				line = append(line, "\r\n"...)
				start := room - len(line)
				copy(buf[start:], line)
				out = append(buf[start:room+k], "\r\n"...)
			}
			u.c.SetWriteDeadline(time.Now().Add(st.s.send))
			n, err := u.c.Write(out)
			st.sent += int64(n)
			if err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			st.streamErr = rerr
			return rerr
		}
	}
	if st.chunkedBody {
		u.c.SetWriteDeadline(time.Now().Add(st.s.send))
		n, err := io.WriteString(u.c, "0\r\n\r\n")
		st.sent += int64(n)
		return err
	}
	return nil
}

// finishTimes records $upstream_response_time and the bytes received.
func (st *state) finishTimes() {
	if !st.timed {
		st.timed = true
		st.total = time.Since(st.start)
	}
	if st.u != nil {
		st.recv = st.u.received
	}
}

// clientGone ends a request whose client went away while the upstream
// was awaited: the upstream connection is closed, the status is 499.
func clientGone(r *httpd.Request, st *state) {
	st.finishTimes()
	if st.u != nil {
		st.u.c.Close()
		st.u = nil
	}
	where := "while reading response header from upstream"
	switch st.fail {
	case failConnect:
		where = "while connecting to upstream"
	case failSend:
		where = "while sending request to upstream"
	}
	r.Logf(httpd.LogInfo, "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too %s", where)
	r.SetStatus(499)
	r.Abort()
}

// bindFailed says the connection could not take proxy_bind's address: no
// try of another server helps, nginx fails the request whole.
func bindFailed(st *state) bool {
	var se *os.SyscallError
	return st.fail == failConnect && errors.As(st.err, &se) && se.Syscall == "bind"
}

// failed answers a request whose upstream failed before its header: 502
// or 504 with nginx's error log line for the cause.
func failed(r *httpd.Request, st *state) {
	st.finishTimes()
	if se := (*os.SyscallError)(nil); bindFailed(st) && errors.As(st.err, &se) {
		// the socket could not take proxy_bind's address:
		// ngx_event_connect_peer fails whole, a 500
		st.upStatus = 0
		r.Logf(httpd.LogCrit, "bind(%s) failed %s", st.localV, errText(se.Err))
		r.Finalize(500)
		return
	}
	if st.fail == failSend && st.streamErr != nil {
		// the client's body failed while it was forwarded
		if errors.Is(st.streamErr, httpd.ErrBodyTooLarge) {
			st.upStatus = 0
			r.Logf(httpd.LogErr, "client intended to send too large chunked body")
			r.Finalize(413)
			return
		}
		r.Logf(httpd.LogInfo, "client prematurely closed connection while sending request to upstream")
		r.SetStatus(400)
		r.Abort()
		return
	}
	if st.fail == failHeader && st.err == errNoValidHeader {
		// passed on as an HTTP/0.9 answer, as nginx does
		r.Logf(httpd.LogErr, "%s while reading response header from upstream", st.err.Error())
		st.upStatus = 200
		http09(r, st)
		return
	}
	status, what := failCause(st)
	st.upStatus = status
	r.Logf(httpd.LogErr, "%s", what)
	r.Finalize(status)
}

// failAction is what the error log says nginx was doing when a try failed.
func failAction(f failure) string {
	switch f {
	case failConnect:
		return " while connecting to upstream"
	case failSend:
		return " while sending request to upstream"
	}
	return " while reading response header from upstream"
}

// failCause is the status and the error log line of a failed try.
func failCause(st *state) (int, string) {
	err := st.err
	action := failAction(st.fail)
	if isTimeout(err) {
		return 504, "upstream timed out (110: Connection timed out)" + action
	}
	switch st.fail {
	case failConnect:
		return 502, "connect() failed " + errText(err) + action
	case failSend:
		return 502, "writev() failed " + errText(err) + action
	}
	switch {
	case isEOF(err):
		return 502, "upstream prematurely closed connection" + action
	case err == errInvalidHeader || err == errTooBigHeader || err == errInvalidLength || err == errDuplicateLength:
		return 502, err.Error() + action
	}
	return 502, "recv() failed " + errText(err) + action
}

// failNext is the proxy_next_upstream case of a failed try.
func failNext(st *state) nextMask {
	switch {
	case isTimeout(st.err):
		return nextTimeout
	case st.fail == failHeader && (st.err == errInvalidHeader || st.err == errTooBigHeader ||
		st.err == errInvalidLength || st.err == errDuplicateLength):
		return nextInvalidHeader
	}
	return nextError
}

// statusNext is the proxy_next_upstream case of an upstream's status.
func statusNext(status int) nextMask {
	switch status {
	case 500:
		return nextHTTP500
	case 502:
		return nextHTTP502
	case 503:
		return nextHTTP503
	case 504:
		return nextHTTP504
	case 403:
		return nextHTTP403
	case 404:
		return nextHTTP404
	case 429:
		return nextHTTP429
	}
	return 0
}

// mayRetry is whether proxy_next_upstream lets case ft go to the next
// server: a request sent with POST, LOCK or PATCH needs non_idempotent,
// an unbuffered body already sent cannot be sent again, and
// proxy_next_upstream_timeout bounds the whole.
func (st *state) mayRetry(r *httpd.Request, ft nextMask, method string, began time.Time) bool {
	s := st.s
	sent := st.fail != failConnect
	if sent && (method == "POST" || method == "LOCK" || method == "PATCH") {
		ft |= nextNonIdempotent
	}
	if s.nextUp&ft != ft || (sent && st.stream != nil) {
		return false
	}
	return s.nextTimeout == 0 || time.Since(began) < s.nextTimeout
}

// nextTry keeps what the variables say of the try that ended
// ($upstream_addr "a, b") and clears the exchange for the next one.
func (st *state) nextTry() {
	st.finishTimes()
	st.prev = append(st.prev, attempt{addr: st.upAddr, status: st.upStatus, connect: st.connect,
		header: st.header, total: st.total, sent: st.sent, recv: st.recv})
	if st.u != nil {
		st.u.c.Close()
		st.u = nil
	}
	st.w.stop()
	st.fail, st.err = failNone, nil
	st.connect, st.header, st.total, st.timed = -1, -1, 0, false
	st.sent, st.recv = 0, 0
	st.resp = upResponse{}
	st.upHeaders = st.upHeaders[:0]
}

// http09 relays an upstream answer without a valid status line as
// nginx does: no header of its own, the bytes as they come, then close.
func http09(r *httpd.Request, st *state) {
	u := st.u
	st.u = nil
	defer u.c.Close()
	c, _ := r.TakeRawConn()
	c.Write(st.hdrBuf)
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	st.rbuf = *bp
	st.br.init(u.br, &upResponse{hasBody: true, length: -1})
	for {
		r.Unlocked(st.readFn)
		if st.rn > 0 {
			if _, err := c.Write(st.rbuf[:st.rn]); err != nil {
				break
			}
		}
		if st.rerr != nil {
			break
		}
	}
	st.rbuf = nil
	st.recv = u.received
	r.SetFinalized()
}

// bodyFailed logs why an upstream body ended early and cuts the
// client's response as nginx does: after a premature close the client
// gets the bytes so far (buffered: what nginx holds in its buffers);
// after a timeout the header and what was already sent; after an
// invalid chunk what was already sent. Then the connection is closed.
func bodyFailed(r *httpd.Request, st *state, err error, buffered []byte) {
	var what string
	switch {
	case isTimeout(err):
		what = "upstream timed out (110: Connection timed out) while reading upstream"
		r.Flush()
	case isEOF(err):
		what = "upstream prematurely closed connection while reading upstream"
		r.Output(buffered, false)
		r.Flush()
	case err == errInvalidChunked:
		what = "upstream sent invalid chunked response while reading upstream"
	default:
		what = "recv() failed " + errText(err) + " while reading upstream"
		r.Flush()
	}
	st.finishTimes()
	st.finish()
	r.Logf(httpd.LogErr, "%s", what)
	r.Abort()
}

// read reads the next part of the upstream body into rbuf (unlocked);
// with proxy_cache it reads the cached body, or stores what it reads.
func (st *state) read() {
	if st.src != nil {
		st.rn, st.rerr = st.src.Read(st.rbuf)
		return
	}
	st.rn, st.rerr = st.br.Read(st.rbuf)
	if st.storing {
		if st.rn > 0 {
			st.cache.Write(st.rbuf[:st.rn])
		}
		switch {
		case st.rerr == io.EOF:
			st.cache.Commit()
			st.storing = false
		case st.rerr != nil:
			st.cache.Abort()
			st.storing = false
		}
	}
}

// proxyBufferSize is how much of an upstream body is held before it is
// relayed as it arrives (nginx's proxy_buffers default is 8 x 4k|8k).
const proxyBufferSize = 64 << 10

var proxyBufs = sync.Pool{New: func() any { b := make([]byte, proxyBufferSize); return &b }}

// relayBuffered reads an upstream body as it arrives: one that fits
// proxyBufferSize goes out whole; a longer one is relayed; one cut short
// gives the client the bytes so far and a closed connection, as nginx does.
func relayBuffered(r *httpd.Request, st *state) {
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	buf := *bp
	got := 0
	var err error
	for got < len(buf) && err == nil {
		st.rbuf = buf[got:]
		r.Unlocked(st.readFn)
		got += st.rn
		err = st.rerr
	}
	st.rbuf = nil
	switch {
	case err == io.EOF:
		st.finishTimes()
		st.finish()
		r.Output(buf[:got], true)
	case err != nil:
		bodyFailed(r, st, err, buf[:got])
	default:
		if !r.Output(buf[:got], false) {
			st.finishTimes()
			st.finish()
			return
		}
		r.Flush()
		relay(r, st)
	}
}

// relay copies an upstream body to the client as it comes.
func relay(r *httpd.Request, st *state) {
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	st.rbuf = (*bp)[:16<<10]
	defer func() { st.rbuf = nil }()
	for {
		r.Unlocked(st.readFn)
		n, err := st.rn, st.rerr
		if n > 0 {
			if !r.Output(st.rbuf[:n], false) {
				st.finishTimes()
				st.finish()
				return
			}
			r.Flush()
		}
		if err != nil {
			if err != io.EOF {
				bodyFailed(r, st, err, nil)
				return
			}
			break
		}
	}
	st.finishTimes()
	st.finish()
	r.Output(nil, true)
}

// defaultRedirect is "proxy_redirect default": an upstream Location that
// starts with the proxy_pass URL is rewritten to the location's prefix.
func defaultRedirect(r *httpd.Request, p *proxyPass, v string) string {
	from, to := "http://"+p.host+"/", "/"
	l := r.Loc()
	if k := l.Kind(); p.hasURI && k != httpd.LocRegex && k != httpd.LocNamed {
		from, to = "http://"+p.host+p.uri, l.Name()
	}
	if rest, ok := strings.CutPrefix(v, from); ok {
		return to + rest
	}
	return v
}

var defaultHidden = []string{"Date", "Server", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate",
	"X-Accel-Buffering", "X-Accel-Charset", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Content-Type"}

// hiddenUpstreamHeader applies nginx's default hidden headers and
// proxy_hide_header / proxy_pass_header.
func hiddenUpstreamHeader(s *locConf, name string) bool {
	if len(s.passHdr) == 0 && len(s.hide) == 0 && !maybeHidden(name) {
		return false
	}
	for _, h := range s.passHdr {
		if modutil.EqualFold(h, name) {
			return false
		}
	}
	for _, h := range defaultHidden {
		if modutil.EqualFold(h, name) {
			return true
		}
	}
	for _, h := range s.hide {
		if modutil.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// maybeHidden is a quick pre-check for the default hidden headers.
func maybeHidden(name string) bool {
	if len(name) == 0 {
		return false
	}
	switch name[0] | 0x20 {
	case 'd', 's', 'x', 'c', 'k', 't':
		return true
	}
	return false
}

func varProxyHost(r *httpd.Request) (string, bool) {
	if st := stateOf(r); st != nil && st.proxyHost != "" {
		return st.proxyHost, true
	}
	return "", false
}

func varProxyPort(r *httpd.Request) (string, bool) {
	if st := stateOf(r); st != nil && st.proxyPort != "" {
		return st.proxyPort, true
	}
	return "", false
}

func varUpstreamAddr(r *httpd.Request) (string, bool) {
	if st := stateOf(r); st != nil && st.upAddr != "" {
		return st.joined(func(a *attempt) string { return a.addr }, st.upAddr), true
	}
	return "", false
}

// joined is a $upstream_* value with the earlier tries' values first,
// ", " between them, as nginx lists each try.
func (st *state) joined(f func(*attempt) string, cur string) string {
	if len(st.prev) == 0 {
		return cur
	}
	var b strings.Builder
	for i := range st.prev {
		b.WriteString(f(&st.prev[i]))
		b.WriteString(", ")
	}
	b.WriteString(cur)
	return b.String()
}

func statusText(n int) string {
	if n < 0 {
		return "502"
	}
	return strconv.Itoa(n)
}

func varUpstreamStatus(r *httpd.Request) (string, bool) {
	st := stateOf(r)
	if st == nil || st.upStatus == 0 {
		return "", false
	}
	return st.joined(func(a *attempt) string { return statusText(a.status) }, statusText(st.upStatus)), true
}

func varUpstreamResponseTime(r *httpd.Request) (string, bool) {
	st := stateOf(r)
	if st == nil || st.upAddr == "" {
		return "", false
	}
	return st.joined(func(a *attempt) string { return msecString(a.total) }, msecString(st.total)), true
}

// msecString formats a duration as nginx's seconds with milliseconds.
func msecString(d time.Duration) string {
	ms := d.Milliseconds()
	return strconv.FormatInt(ms/1000, 10) + "." + pad3(ms%1000)
}

func pad3(n int64) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func varUpstreamHTTP(suffix string) httpd.VarGetter {
	h := httpd.HeaderName(suffix)
	return func(r *httpd.Request) (string, bool) {
		st := stateOf(r)
		if st == nil {
			return "", false
		}
		for _, u := range st.upHeaders {
			if modutil.EqualFold(u.name, h) {
				return u.value, true
			}
		}
		return "", false
	}
}

// upstreamState is the state of a request that went to an upstream.
func upstreamState(r *httpd.Request) *state {
	if st := stateOf(r); st != nil && st.upAddr != "" {
		return st
	}
	return nil
}

// upstreamTime is a $upstream_*_time variable: "-" when the exchange
// did not get that far.
func upstreamTime(d func(*state) time.Duration, pd func(*attempt) time.Duration) httpd.VarGetter {
	text := func(v time.Duration) string {
		if v >= 0 {
			return msecString(v)
		}
		return "-"
	}
	return func(r *httpd.Request) (string, bool) {
		st := upstreamState(r)
		if st == nil {
			return "", false
		}
		return st.joined(func(a *attempt) string { return text(pd(a)) }, text(d(st))), true
	}
}

var (
	varUpstreamConnectTime = upstreamTime(func(st *state) time.Duration { return st.connect }, func(a *attempt) time.Duration { return a.connect })
	varUpstreamHeaderTime  = upstreamTime(func(st *state) time.Duration { return st.header }, func(a *attempt) time.Duration { return a.header })
)

func varUpstreamBytesReceived(r *httpd.Request) (string, bool) {
	st := upstreamState(r)
	if st == nil {
		return "", false
	}
	n := st.recv
	if st.u != nil {
		n = st.u.received
	}
	return st.joined(func(a *attempt) string { return strconv.FormatInt(a.recv, 10) }, strconv.FormatInt(n, 10)), true
}

func varUpstreamBytesSent(r *httpd.Request) (string, bool) {
	st := upstreamState(r)
	if st == nil {
		return "", false
	}
	return st.joined(func(a *attempt) string { return strconv.FormatInt(a.sent, 10) }, strconv.FormatInt(st.sent, 10)), true
}

// varProxyAddXForwardedFor is the client's X-Forwarded-For with
// $remote_addr appended, or $remote_addr alone.
func varProxyAddXForwardedFor(r *httpd.Request) (string, bool) {
	addr, _ := r.Var("remote_addr")
	var xff string
	n := 0
	for k, v := range r.Header().All() {
		if modutil.EqualFold(httpd.B2S(k), "X-Forwarded-For") {
			if n > 0 {
				xff += ", "
			}
			xff += string(v)
			n++
		}
	}
	if n == 0 {
		return addr, true
	}
	return xff + ", " + addr, true
}
