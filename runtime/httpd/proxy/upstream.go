package proxy

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Upstream is an upstream{} block: servers with weights, one keepalive
// pool per server.
type Upstream struct {
	name      string
	peers     []*peer
	keepalive int
	balancer  *httpd.LuaHandler // balancer_by_lua*
	rr        atomic.Uint64
	wheel     []*peer // weighted round-robin order
}

type peer struct {
	addr   string
	weight int
	backup bool
	down   bool
	pool   *connPool
}

func setUpstream(b *httpd.Builder, d *conf.Directive) error {
	m := mainOf(b.Runtime())
	if _, dup := m.upstreams[d.Args[0]]; dup {
		return conf.Errorf(d, "duplicate upstream \"%s\"", d.Args[0])
	}
	u := &Upstream{name: d.Args[0]}
	m.building = u
	if err := b.Run(d.Block, conf.Upstream); err != nil {
		return err
	}
	m.building = nil
	if len(u.peers) == 0 {
		return conf.Errorf(d, "no servers are inside upstream")
	}
	for _, p := range u.peers {
		for i := 0; i < p.weight; i++ {
			u.wheel = append(u.wheel, p)
		}
	}
	m.upstreams[u.name] = u
	return nil
}

func setKeepalive(b *httpd.Builder, d *conf.Directive) error {
	n, err := b.Atoi(d, d.Args[0])
	mainOf(b.Runtime()).building.keepalive = n
	return err
}

func setBalancer(b *httpd.Builder, d *conf.Directive) error {
	mainOf(b.Runtime()).building.balancer = b.LuaHandler(d, "balancer_by_lua", len(d.Args)-1)
	return nil
}

func setUpstreamServer(b *httpd.Builder, d *conf.Directive) error {
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
	u := mainOf(b.Runtime()).building
	u.peers = append(u.peers, p)
	return nil
}

func (u *Upstream) pick() *peer {
	if len(u.wheel) == 1 {
		return u.wheel[0]
	}
	n := u.rr.Add(1)
	return u.wheel[int(n)%len(u.wheel)]
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

// poolFor returns the connections to an address: keepalive is the
// upstream block's keepalive (0: none kept, as nginx without it).
func (m *mainConf) poolFor(addr string, useTLS bool, s *locConf, keepalive int) *connPool {
	var tc *tls.Config
	var b strings.Builder
	b.WriteString(addr)
	if useTLS {
		// proxy_ssl_verify (off) and proxy_ssl_server_name (off) as nginx
		verify, sni := false, false
		if s != nil {
			verify, sni = s.sslVerify == 1, s.sslServerName == 1
		}
		host, _, _ := net.SplitHostPort(addr)
		tc = &tls.Config{InsecureSkipVerify: !verify}
		if sni || verify {
			tc.ServerName = host
		}
		fmt.Fprintf(&b, "|tls|%v|%v", verify, sni)
	}
	fmt.Fprintf(&b, "|%d", keepalive)
	key := b.String()
	m.poolsMu.Lock()
	defer m.poolsMu.Unlock()
	if p := m.pools[key]; p != nil {
		return p
	}
	p := &connPool{addr: addr, tls: tc, maxIdle: keepalive}
	m.pools[key] = p
	return p
}
