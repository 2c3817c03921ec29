// Package geo is ngx_http_geo_module: a variable whose value depends on
// the client address (or another address).
package geo

import (
	"encoding/binary"
	"net"
	"sort"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
)

// Module is the geo module.
var Module = &httpd.Module{
	Name: "geo",
	Commands: []httpd.Command{
		httpd.Directive(setGeo, conf.Spec{Name: "geo", Ctx: conf.HTTP, Args: conf.Take12, Block: true, Child: conf.Raw}),
	},
}

// geoVar is one geo{}: an IPv4 and an IPv6 table of networks (the most
// specific wins), or IPv4 ranges when "ranges" is given.
type geoVar struct {
	src     *httpd.Value // nil: the client address
	v4, v6  table
	ranges  []ipRange // later definitions first
	def     string    // the ranges' default
	isRange bool
	// proxies are the "proxy" addresses: a request from one of them is
	// looked up by its X-Forwarded-For (the last address, or with
	// proxy_recursive the last one that is not a proxy)
	proxies   []modutil.Trusted
	recursive bool
}

// table holds networks by prefix length; keys are the masked addresses.
type table struct {
	lengths []int // longest first
	nets    map[int]map[[16]byte]string
}

type ipRange struct {
	lo, hi  uint32
	value   string
	deleted bool
}

func maskKey(ip []byte, bits int) [16]byte {
	var m [16]byte
	for i := 0; i < len(ip); i++ {
		switch {
		case bits >= 8:
			m[i] = ip[i]
			bits -= 8
		case bits > 0:
			m[i] = ip[i] & byte(0xff<<(8-bits))
			bits = 0
		}
	}
	return m
}

func (t *table) set(b *httpd.Builder, d *conf.Directive, text string, k [16]byte, bits int, value string) {
	if t.nets == nil {
		t.nets = map[int]map[[16]byte]string{}
	}
	m := t.nets[bits]
	if m == nil {
		m = map[[16]byte]string{}
		t.nets[bits] = m
		t.lengths = append(t.lengths, bits)
		sort.Sort(sort.Reverse(sort.IntSlice(t.lengths)))
	}
	if old, ok := m[k]; ok {
		b.Warnf(d, "duplicate network \"%s\", value: \"%s\", old value: \"%s\"", text, value, old)
	}
	m[k] = value
}

func (t *table) del(k [16]byte, bits int) bool {
	if m := t.nets[bits]; m != nil {
		if _, ok := m[k]; ok {
			delete(m, k)
			return true
		}
	}
	return false
}

func (t *table) find(ip []byte) (string, bool) {
	for _, l := range t.lengths {
		if v, ok := t.nets[l][maskKey(ip, l)]; ok {
			return v, true
		}
	}
	return "", false
}

func setGeo(b *httpd.Builder, d *conf.Directive) error {
	g := &geoVar{}
	name := d.Args[0]
	if len(d.Args) == 2 {
		if !strings.HasPrefix(name, "$") {
			return conf.Errorf(d, "invalid variable name \"%s\"", name)
		}
		g.src = b.Value(name)
		name = d.Args[1]
	}
	if !strings.HasPrefix(name, "$") {
		return conf.Errorf(d, "invalid variable name \"%s\"", name)
	}
	for _, e := range d.Block {
		switch {
		case e.Name == "ranges" && len(e.Args) == 0:
			g.isRange = true
			continue
		case e.Name == "proxy_recursive" && len(e.Args) == 0:
			g.recursive = true
			continue
		case e.Name == "proxy" && len(e.Args) == 1:
			n, err := proxyNet(b, e, e.Args[0])
			if err != nil {
				return err
			}
			g.proxies = append(g.proxies, modutil.Trusted{Net: n})
			continue
		}
		if len(e.Args) != 1 {
			return conf.Errorf(e, "invalid number of the geo parameters")
		}
		var err error
		switch {
		case e.Name == "delete":
			err = g.del(b, e, e.Args[0])
		case e.Name == "default":
			g.def = e.Args[0]
			if !g.isRange {
				g.v4.set(b, e, "default", [16]byte{}, 0, e.Args[0])
				g.v6.set(b, e, "default", [16]byte{}, 0, e.Args[0])
			}
		case g.isRange:
			err = g.addRange(e, e.Name, e.Args[0])
		default:
			err = g.add(b, e, e.Name, e.Args[0])
		}
		if err != nil {
			return err
		}
	}
	b.DefineVariable(name[1:], g.get)
	return nil
}

