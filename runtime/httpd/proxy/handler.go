package proxy

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/httpd"
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

// state is the module's per-request state: what the variables read.
type state struct {
	proxyHost, proxyPort string
	upAddr               string
	upStatus             int
	upTime               time.Duration
	upHeaders            []hdr
	hdrBuf               []byte
}

type hdr struct{ name, value string }

var statePool = sync.Pool{New: func() any { return &state{} }}

func stateOf(r *httpd.Request) *state {
	if v := Module.ReqCtx(r); v != nil {
		return v.(*state)
	}
	return nil
}

func newState(r *httpd.Request) *state {
	if st := stateOf(r); st != nil {
		return st
	}
	st := statePool.Get().(*state)
	Module.SetReqCtx(r, st)
	return st
}

func releaseState(v any) {
	st := v.(*state)
	hs, hb := st.upHeaders[:0], st.hdrBuf[:0]
	*st = state{upHeaders: hs, hdrBuf: hb}
	statePool.Put(st)
}

// Content is proxy_pass as the location's content handler.
func (p *proxyPass) Content(r *httpd.Request) httpd.Status {
	proxyRequest(r, p)
	return httpd.Done
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// proxyRequest forwards the request and relays the response through the
// header and body filters.
func proxyRequest(r *httpd.Request, p *proxyPass) {
	s := confOf(r.Loc())
	var body []byte
	if s.bodyOff != 1 {
		var code int
		if body, code = r.RequestBody(); code != 0 {
			r.Finalize(code)
			return
		}
	}
	m := mainOf(r.Runtime())
	st := newState(r)
	var addr, hostHdr, uri string
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
			uri = r.EscapedURI()
		} else if r.Args() != "" && !strings.Contains(uri, "?") {
			uri += "?" + r.Args()
		}
	} else {
		hostHdr = p.host
		up = p.upstream
		addr = p.addr
		switch {
		case !p.hasURI || r.URIChanged():
			// no URI part, or the URI was changed (rewrite ... break,
			// ngx.req.set_uri): the current URI is sent as it is
			uri = r.EscapedURI()
		default:
			l := r.Loc()
			rest := strings.TrimPrefix(r.URI(), l.Name())
			if k := l.Kind(); k == httpd.LocExact || k == httpd.LocRegex {
				rest = ""
			}
			uri = httpd.EscapeURI(p.uri + rest)
			if r.Args() != "" {
				uri += "?" + r.Args()
			}
		}
	}
	var client *fasthttp.HostClient
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
		client = m.clientFor(addr, useTLS, s)
	} else if up != nil {
		pe := up.pick()
		addr = pe.addr
		client = pe.client
		if useTLS {
			client = m.clientFor(addr, true, s)
		}
	} else {
		client = m.clientFor(addr, useTLS, s)
	}
	st.proxyHost = hostHdr
	if i := strings.LastIndexByte(hostHdr, ':'); i >= 0 {
		st.proxyPort = hostHdr[i+1:]
	} else if useTLS {
		st.proxyPort = "443"
	} else {
		st.proxyPort = "80"
	}
	st.upAddr = addr
	r.SetLogUpstream("http://", addr, r.URI())

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true)
	resp.Header.DisableNormalizing()
	resp.Header.SetNoDefaultContentType(true)
	in := r.Header()
	method := r.Method()
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	http11 := s.http11 == 1
	if !http11 {
		req.Header.SetProtocol("HTTP/1.0")
	}
	underscores := r.UnderscoresInHeaders()
	// client headers, minus hop-by-hop ones and those proxy_set_header sets
