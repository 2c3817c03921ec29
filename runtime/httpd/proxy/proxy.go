// Package proxy is nginx's ngx_http_proxy_module with the upstream
// module (upstream{}, server, keepalive, balancer_by_lua*): proxy_pass
// as a location's content handler, its settings per level, and the
// $proxy_* and $upstream_* variables.
package proxy

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
)

const (
	hSL = conf.HTTP | conf.Server | conf.Location
	lLI = conf.Location | conf.LocationIf
)

// Module is the proxy module (its table is filled in by init: the
// handlers refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "proxy",
		Commands: []httpd.Command{
			httpd.Directive(setUpstream, conf.Spec{Name: "upstream", Ctx: conf.HTTP, Args: conf.Take1, Block: true, Child: conf.Upstream}),
			{Specs: []conf.Spec{{Name: "server", Ctx: conf.Upstream, Args: conf.OneMore}}, Set: setUpstreamServer, Only: conf.Upstream},
			httpd.Directive(setKeepalive, conf.Spec{Name: "keepalive", Ctx: conf.Upstream, Args: conf.Take1}),
			httpd.Directive(setBalancer, conf.Spec{Name: "balancer_by_lua_block", Ctx: conf.Upstream, Args: conf.NoArgs, Block: true}),
			httpd.Directive(setBalancer, conf.Spec{Name: "balancer_by_lua_file", Ctx: conf.Upstream, Args: conf.Take1}),
			httpd.Directive(setLeastConn, conf.Spec{Name: "least_conn", Ctx: conf.Upstream, Args: conf.NoArgs}),
			httpd.Directive(setIPHash, conf.Spec{Name: "ip_hash", Ctx: conf.Upstream, Args: conf.NoArgs}),
			httpd.Directive(setProxyNextUpstream, conf.Spec{Name: "proxy_next_upstream", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setProxyNextUpstreamTries, conf.Spec{Name: "proxy_next_upstream_tries", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyNextUpstreamTimeout, conf.Spec{Name: "proxy_next_upstream_timeout", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyPass, conf.Spec{Name: "proxy_pass", Ctx: lLI | conf.LimitExcept, Args: conf.Take1}),
			httpd.Directive(setProxySetHeader, conf.Spec{Name: "proxy_set_header", Ctx: hSL, Args: conf.Take2}),
			httpd.Directive(setProxyHideHeader, conf.Spec{Name: "proxy_hide_header", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyPassHeader, conf.Spec{Name: "proxy_pass_header", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyHTTPVersion, conf.Spec{Name: "proxy_http_version", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyConnectTimeout, conf.Spec{Name: "proxy_connect_timeout", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyReadTimeout, conf.Spec{Name: "proxy_read_timeout", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxySendTimeout, conf.Spec{Name: "proxy_send_timeout", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setProxyBuffering, conf.Spec{Name: "proxy_buffering", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxySSLVerify, conf.Spec{Name: "proxy_ssl_verify", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxySSLServerName, conf.Spec{Name: "proxy_ssl_server_name", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxyPassRequestBody, conf.Spec{Name: "proxy_pass_request_body", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxyInterceptErrors, conf.Spec{Name: "proxy_intercept_errors", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxyIgnoreClientAbort, conf.Spec{Name: "proxy_ignore_client_abort", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxyRequestBuffering, conf.Spec{Name: "proxy_request_buffering", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setProxyRedirect, conf.Spec{Name: "proxy_redirect", Ctx: hSL, Args: conf.Take12}),
			httpd.Directive(setProxyBind, conf.Spec{Name: "proxy_bind", Ctx: hSL, Args: conf.Take12}),
			httpd.Directive(setProxyBufferSize, conf.Spec{Name: "proxy_buffer_size", Ctx: hSL, Args: conf.Take1}),
		},
		Accepted: []conf.Spec{
			{Name: "keepalive_requests", Ctx: conf.Upstream, Args: conf.Take1},
			{Name: "zone", Ctx: conf.Upstream, Args: conf.Take12},
			{Name: "proxy_buffers", Ctx: hSL, Args: conf.Take2},
			{Name: "proxy_busy_buffers_size", Ctx: hSL, Args: conf.Take1},
			{Name: "proxy_max_temp_file_size", Ctx: hSL, Args: conf.Take1},
			{Name: "proxy_temp_file_write_size", Ctx: hSL, Args: conf.Take1},
			{Name: "proxy_socket_keepalive", Ctx: hSL, Args: conf.Flag},
			{Name: "proxy_ssl_protocols", Ctx: hSL, Args: conf.OneMore},
			{Name: "proxy_ssl_session_reuse", Ctx: hSL, Args: conf.Flag},
		},
		Variables: []httpd.Variable{
			{Name: "proxy_host", Get: varProxyHost},
			{Name: "proxy_port", Get: varProxyPort},
			{Name: "upstream_addr", Get: varUpstreamAddr},
			{Name: "upstream_status", Get: varUpstreamStatus},
			{Name: "upstream_response_time", Get: varUpstreamResponseTime},
			{Name: "upstream_connect_time", Get: varUpstreamConnectTime},
			{Name: "upstream_header_time", Get: varUpstreamHeaderTime},
			{Name: "upstream_bytes_received", Get: varUpstreamBytesReceived},
			{Name: "upstream_bytes_sent", Get: varUpstreamBytesSent},
			{Name: "proxy_add_x_forwarded_for", Get: varProxyAddXForwardedFor},
		},
		CreateLocConf: func() any { return newLocConf() },
		MergeLocConf:  mergeLocConf,
		CreateMainConf: func() any {
			return &mainConf{upstreams: map[string]*Upstream{}, pools: map[string]*connPool{}}
		},
		Configured:    configured,
		Closed:        closed,
		ReleaseReqCtx: releaseState,
	}
	httpd.RegisterVariablePrefix("upstream_http_", varUpstreamHTTP)
}

// mainConf is the module's configuration-wide state: the upstream
// blocks and the keepalive pools of the addresses proxied to.
type mainConf struct {
	upstreams map[string]*Upstream
	pending   []*proxyPass // static proxy_pass, bound to upstreams when all are read
	building  *Upstream    // the upstream{} being read
	poolsMu   sync.Mutex
	pools     map[string]*connPool
}

func mainOf(rt *httpd.Runtime) *mainConf { return Module.MainConf(rt).(*mainConf) }

// locConf is the module's settings of a level; -1 and 0 mark unset.
type locConf struct {
	headers       []proxyHeader
	headersSet    bool
	hide          []string
	passHdr       []string
	http11        int8 // -1 unset, 0 = 1.0, 1 = 1.1
	connect       time.Duration
	read          time.Duration
	send          time.Duration
	bodyOff       int8 // proxy_pass_request_body off
	redirect      int8
	intercept     int8
	sslVerify     int8
	buffering     int8
	sslServerName int8
	ignoreAbort   int8
	reqBuffering  int8
	nextUp        nextMask      // proxy_next_upstream; 0 unset
	nextTries     int           // proxy_next_upstream_tries; -1 unset, 0 unlimited
	nextTimeout   time.Duration // -1 unset, 0 unlimited
	bind          *httpd.Value  // proxy_bind's address (nil: off)
	bindSet       bool
	bufSize       int // proxy_buffer_size: the most the status line and header may take; -1 unset

	// reqHeaders is what the upstream request carries besides the
	// client's headers: proxy_set_header's list, then nginx's defaults
	// it leaves
	reqHeaders []sendHeader
}

// sendHeader is one header of the upstream request.
type sendHeader struct {
	name  string
	kind  uint8
	value *httpd.Value
	lit   string
}

const (
	sendValue      uint8 = iota // proxy_set_header's value
	sendLiteral                 // a default with a fixed value
	sendProxyHost               // Host: $proxy_host
	sendBodyLength              // Content-Length: the body's length, when there is a body
	sendChunked                 // Transfer-Encoding: chunked, for a chunked body streamed
)

// defaultSend are nginx's ngx_http_proxy_headers: set unless
// proxy_set_header names them; an empty one removes the client's header.
var defaultSend = []sendHeader{
	{name: "Host", kind: sendProxyHost},
	{name: "Connection", kind: sendLiteral, lit: "close"},
	{name: "Content-Length", kind: sendBodyLength},
	{name: "Transfer-Encoding", kind: sendChunked},
	{name: "TE", kind: sendLiteral},
	{name: "Keep-Alive", kind: sendLiteral},
	{name: "Expect", kind: sendLiteral},
	{name: "Upgrade", kind: sendLiteral},
}

// sendList merges proxy_set_header's list with the defaults.
func sendList(hs []proxyHeader) []sendHeader {
	out := make([]sendHeader, 0, len(hs)+len(defaultSend))
	for _, h := range hs {
		out = append(out, sendHeader{name: h.name, kind: sendValue, value: h.value})
	}
next:
	for _, d := range defaultSend {
		for _, h := range hs {
			if modutil.EqualFold(h.name, d.name) {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}

type proxyHeader struct {
	name  string
	value *httpd.Value
}

func newLocConf() *locConf {
	return &locConf{http11: -1, bodyOff: -1, redirect: -1, intercept: -1, sslVerify: -1, buffering: -1, sslServerName: -1, ignoreAbort: -1, reqBuffering: -1, nextTries: -1, nextTimeout: -1, bufSize: -1}
}

func mergeTime(v *time.Duration, p, def time.Duration) {
	if *v == 0 {
		*v = p
	}
	if *v == 0 {
		*v = def
	}
}

// mergeLocConf inherits what a level leaves unset, with nginx's defaults.
func mergeLocConf(parent, child any) {
	p, s := parent.(*locConf), child.(*locConf)
	if !s.headersSet {
		s.headers, s.headersSet = p.headers, p.headersSet
	}
	if s.hide == nil {
		s.hide = p.hide
	}
	if s.passHdr == nil {
		s.passHdr = p.passHdr
	}
	httpd.MergeValue(&s.http11, p.http11, 0)
	mergeTime(&s.connect, p.connect, 60*time.Second)
	mergeTime(&s.read, p.read, 60*time.Second)
	mergeTime(&s.send, p.send, 60*time.Second)
	httpd.MergeValue(&s.bodyOff, p.bodyOff, 0)
	httpd.MergeValue(&s.redirect, p.redirect, 1)
	httpd.MergeValue(&s.intercept, p.intercept, 0)
	httpd.MergeValue(&s.sslVerify, p.sslVerify, -1)
	httpd.MergeValue(&s.buffering, p.buffering, -1)
	httpd.MergeValue(&s.sslServerName, p.sslServerName, -1)
	httpd.MergeValue(&s.ignoreAbort, p.ignoreAbort, 0)
	httpd.MergeValue(&s.reqBuffering, p.reqBuffering, 1)
	if s.bufSize < 0 {
		s.bufSize = p.bufSize
	}
	if s.bufSize < 0 {
		s.bufSize = os.Getpagesize() // nginx's 4k|8k: one memory page
	}
	if s.nextUp == 0 {
		s.nextUp = p.nextUp
	}
	if s.nextUp == 0 {
		s.nextUp = nextSet | nextError | nextTimeout
	}
	if s.nextTries < 0 {
		s.nextTries = p.nextTries
	}
	if s.nextTries < 0 {
		s.nextTries = 0
	}
	if s.nextTimeout < 0 {
		s.nextTimeout = p.nextTimeout
	}
	if s.nextTimeout < 0 {
		s.nextTimeout = 0
	}
	if !s.bindSet {
		s.bind, s.bindSet = p.bind, p.bindSet
	}
	s.reqHeaders = sendList(s.headers)
}

func confOf(l *httpd.LocConf) *locConf { return Module.Conf(l).(*locConf) }

func flag(d *conf.Directive) int8 {
	if d.Args[0] == "on" {
		return 1
	}
	return 0
}

func setProxyPass(b *httpd.Builder, d *conf.Directive) error {
	l := b.Loc()
	if l.HasContent() {
		return conf.Errorf(d, "\"proxy_pass\" directive is duplicate")
	}
	p, err := parseProxyPass(b, d.Args[0])
	if err != nil {
		return conf.Errorf(d, "%s", err.Error())
	}
	if k := l.Kind(); p.hasURI && !p.dynamic && (k == httpd.LocRegex || k == httpd.LocNamed || k == httpd.LocIf) {
		return conf.Errorf(d, "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
	}
	b.SetContent(p, true)
	return nil
}

// proxy_bind address|off: the local address of upstream connections,
// with variables (an empty value binds nothing). "transparent" needs
// privileges nginx's workers drop; it is refused as on a build without
// IP_TRANSPARENT.
func setProxyBind(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.bindSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	s.bindSet = true
	if d.Args[0] == "off" {
		return nil
	}
	if len(d.Args) == 2 {
		if d.Args[1] != "transparent" {
			return conf.Errorf(d, "invalid parameter \"%s\"", d.Args[1])
		}
		return conf.Errorf(d, "transparent proxying is not supported on this platform, ignored")
	}
	s.bind = b.Value(d.Args[0])
	return nil
}

// localAddr parses proxy_bind's evaluated value as ngx_parse_addr_port
// does: an IPv4 or bracketed IPv6 address with an optional port.
func localAddr(v string) (*net.TCPAddr, bool) {
	host, port := v, 0
	if h, p, err := net.SplitHostPort(v); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return nil, false
		}
		host, port = h, n
	} else if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		host = v[1 : len(v)-1]
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, false
	}
	return &net.TCPAddr{IP: ip, Port: port}, true
}

func setProxySetHeader(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if !s.headersSet {
		s.headers, s.headersSet = nil, true
	}
	s.headers = append(s.headers, proxyHeader{name: d.Args[0], value: b.Value(d.Args[1])})
	return nil
}

func setProxyHideHeader(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	s.hide = append(s.hide, d.Args[0])
	return nil
}

func setProxyPassHeader(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	s.passHdr = append(s.passHdr, d.Args[0])
	return nil
}

func setProxyHTTPVersion(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	switch d.Args[0] {
	case "1.0":
		s.http11 = 0
	case "1.1":
		s.http11 = 1
	default:
		return conf.Errorf(d, "invalid value \"%s\" in \"proxy_http_version\" directive, it must be \"1.0\" or \"1.1\"", d.Args[0])
	}
	return nil
}

func parseTimeArg(d *conf.Directive) (time.Duration, error) {
	t, err := conf.ParseTime(d.Args[0])
	if err != nil {
		return 0, conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	return t, nil
}

func setProxyConnectTimeout(b *httpd.Builder, d *conf.Directive) (err error) {
	confOf(b.Loc()).connect, err = parseTimeArg(d)
	return err
}

func setProxyReadTimeout(b *httpd.Builder, d *conf.Directive) (err error) {
	confOf(b.Loc()).read, err = parseTimeArg(d)
	return err
}

func setProxySendTimeout(b *httpd.Builder, d *conf.Directive) (err error) {
	confOf(b.Loc()).send, err = parseTimeArg(d)
	return err
}

func setProxyBufferSize(b *httpd.Builder, d *conf.Directive) error {
	n, err := conf.ParseSize(d.Args[0])
	if err != nil || n <= 0 || n > 1<<30 {
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	confOf(b.Loc()).bufSize = int(n)
	return nil
}

func setProxyBuffering(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).buffering = flag(d)
	return nil
}

func setProxySSLVerify(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).sslVerify = flag(d)
	return nil
}

func setProxySSLServerName(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).sslServerName = flag(d)
	return nil
}

func setProxyPassRequestBody(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).bodyOff = 1 - flag(d)
	return nil
}

func setProxyInterceptErrors(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).intercept = flag(d)
	return nil
}

func setProxyIgnoreClientAbort(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).ignoreAbort = flag(d)
	return nil
}

func setProxyRequestBuffering(b *httpd.Builder, d *conf.Directive) error {
	confOf(b.Loc()).reqBuffering = flag(d)
	return nil
}

// nextMask is proxy_next_upstream's set of cases (nginx's
// NGX_HTTP_UPSTREAM_FT_* bits).
type nextMask uint16

const (
	nextError nextMask = 1 << iota
	nextTimeout
	nextInvalidHeader
	nextHTTP500
	nextHTTP502
	nextHTTP503
	nextHTTP504
	nextHTTP403
	nextHTTP404
	nextHTTP429
	nextNonIdempotent
	nextOff
	nextSet // the directive was read (0 is unset)
)

var nextNames = []struct {
	name string
	bit  nextMask
}{
	{"error", nextError}, {"timeout", nextTimeout}, {"invalid_header", nextInvalidHeader},
	{"http_500", nextHTTP500}, {"http_502", nextHTTP502}, {"http_503", nextHTTP503},
	{"http_504", nextHTTP504}, {"http_403", nextHTTP403}, {"http_404", nextHTTP404},
	{"http_429", nextHTTP429}, {"non_idempotent", nextNonIdempotent}, {"off", nextOff},
	{"updating", 0},
}

// setProxyNextUpstream is nginx's bitmask slot: each value once.
func setProxyNextUpstream(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	m := s.nextUp | nextSet
	for _, a := range d.Args {
		found := false
		for _, n := range nextNames {
			if n.name == a {
				if n.bit != 0 && m&n.bit != 0 {
					b.Warnf(d, "duplicate value \"%s\"", a)
				}
				m |= n.bit
				found = true
				break
			}
		}
		if !found {
			return conf.Errorf(d, "invalid value \"%s\"", a)
		}
	}
	if m&nextOff != 0 {
		m = nextSet | nextOff
	}
	s.nextUp = m
	return nil
}

func setProxyNextUpstreamTries(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.nextTries >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, err := strconv.Atoi(d.Args[0])
	if err != nil || n < 0 {
		return conf.Errorf(d, "invalid number \"%s\"", d.Args[0])
	}
	s.nextTries = n
	return nil
}

func setProxyNextUpstreamTimeout(b *httpd.Builder, d *conf.Directive) (err error) {
	s := confOf(b.Loc())
	if s.nextTimeout >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	s.nextTimeout, err = parseTimeArg(d)
	return err
}

func setProxyRedirect(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	switch d.Args[0] {
	case "off":
		s.redirect = 0
	case "default":
		s.redirect = 1
	default:
		return conf.Errorf(d, "proxy_redirect with a replacement is not supported")
	}
	return nil
}

// configured binds proxy_pass names to upstream blocks and gives every
// upstream peer its keepalive pool.
func configured(rt *httpd.Runtime) error {
	m := mainOf(rt)
	for _, u := range m.upstreams {
		for _, p := range u.all {
			p.pool = m.poolFor(p.addr, false, nil, u.keepalive)
		}
	}
	for _, p := range m.pending {
		if u := m.upstreams[p.host]; u != nil {
			p.upstream = u
		}
	}
	m.pending = nil
	return nil
}

// closed releases the idle upstream connections of a configuration.
func closed(rt *httpd.Runtime) {
	m := mainOf(rt)
	m.poolsMu.Lock()
	defer m.poolsMu.Unlock()
	for _, p := range m.pools {
		p.closeIdle()
	}
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