// parseNet is a network as nginx's ngx_ptocidr reads it: its table, key
// and prefix length.
func parseNet(b *httpd.Builder, d *conf.Directive, s string) (v6 bool, k [16]byte, bits int, err error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return false, k, 0, conf.Errorf(d, "invalid network \"%s\"", s)
		}
		if v4 := ip.To4(); v4 != nil && !strings.Contains(s, ":") {
			return false, maskKey(v4, 32), 32, nil
		}
		return true, maskKey(ip.To16(), 128), 128, nil
	}
	ip, n, e := net.ParseCIDR(s)
	if e != nil {
		return false, k, 0, conf.Errorf(d, "invalid network \"%s\"", s)
	}
	if !ip.Equal(n.IP) {
		b.Warnf(d, "low address bits of %s are meaningless", s)
	}
	ones, total := n.Mask.Size()
	if total == 32 {
		return false, maskKey(n.IP.To4(), ones), ones, nil
	}
	return true, maskKey(n.IP.To16(), ones), ones, nil
}

func (g *geoVar) add(b *httpd.Builder, d *conf.Directive, text, value string) error {
	v6, k, bits, err := parseNet(b, d, text)
	if err != nil {
		return err
	}
	if v6 {
		g.v6.set(b, d, text, k, bits, value)
	} else {
		g.v4.set(b, d, text, k, bits, value)
	}
	return nil
}

func (g *geoVar) del(b *httpd.Builder, d *conf.Directive, s string) error {
	if g.isRange {
		lo, hi, err := parseRange(d, s)
		if err != nil {
			return err
		}
		g.ranges = append([]ipRange{{lo: lo, hi: hi, deleted: true}}, g.ranges...)
		return nil
	}
	v6, k, bits, err := parseNet(b, d, s)
	if err != nil {
		return err
	}
	t := &g.v4
	if v6 {
		t = &g.v6
	}
	if !t.del(k, bits) {
		b.Warnf(d, "no network \"%s\" to delete", s)
	}
	return nil
}

func ip4(s string) (uint32, bool) {
	ip := net.ParseIP(s).To4()
	if ip == nil || strings.Contains(s, ":") {
		return 0, false
	}
	return binary.BigEndian.Uint32(ip), true
}

func parseRange(d *conf.Directive, s string) (uint32, uint32, error) {
	a, z, ok := strings.Cut(s, "-")
	lo, ok1 := ip4(a)
	hi, ok2 := ip4(z)
	if !ok || !ok1 || !ok2 || hi < lo {
		return 0, 0, conf.Errorf(d, "invalid range \"%s\"", s)
	}
	return lo, hi, nil
}

func (g *geoVar) addRange(d *conf.Directive, s, value string) error {
	lo, hi, err := parseRange(d, s)
	if err != nil {
		return err
	}
	g.ranges = append([]ipRange{{lo: lo, hi: hi, value: value}}, g.ranges...)
	return nil
}

// addr is the address looked up (ngx_http_geo_addr): the source value
// parsed or the client's, then, when it is a proxy's, the address its
// X-Forwarded-For names; 255.255.255.255 (nginx's INADDR_NONE) when the
// source is not an address or the client is on a unix socket.
func (g *geoVar) addr(r *httpd.Request) net.IP {
	var ip net.IP
	if g.src != nil {
		ip = net.ParseIP(g.src.Eval(r))
	} else {
		ip = r.ClientIP()
	}
	if ip == nil {
		return net.IPv4bcast
	}
	if g.proxies != nil {
		if xff := r.Header().PeekAll("X-Forwarded-For"); len(xff) > 0 {
			a, _ := modutil.ForwardedHeaders(modutil.AddrPort{IP: ip}, xff, g.proxies, g.recursive)
			ip = a.IP
		}
	}
	return ip
}

// proxyNet is a "proxy" address or network (ngx_http_geo_cidr_value).
func proxyNet(b *httpd.Builder, d *conf.Directive, s string) (*net.IPNet, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, conf.Errorf(d, "invalid network \"%s\"", s)
		}
		if v4 := ip.To4(); v4 != nil && !strings.Contains(s, ":") {
			return &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)}, nil
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}, nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, conf.Errorf(d, "invalid network \"%s\"", s)
	}
	if !ip.Equal(n.IP) {
		b.Warnf(d, "low address bits of %s are meaningless", s)
	}
	return n, nil
}

func (g *geoVar) get(r *httpd.Request) (string, bool) {
	ip := g.addr(r)
	v4 := ip.To4()
	if g.isRange {
		if v4 != nil {
			n := binary.BigEndian.Uint32(v4)
			for _, rg := range g.ranges {
				if n >= rg.lo && n <= rg.hi {
					if rg.deleted {
						break
					}
					return rg.value, true
				}
			}
		}
		return g.def, true
	}
	if v4 != nil {
		v, _ := g.v4.find(v4)
		return v, true
	}
	v, _ := g.v6.find(ip.To16())
	return v, true
}
