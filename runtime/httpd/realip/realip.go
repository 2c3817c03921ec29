// Package realip is ngx_http_realip_module: the client address is taken
// from a header (X-Real-IP, X-Forwarded-For, another one) or the PROXY
// protocol when the connection comes from a trusted address.
package realip

import (
	"net"
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the realip module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "realip",
		Commands: []httpd.Command{
			httpd.Directive(setRealIPFrom, conf.Spec{Name: "set_real_ip_from", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setRealIPHeader, conf.Spec{Name: "real_ip_header", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setRealIPRecursive, conf.Spec{Name: "real_ip_recursive", Ctx: hSL, Args: conf.Flag}),
		},
		Variables: []httpd.Variable{
			{Name: "realip_remote_addr", Get: realipRemoteAddr},
			{Name: "realip_remote_port", Get: realipRemotePort},
		},
		CreateLocConf: func() any { return &locConf{typ: unset, recursive: -1} },
		MergeLocConf:  mergeLocConf,
		Hooks:         hooks,
	}
}

// nginx runs the handler at post-read with the server's settings, and
// again at preaccess with the location's when the first did nothing.
func hooks(h *httpd.Hooks) {
	h.Phase(httpd.PostReadPhase, handler)
	h.Phase(httpd.PreAccessPhase, handler)
}

type headerType uint8

const (
	unset headerType = iota
	xRealIP
	xForwardedFor
	proxyProtocol
	otherHeader
)

// trusted is one set_real_ip_from: a network, or "unix:".
type trusted struct {
	net  *net.IPNet
	unix bool
}

type locConf struct {
	from      []trusted // nil: realip is off
	typ       headerType
	header    string // the header for otherHeader
	recursive int8   // -1 unset
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if c.from == nil {
		c.from = p.from
	}
	if c.typ == unset {
		c.typ, c.header = p.typ, p.header
		if c.typ == unset {
			c.typ = xRealIP
		}
	}
	httpd.MergeValue(&c.recursive, p.recursive, 0)
}

func setRealIPFrom(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	a := d.Args[0]
	if c.from == nil {
		c.from = []trusted{}
	}
	if a == "unix:" {
		c.from = append(c.from, trusted{unix: true})
		return nil
	}
	if n, err := parseCIDR(b, d, a); err == nil {
		c.from = append(c.from, trusted{net: n})
		return nil
	}
	ips, err := net.LookupIP(a)
	if err != nil || len(ips) == 0 {
		return conf.Errorf(d, "host not found in set_real_ip_from \"%s\"", a)
	}
	for _, ip := range ips {
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		c.from = append(c.from, trusted{net: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}})
	}
	return nil
}

