package httpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/valyala/fasthttp"
)

// Upstream is an upstream{} block: servers with weights, one keepalive
// pool per server.
type Upstream struct {
	name      string
	peers     []*peer
	keepalive int
	balancer  *luaHandler // balancer_by_lua*
	rr        atomic.Uint64
	wheel     []*peer // weighted round-robin order
}

type peer struct {
	addr   string
	weight int
	backup bool
	down   bool
	client *fasthttp.HostClient
}

type proxyPass struct {
	url      *cvalue // the whole argument when it has variables
	upstream *Upstream
	host     string // host[:port] as written (for $proxy_host)
	addr     string // host:port to connect to when static
	uri      string // URI part, "" when none
	hasURI   bool
	dynamic  bool
	tls      bool // https://
}

// Content is proxy_pass as the location's content handler.
func (p *proxyPass) Content(r *Request) Status {
	r.proxyPass(p)
	return Done
}

// cutScheme strips http:// or https:// from a proxy_pass URL.
func cutScheme(u string) (rest string, tls, ok bool) {
	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		return rest, false, true
	}
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return rest, true, true
	}
	return u, false, false
}

// withPort adds the scheme's default port to a host without one.
func withPort(host string, tls bool) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if tls {
		return host + ":443"
	}
	return host + ":80"
}