headers:
	for k, v := range in.All() {
		ks := httpd.B2S(k)
		for _, h := range hopHeaders {
			if strings.EqualFold(ks, h) {
				continue headers
			}
		}
		if strings.EqualFold(ks, "Host") || strings.EqualFold(ks, "Content-Length") {
			continue headers
		}
		if !underscores && strings.IndexByte(ks, '_') >= 0 {
			continue headers // nginx ignores such client headers
		}
		for _, h := range s.headers {
			if strings.EqualFold(ks, h.name) {
				continue headers
			}
		}
		req.Header.AddBytesKV(k, v)
	}
	hostSet, connSet := false, false
	for _, h := range s.headers {
		v := h.value.Eval(r)
		if strings.EqualFold(h.name, "Host") {
			hostSet = true
		}
		if strings.EqualFold(h.name, "Connection") {
			connSet = true
		}
		if v == "" {
			continue
		}
		req.Header.Set(h.name, v)
	}
	if !hostSet {
		req.Header.Set("Host", hostHdr)
	}
	if !connSet {
		req.Header.Set("Connection", "close")
	}
	if s.bodyOff != 1 {
		if len(body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
			req.SetBodyRaw(body)
		}
	}
	if useTLS {
		// fasthttp's TLS client wants the scheme in the request URI
		req.URI().SetScheme("https")
		req.URI().SetHost(hostHdr)
		if h := req.Header.Host(); len(h) > 0 {
			req.URI().SetHostBytes(h)
		}
	}
	start := time.Now()
	timeout := s.read + s.connect
	var err error
	r.Unlocked(func() {
		err = client.DoTimeout(req, resp, timeout)
	})
	st.upTime = time.Since(start)
	if err != nil {
		status := 502
		what := "connect() failed (111: Connection refused) while connecting to upstream"
		var ne net.Error
		if errors.Is(err, fasthttp.ErrTimeout) || errors.As(err, &ne) && ne.Timeout() {
			status = 504
			what = "upstream timed out (110: Connection timed out) while reading response header from upstream"
		} else if !strings.Contains(err.Error(), "refused") {
			what = "upstream prematurely closed connection while reading response header from upstream (" + err.Error() + ")"
		}
		st.upStatus = status
		r.Logf(httpd.LogErr, "%s", what)
		r.Finalize(status)
		return
	}
	status := resp.StatusCode()
	st.upStatus = status
	r.SetStatus(status)
	if s.intercept == 1 && status >= 300 && r.HasErrorPage(status) {
		r.Finalize(status)
		return
	}
	// the upstream header in one string: its names and values are slices of it
	buf := st.hdrBuf[:0]
	for k, v := range resp.Header.All() {
		buf = append(append(buf, k...), v...)
	}
	all := string(buf)
	st.hdrBuf = buf
	st.upHeaders = st.upHeaders[:0]
	off := 0
	for k, v := range resp.Header.All() {
		name := all[off : off+len(k)]
		off += len(k)
		st.upHeaders = append(st.upHeaders, hdr{name, all[off : off+len(v)]})
		off += len(v)
	}
	for _, h := range st.upHeaders {
		if hiddenUpstreamHeader(s, h.name) {
			continue
		}
		v := h.value
		if s.redirect == 1 && !p.dynamic && (strings.EqualFold(h.name, "Location") || strings.EqualFold(h.name, "Refresh")) {
			v = defaultRedirect(r, p, v)
		}
		r.AddHeader(h.name, v)
	}
	if ct := resp.Header.ContentType(); len(ct) > 0 {
		r.SetContentType(string(ct))
	} else {
		r.SetContentType("")
	}
	if stream := resp.BodyStream(); stream != nil {
		defer resp.CloseBodyStream()
		if s.buffering == 0 {
			// each chunk goes to the client as it comes
			if n := resp.Header.ContentLength(); n >= 0 {
				r.SetContentLength(int64(n))
			}
			relay(r, stream)
			r.SetFinalized()
			return
		}
		relayBuffered(r, stream, resp.Header.ContentLength())
		r.SetFinalized()
		return
	}
	rb := resp.Body()
	// the length is known to the filters only when the upstream sent one
	if method != "HEAD" && status != 204 && status != 304 && resp.Header.ContentLength() >= 0 {
		r.SetContentLength(int64(len(rb)))
	}
	r.Output(rb, true)
	r.SetFinalized()
}

// proxyBufferSize is how much of an upstream body is held before it is
// relayed as it arrives (nginx's proxy_buffers default is 8 x 4k|8k).
const proxyBufferSize = 64 << 10

var proxyBufs = sync.Pool{New: func() any { b := make([]byte, proxyBufferSize); return &b }}

// relayBuffered reads an upstream body (declared length n, -1 unknown)
// as it arrives: one that fits proxyBufferSize goes out whole, with its
// real length; a longer one is relayed; one cut short gives the client
// the bytes so far and a closed connection, as nginx does.
func relayBuffered(r *httpd.Request, stream io.Reader, n int) {
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	buf := *bp
	got := 0
	var err error
	r.Unlocked(func() {
		for got < len(buf) && err == nil {
			var k int
			k, err = stream.Read(buf[got:])
			got += k
		}
	})
	status := r.Status()
	switch {
	case err == io.EOF:
		if r.Method() != "HEAD" && status != 204 && status != 304 && n >= 0 {
			r.SetContentLength(int64(got))
		}
		r.Output(buf[:got], true)
	case err != nil:
		if n >= 0 {
			r.SetContentLength(int64(n))
		}
		r.Logf(httpd.LogErr, "upstream prematurely closed connection while reading upstream (%s)", err.Error())
		r.Output(buf[:got], false)
		r.Flush()
		r.Abort()
	default:
		if n >= 0 {
			r.SetContentLength(int64(n))
		}
		r.Output(buf[:got], false)
		r.Flush()
		relay(r, stream)
	}
}

// relay copies an unbuffered upstream body to the client chunk by chunk.
func relay(r *httpd.Request, stream io.Reader) {
	buf := make([]byte, 16<<10)
	for {
		var n int
		var err error
		r.Unlocked(func() { n, err = stream.Read(buf) })
		if n > 0 {
			r.Output(buf[:n], false)
			r.Flush()
		}
		if err != nil {
			if err != io.EOF {
				r.Logf(httpd.LogErr, "upstream prematurely closed connection while reading upstream (%s)", err.Error())
				r.Abort()
				return
			}
			break
		}
	}
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
		if strings.EqualFold(h, name) {
			return false
		}
	}
	for _, h := range defaultHidden {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	for _, h := range s.hide {
		if strings.EqualFold(h, name) {
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
		return st.upAddr, true
	}
	return "", false
}

func varUpstreamStatus(r *httpd.Request) (string, bool) {
	st := stateOf(r)
	if st == nil || st.upStatus == 0 {
		return "", false
	}
	if st.upStatus < 0 {
		return "502", true
	}
	return strconv.Itoa(st.upStatus), true
}

func varUpstreamResponseTime(r *httpd.Request) (string, bool) {
	st := stateOf(r)
	if st == nil || st.upAddr == "" {
		return "", false
	}
	return msecString(st.upTime), true
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
			if strings.EqualFold(u.name, h) {
				return u.value, true
			}
		}
		return "", false
	}
}
