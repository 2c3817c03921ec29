// Package realip is ngx_http_realip_module: the client address is taken
// from a header (X-Real-IP, X-Forwarded-For, another one) or the PROXY
// protocol when the connection comes from a Trusted address.
package realip

import (
	"net"
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
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

type locConf struct {
	from      []modutil.Trusted // nil: realip is off
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
		c.from = []modutil.Trusted{}
	}
	if a == "unix:" {
		c.from = append(c.from, modutil.Trusted{Unix: true})
		return nil
	}
	if n, err := parseCIDR(b, d, a); err == nil {
		c.from = append(c.from, modutil.Trusted{Net: n})
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
		c.from = append(c.from, modutil.Trusted{Net: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}})
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
		if !modutil.Match(modutil.AddrPort{IP: ip, Unix: ip == nil}, c.from) {
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
	cur := modutil.AddrPort{IP: ip, Unix: ip == nil}
	var found bool
	if c.typ == xForwardedFor {
		cur, found = modutil.ForwardedHeaders(cur, values, c.from, c.recursive == 1)
	} else {
		cur, found = modutil.Forwarded(cur, string(values[0]), c.from, c.recursive == 1)
	}
	if !found {
		return httpd.Declined
	}
	Module.SetReqCtx(r, &reqCtx{addr: addr, port: port})
	r.SetClientAddr(cur.IP, cur.Port)
	return httpd.Declined
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