func init() {
	directive(func(b *builder, d *conf.Directive) error {
		if _, dup := b.rt.upstreams[d.Args[0]]; dup {
			return conf.Errorf(d, "duplicate upstream \"%s\"", d.Args[0])
		}
		u := &Upstream{name: d.Args[0]}
		b.up = u
		if err := b.run(d.Block, conf.Upstream); err != nil {
			return err
		}
		b.up = nil
		if len(u.peers) == 0 {
			return conf.Errorf(d, "no servers are inside upstream")
		}
		for _, p := range u.peers {
			for i := 0; i < p.weight; i++ {
				u.wheel = append(u.wheel, p)
			}
		}
		b.rt.upstreams[u.name] = u
		return nil
	}, conf.Spec{Name: "upstream", Ctx: conf.HTTP, Args: conf.Take1, Block: true, Child: conf.Upstream})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.up.keepalive = n
		return err
	}, conf.Spec{Name: "keepalive", Ctx: conf.Upstream, Args: conf.Take1})
	balancer := func(b *builder, d *conf.Directive) error {
		b.up.balancer = b.luaHandlerFrom(d, "balancer_by_lua", len(d.Args)-1)
		return nil
	}
	directive(balancer, conf.Spec{Name: "balancer_by_lua_block", Ctx: conf.Upstream, Args: conf.NoArgs, Block: true})
	directive(balancer, conf.Spec{Name: "balancer_by_lua_file", Ctx: conf.Upstream, Args: conf.Take1})
	accepted(
		conf.Spec{Name: "keepalive_requests", Ctx: conf.Upstream, Args: conf.Take1},
		conf.Spec{Name: "least_conn", Ctx: conf.Upstream, Args: conf.NoArgs},
		conf.Spec{Name: "ip_hash", Ctx: conf.Upstream, Args: conf.NoArgs},
		conf.Spec{Name: "zone", Ctx: conf.Upstream, Args: conf.Take12},
		conf.Spec{Name: "proxy_request_buffering", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "proxy_buffer_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "proxy_buffers", Ctx: hSL, Args: conf.Take2},
		conf.Spec{Name: "proxy_busy_buffers_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "proxy_max_temp_file_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "proxy_temp_file_write_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "proxy_next_upstream", Ctx: hSL, Args: conf.OneMore},
		conf.Spec{Name: "proxy_next_upstream_tries", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "proxy_next_upstream_timeout", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "proxy_ignore_client_abort", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "proxy_socket_keepalive", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "proxy_ssl_protocols", Ctx: hSL, Args: conf.OneMore},
		conf.Spec{Name: "proxy_ssl_session_reuse", Ctx: hSL, Args: conf.Flag},
	)
	directive(func(b *builder, d *conf.Directive) error {
		if b.loc.handler != nil {
			return conf.Errorf(d, "\"proxy_pass\" directive is duplicate")
		}
		p, err := b.parseProxyPass(d.Args[0])
		if err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
		if p.hasURI && !p.dynamic && (b.loc.kind == locRegex || b.loc.kind == locNamed || b.loc.kind == locIf) {
			return conf.Errorf(d, "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
		}
		b.loc.handler, b.loc.autoRedirect = p, true
		return nil
	}, conf.Spec{Name: "proxy_pass", Ctx: lLI | conf.LimitExcept, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		if !b.loc.s.proxyHeadersSet {
			b.loc.s.proxyHeaders, b.loc.s.proxyHeadersSet = nil, true
		}
		b.loc.s.proxyHeaders = append(b.loc.s.proxyHeaders, proxyHeader{name: d.Args[0], value: b.value(d.Args[1])})
		return nil
	}, conf.Spec{Name: "proxy_set_header", Ctx: hSL, Args: conf.Take2})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.proxyHide = append(b.loc.s.proxyHide, d.Args[0])
		return nil
	}, conf.Spec{Name: "proxy_hide_header", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.proxyPassHdr = append(b.loc.s.proxyPassHdr, d.Args[0])
		return nil
	}, conf.Spec{Name: "proxy_pass_header", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		switch d.Args[0] {
		case "1.0":
			b.loc.s.proxyHTTP11 = 0
		case "1.1":
			b.loc.s.proxyHTTP11 = 1
		default:
			return conf.Errorf(d, "invalid value \"%s\" in \"proxy_http_version\" directive, it must be \"1.0\" or \"1.1\"", d.Args[0])
		}
		return nil
	}, conf.Spec{Name: "proxy_http_version", Ctx: hSL, Args: conf.Take1})
	timeout := func(set func(s *settings, t time.Duration)) handler {
		return func(b *builder, d *conf.Directive) error {
			t, err := conf.ParseTime(d.Args[0])
			if err != nil {
				return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
			}
			set(&b.loc.s, t)
			return nil
		}
	}
	directive(timeout(func(s *settings, t time.Duration) { s.proxyConnect = t }), conf.Spec{Name: "proxy_connect_timeout", Ctx: hSL, Args: conf.Take1})
	directive(timeout(func(s *settings, t time.Duration) { s.proxyRead = t }), conf.Spec{Name: "proxy_read_timeout", Ctx: hSL, Args: conf.Take1})
	directive(timeout(func(s *settings, t time.Duration) { s.proxySend = t }), conf.Spec{Name: "proxy_send_timeout", Ctx: hSL, Args: conf.Take1})
	flagSetting("proxy_buffering", hSL, func(s *settings) *int8 { return &s.proxyBuffering })
	flagSetting("proxy_ssl_verify", hSL, func(s *settings) *int8 { return &s.proxySSLVerify })
	flagSetting("proxy_ssl_server_name", hSL, func(s *settings) *int8 { return &s.proxySSLName })
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.proxyBodyOff = 1 - flag(d)
		return nil
	}, conf.Spec{Name: "proxy_pass_request_body", Ctx: hSL, Args: conf.Flag})
	flagSetting("proxy_intercept_errors", hSL, func(s *settings) *int8 { return &s.interceptErrors })
	directive(func(b *builder, d *conf.Directive) error {
		if d.Args[0] == "off" {
			b.loc.s.proxyRedirect = 0
		} else if d.Args[0] == "default" {
			b.loc.s.proxyRedirect = 1
		} else {
			return conf.Errorf(d, "proxy_redirect with a replacement is not supported")
		}
		return nil
	}, conf.Spec{Name: "proxy_redirect", Ctx: hSL, Args: conf.Take12})
}