// parseCIDR is ngx_ptocidr: an address, a network or "all", with nginx's
// warning when the address has bits beyond the mask.
func parseCIDR(b *httpd.Builder, d *conf.Directive, a string) (*net.IPNet, error) {
	if a == "all" {
		return &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, nil
	}
	if !strings.Contains(a, "/") {
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, net.InvalidAddrError(a)
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil && !strings.Contains(a, ":") {
			ip, bits = ip4, 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	ip, n, err := net.ParseCIDR(a)
	if err != nil {
		return nil, err
	}
	if !ip.Equal(n.IP) {
		b.Warnf(d, "low address bits of %s are meaningless", a)
	}
	return n, nil
}

func setRealIPHeader(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.typ != unset {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	switch a := d.Args[0]; a {
	case "X-Real-IP":
		c.typ = xRealIP
	case "X-Forwarded-For":
		c.typ = xForwardedFor
	case "proxy_protocol":
		c.typ = proxyProtocol
	default:
		c.typ, c.header = otherHeader, a
	}
	return nil
}

func setRealIPRecursive(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.recursive >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.recursive = 0
	if d.Flag() {
		c.recursive = 1
	}
	return nil
}

// reqCtx is the connection's own address, kept when realip replaced it.
type reqCtx struct {
	addr, port string
}

// handler is ngx_http_realip_handler.
func handler(r *httpd.Request) httpd.Status {
	c := Module.Conf(r.Loc()).(*locConf)
	if c.from == nil || r.HasClientAddr() {
		return httpd.Declined
	}
	h := r.Header()
	var values [][]byte
	switch c.typ {
	case xRealIP:
		v := h.Peek("X-Real-IP")
		if v == nil {
			return httpd.Declined
		}
		values = [][]byte{v}
	case xForwardedFor:
		values = h.PeekAll("X-Forwarded-For")
		if len(values) == 0 {
			return httpd.Declined
		}
	case proxyProtocol:
		a, port, ok := r.ProxyProtocolAddr()
		if !ok {
			return httpd.Declined
		}
		ip, addr, cport := r.ConnAddr()
		if !match(addrPort{ip: ip, unix: ip == nil}, c.from) {
			return httpd.Declined
		}
		pip := net.ParseIP(a)
		if pip == nil {
			return httpd.Declined
		}
		n, _ := strconv.Atoi(port)
		Module.SetReqCtx(r, &reqCtx{addr: addr, port: cport})
		r.SetClientAddr(pip, n)
		return httpd.Declined
	default:
		v := h.Peek(c.header)
		if v == nil {
			return httpd.Declined
		}
		values = [][]byte{v}
	}
	ip, addr, port := r.ConnAddr()
	cur := addrPort{ip: ip, unix: ip == nil}
	var found bool
	if c.typ == xForwardedFor {
		cur, found = forwardedHeaders(cur, values, c.from, c.recursive == 1)
	} else {
		cur, found = forwarded(cur, string(values[0]), c.from, c.recursive == 1)
	}
	if !found {
		return httpd.Declined
	}
	Module.SetReqCtx(r, &reqCtx{addr: addr, port: port})
	r.SetClientAddr(cur.ip, cur.port)
	return httpd.Declined
}

type addrPort struct {
	ip   net.IP
	port int
	unix bool
}

func match(a addrPort, from []trusted) bool {
	for _, t := range from {
		if t.unix {
			if a.unix {
				return true
			}
			continue
		}
		if !a.unix && t.net.Contains(a.ip) {
			return true
		}
	}
	return false
}

// forwardedHeaders is ngx_http_get_forwarded_addr over several headers:
// the last first, going on to the earlier ones when recursive.
func forwardedHeaders(a addrPort, values [][]byte, from []trusted, recursive bool) (addrPort, bool) {
	found := false
	for i := len(values) - 1; i >= 0; i-- {
		next, ok, done := forwardedOne(a, string(values[i]), from, recursive)
		if ok {
			a, found = next, true
		}
		if !recursive || !ok || done {
			break
		}
	}
	return a, found
}

func forwarded(a addrPort, v string, from []trusted, recursive bool) (addrPort, bool) {
	a, ok, _ := forwardedOne(a, v, from, recursive)
	return a, ok
}

// forwardedOne is ngx_http_get_forwarded_addr_internal: while the current
// address is trusted, take the last address of the list; ok reports a
// change, done that the walk stopped inside this value (an untrusted
// address or an unparsable entry).
func forwardedOne(a addrPort, v string, from []trusted, recursive bool) (out addrPort, ok, done bool) {
	found := false
	xff := v
	for {
		if !match(a, from) {
			return a, found, true
		}
		n := len(xff)
		p := n - 1
		for ; p > 0; p-- {
			if xff[p] != ' ' && xff[p] != ',' {
				break
			}
			n--
		}
		for ; p > 0; p-- {
			if xff[p] == ' ' || xff[p] == ',' {
				p++
				break
			}
		}
		if p < 0 {
			p = 0
		}
		next, good := parseAddrPort(xff[p:n])
		if !good {
			return a, found, true
		}
		a, found = next, true
		if !recursive || p == 0 {
			return a, true, false
		}
		xff = xff[:p-1]
	}
}

// parseAddrPort is ngx_parse_addr_port: "1.2.3.4", "1.2.3.4:80", "::1",
// "[::1]", "[::1]:80".
func parseAddrPort(s string) (addrPort, bool) {
	if s == "" {
		return addrPort{}, false
	}
	if ip := net.ParseIP(s); ip != nil {
		return addrPort{ip: ip}, true
	}
	host, port := s, ""
	if s[0] == '[' {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return addrPort{}, false
		}
		host = s[1:i]
		rest := s[i+1:]
		if rest != "" {
			if rest[0] != ':' {
				return addrPort{}, false
			}
			port = rest[1:]
		}
		if strings.IndexByte(host, ':') < 0 {
			return addrPort{}, false
		}
	} else {
		i := strings.IndexByte(s, ':')
		if i < 0 || strings.IndexByte(s[i+1:], ':') >= 0 {
			return addrPort{}, false
		}
		host, port = s[:i], s[i+1:]
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return addrPort{}, false
	}
	a := addrPort{ip: ip}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return addrPort{}, false
		}
		a.port = n
	}
	return a, true
}

// $realip_remote_addr: the connection's address before realip.
func realipRemoteAddr(r *httpd.Request) (string, bool) {
	if ctx, _ := Module.ReqCtx(r).(*reqCtx); ctx != nil {
		return ctx.addr, true
	}
	v, _ := r.Var("remote_addr")
	return v, true
}

func realipRemotePort(r *httpd.Request) (string, bool) {
	if ctx, _ := Module.ReqCtx(r).(*reqCtx); ctx != nil {
		return ctx.port, true
	}
	v, _ := r.Var("remote_port")
	return v, true
}