func upstreamServer(b *builder, d *conf.Directive) error {
	p := &peer{addr: d.Args[0], weight: 1}
	if !strings.Contains(p.addr, ":") {
		p.addr += ":80"
	}
	for _, a := range d.Args[1:] {
		switch {
		case strings.HasPrefix(a, "weight="):
			w, err := strconv.Atoi(a[7:])
			if err != nil || w < 1 {
				return conf.Errorf(d, "invalid parameter \"%s\"", a)
			}
			p.weight = w
		case a == "backup":
			p.backup = true
		case a == "down":
			p.down = true
		case strings.HasPrefix(a, "max_fails="), strings.HasPrefix(a, "fail_timeout="), strings.HasPrefix(a, "max_conns="):
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	b.up.peers = append(b.up.peers, p)
	return nil
}

func (b *builder) parseProxyPass(u string) (*proxyPass, error) {
	p := &proxyPass{}
	if strings.Contains(u, "$") {
		p.dynamic = true
		p.url = b.value(u)
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
	b.rt.pendingProxies = append(b.rt.pendingProxies, p)
	return p, nil
}

// resolveProxies binds proxy_pass names to upstream blocks and gives
// every upstream peer its keepalive pool.
func (rt *Runtime) resolveProxies() {
	for _, u := range rt.upstreams {
		for _, p := range u.peers {
			p.client = rt.clientFor(p.addr, false, nil)
		}
	}
	for _, p := range rt.pendingProxies {
		if u := rt.upstreams[p.host]; u != nil {
			p.upstream = u
		}
	}
}

// clientFor returns the keepalive pool for an address.
func (rt *Runtime) clientFor(addr string, useTLS bool, l *LocConf) *fasthttp.HostClient {
	key := addr
	var tc *tls.Config
	if useTLS {
		// proxy_ssl_verify (off) and proxy_ssl_server_name (off) as nginx
		verify, sni := false, false
		if l != nil {
			verify, sni = l.s.proxySSLVerify == 1, l.s.proxySSLName == 1
		}
		host, _, _ := net.SplitHostPort(addr)
		tc = &tls.Config{InsecureSkipVerify: !verify}
		if sni || verify {
			tc.ServerName = host
		}
		key = fmt.Sprintf("https://%s|%v|%v", addr, verify, sni)
	}
	rt.clientsMu.Lock()
	defer rt.clientsMu.Unlock()
	if c := rt.clients[key]; c != nil {
		return c
	}
	c := &fasthttp.HostClient{
		IsTLS:                         useTLS,
		TLSConfig:                     tc,
		Addr:                          addr,
		MaxConns:                      4096,
		MaxIdleConnDuration:           60 * time.Second,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		NoDefaultUserAgentHeader:      true,
		ReadBufferSize:                16 << 10,
		// bodies come as streams, read as they arrive: a declared
		// Content-Length is never allocated up front
		StreamResponseBody: true,
	}
	rt.clients[key] = c
	return c
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// proxyPass forwards the request and relays the response through the
// header and body filters.
func (r *Request) proxyPass(p *proxyPass) {
	if r.loc.s.proxyBodyOff != 1 {
		if code := r.loadBody(); code != 0 {
			r.finalize(code)
			return
		}
	}
	rt := r.rt
	s := &r.loc.s
	var addr, hostHdr, uri string
	var up *Upstream
	useTLS := p.tls
	if p.dynamic {
		u := p.url.eval(r)
		rest, tls, ok := cutScheme(u)
		useTLS = tls
		if !ok {
			r.logf(LogErr, "invalid URL prefix in \"%s\"", u)
			r.finalize(500)
			return
		}
		host := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			host, uri = rest[:i], rest[i:]
		}
		hostHdr = host
		if rt.upstreams[host] != nil {
			up = rt.upstreams[host]
		} else {
			addr = withPort(host, useTLS)
		}
		if uri == "" {
			uri = r.escapedURI()
		} else if r.args != "" && !strings.Contains(uri, "?") {
			uri += "?" + r.args
		}
	} else {
		hostHdr = p.host
		up = p.upstream
		addr = p.addr
		switch {
		case !p.hasURI || r.validURI:
			// no URI part, or the URI was changed (rewrite ... break,
			// ngx.req.set_uri): the current URI is sent as it is
			uri = r.escapedURI()
		default:
			rest := strings.TrimPrefix(r.uri, r.loc.name)
			if r.loc.kind == locExact || r.loc.kind == locRegex {
				rest = ""
			}
			uri = escapePath(p.uri + rest)
			if r.args != "" {
				uri += "?" + r.args
			}
		}
	}
	var client *fasthttp.HostClient
	if up != nil && up.balancer != nil {
		// balancer_by_lua picks the peer with ngx.balancer.set_current_peer
		r.balancerPeer = ""
		r.withVM(func() { r.callPhaseLua(up.balancer, luabindings.PhaseBalancer) })
		if r.done {
			return
		}
		if r.balancerPeer == "" {
			r.logf(LogErr, "no peer set by balancer_by_lua* for upstream \"%s\"", up.name)
			r.finalize(500)
			return
		}
		addr = r.balancerPeer
		client = rt.clientFor(addr, useTLS, r.loc)
	} else if up != nil {
		pe := up.pick()
		addr = pe.addr
		client = pe.client
		if useTLS {
			client = rt.clientFor(addr, true, r.loc)
		}
	} else {
		client = rt.clientFor(addr, useTLS, r.loc)
	}
	r.proxyHost = hostHdr
	if i := strings.LastIndexByte(hostHdr, ':'); i >= 0 {
		r.proxyPort = hostHdr[i+1:]
	} else if useTLS {
		r.proxyPort = "443"
	} else {
		r.proxyPort = "80"
	}
	r.upAddr = addr

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true)
	resp.Header.DisableNormalizing()
	resp.Header.SetNoDefaultContentType(true)
	in := &r.fc.Request.Header
	req.Header.SetMethod(r.method)
	req.SetRequestURI(uri)
	http11 := s.proxyHTTP11 == 1
	if !http11 {
		req.Header.SetProtocol("HTTP/1.0")
	}
	// client headers, minus hop-by-hop ones and those proxy_set_header sets
headers:
	for k, v := range in.All() {
		ks := b2s(k)
		for _, h := range hopHeaders {
			if strings.EqualFold(ks, h) {
				continue headers
			}
		}
		if strings.EqualFold(ks, "Host") || strings.EqualFold(ks, "Content-Length") {
			continue headers
		}
		if !r.srv.underscoresInHeaders && strings.IndexByte(ks, '_') >= 0 {
			continue headers // nginx ignores such client headers
		}
		for _, h := range s.proxyHeaders {
			if strings.EqualFold(ks, h.name) {
				continue headers
			}
		}
		req.Header.AddBytesKV(k, v)
	}
	hostSet, connSet := false, false
	for _, h := range s.proxyHeaders {
		v := h.value.eval(r)
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
	if s.proxyBodyOff != 1 {
		body := r.reqBody()
		if len(body) > 0 || r.method == "POST" || r.method == "PUT" || r.method == "PATCH" {
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
	timeout := s.proxyRead + s.proxyConnect
	r.unlocked(func() {
		r.proxyErr = client.DoTimeout(req, resp, timeout)
	})
	r.upTime = time.Since(start)
	if err := r.proxyErr; err != nil {
		status := 502
		what := "connect() failed (111: Connection refused) while connecting to upstream"
		var ne net.Error
		if errors.Is(err, fasthttp.ErrTimeout) || errors.As(err, &ne) && ne.Timeout() {
			status = 504
			what = "upstream timed out (110: Connection timed out) while reading response header from upstream"
		} else if !strings.Contains(err.Error(), "refused") {
			what = "upstream prematurely closed connection while reading response header from upstream (" + err.Error() + ")"
		}
		r.upStatus = status
		r.logf(LogErr, "%s", what)
		r.finalize(status)
		return
	}
	r.upStatus = resp.StatusCode()
	r.status = resp.StatusCode()
	if s.interceptErrors == 1 && r.status >= 300 && r.loc.s.errorPages[r.status] != nil {
		r.finalize(r.status)
		return
	}
	// the upstream header in one string: its names and values are slices of it
	buf := r.hdrBuf[:0]
	for k, v := range resp.Header.All() {
		buf = append(append(buf, k...), v...)
	}
	all := string(buf)
	r.hdrBuf = buf
	r.upHeaders = r.upHeaders[:0]
	off := 0
	for k, v := range resp.Header.All() {
		name := all[off : off+len(k)]
		off += len(k)
		r.upHeaders = append(r.upHeaders, hdr{name, all[off : off+len(v)]})
		off += len(v)
	}
	for _, h := range r.upHeaders {
		if r.hiddenUpstreamHeader(h.name) {
			continue
		}
		v := h.value
		if s.proxyRedirect == 1 && !p.dynamic && (strings.EqualFold(h.name, "Location") || strings.EqualFold(h.name, "Refresh")) {
			v = r.defaultRedirect(p, v)
		}
		r.addOutHeader(h.name, v)
	}
	if ct := resp.Header.ContentType(); len(ct) > 0 {
		r.contentType, r.ctSet = string(ct), true
	} else {
		r.contentType, r.ctSet = "", true
	}
	if stream := resp.BodyStream(); stream != nil {
		defer resp.CloseBodyStream()
		if s.proxyBuffering == 0 {
			// each chunk goes to the client as it comes
			if n := resp.Header.ContentLength(); n >= 0 {
				r.contentLen = int64(n)
			}
			r.relay(stream)
			r.done = true
			return
		}
		r.relayBuffered(stream, resp.Header.ContentLength())
		r.done = true
		return
	}
	body := resp.Body()
	// the length is known to the filters only when the upstream sent one
	if r.method != "HEAD" && r.status != 204 && r.status != 304 && resp.Header.ContentLength() >= 0 {
		r.contentLen = int64(len(body))
	}
	r.output(body, true)
	r.done = true
}

// proxyBufferSize is how much of an upstream body is held before it is
// relayed as it arrives (nginx's proxy_buffers default is 8 x 4k|8k).
const proxyBufferSize = 64 << 10

var proxyBufs = sync.Pool{New: func() any { b := make([]byte, proxyBufferSize); return &b }}

// relayBuffered reads an upstream body (declared length n, -1 unknown)
// as it arrives: one that fits proxyBufferSize goes out whole, with its
// real length; a longer one is relayed; one cut short gives the client
// the bytes so far and a closed connection, as nginx does.
func (r *Request) relayBuffered(stream io.Reader, n int) {
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	buf := *bp
	got := 0
	var err error
	r.unlocked(func() {
		for got < len(buf) && err == nil {
			var k int
			k, err = stream.Read(buf[got:])
			got += k
		}
	})
	switch {
	case err == io.EOF:
		if r.method != "HEAD" && r.status != 204 && r.status != 304 && n >= 0 {
			r.contentLen = int64(got)
		}
		r.output(buf[:got], true)
	case err != nil:
		if n >= 0 {
			r.contentLen = int64(n)
		}
		r.logf(LogErr, "upstream prematurely closed connection while reading upstream (%s)", err.Error())
		r.output(buf[:got], false)
		r.Flush()
		r.abort()
	default:
		if n >= 0 {
			r.contentLen = int64(n)
		}
		r.output(buf[:got], false)
		r.Flush()
		r.relay(stream)
	}
}

// relay copies an unbuffered upstream body to the client chunk by chunk.
func (r *Request) relay(stream io.Reader) {
	buf := make([]byte, 16<<10)
	for {
		var n int
		var err error
		r.unlocked(func() { n, err = stream.Read(buf) })
		if n > 0 {
			r.output(buf[:n], false)
			r.Flush()
		}
		if err != nil {
			if err != io.EOF {
				r.logf(LogErr, "upstream prematurely closed connection while reading upstream (%s)", err.Error())
				r.abort()
				return
			}
			break
		}
	}
	r.output(nil, true)
}

// defaultRedirect is "proxy_redirect default": an upstream Location that
// starts with the proxy_pass URL is rewritten to the location's prefix.
func (r *Request) defaultRedirect(p *proxyPass, v string) string {
	from, to := "http://"+p.host+"/", "/"
	if p.hasURI && r.loc.kind != locRegex && r.loc.kind != locNamed {
		from, to = "http://"+p.host+p.uri, r.loc.name
	}
	if rest, ok := strings.CutPrefix(v, from); ok {
		return to + rest
	}
	return v
}

// hiddenUpstreamHeader applies nginx's default hidden headers and
// proxy_hide_header / proxy_pass_header.
func (r *Request) hiddenUpstreamHeader(name string) bool {
	s := &r.loc.s
	if len(s.proxyPassHdr) == 0 && len(s.proxyHide) == 0 && !maybeHidden(name) {
		return false
	}
	for _, h := range s.proxyPassHdr {
		if strings.EqualFold(h, name) {
			return false
		}
	}
	for _, h := range []string{"Date", "Server", "X-Pad", "X-Accel-Expires", "X-Accel-Redirect", "X-Accel-Limit-Rate",
		"X-Accel-Buffering", "X-Accel-Charset", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Content-Type"} {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	for _, h := range s.proxyHide {
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

func (u *Upstream) pick() *peer {
	if len(u.wheel) == 1 {
		return u.wheel[0]
	}
	n := u.rr.Add(1)
	return u.wheel[int(n)%len(u.wheel)]
}

// escapedURI is the current URI escaped for sending, with its args.
func (r *Request) escapedURI() string {
	u := escapePath(r.uri)
	if r.args != "" {
		u += "?" + r.args
	}
	return u
}

// escapePath escapes what nginx's ngx_escape_uri(NGX_ESCAPE_URI) escapes.
func escapePath(p string) string {
	need := false
	for i := 0; i < len(p); i++ {
		if pathEscape(p[i]) {
			need = true
			break
		}
	}
	if !need {
		return p
	}
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, len(p)+8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if pathEscape(c) {
			b = append(b, '%', hexd[c>>4], hexd[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func pathEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '#' || c == '%' || c == '?' || c == '<' || c == '>' ||
		c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}'
}
