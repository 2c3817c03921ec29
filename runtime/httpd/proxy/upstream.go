package proxy

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Upstream is an upstream{} block: its servers (primary and backup),
// the balancing method, one keepalive pool per server.
type Upstream struct {
	name      string
	keepalive int
	balancer  *httpd.LuaHandler // balancer_by_lua*
	method    balanceMethod
	all       []*peer // as listed
	primary   peerSet
	backup    peerSet
	mu        sync.Mutex // the peers' counters
}

type peer struct {
	addr        string
	weight      int
	maxFails    int
	maxConns    int
	failTimeout int64 // seconds
	backup      bool
	down        bool
	pool        *connPool

	// under Upstream.mu
	current, effective int
	conns, fails       int
	accessed, checked  int64
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
	for _, p := range u.all {
		set := &u.primary
		if p.backup {
			set = &u.backup
		}
		set.peers = append(set.peers, p)
		set.totalWeight += p.weight
		if !p.down {
			set.tries++
		}
	}
	if len(u.primary.peers) == 0 {
		return conf.Errorf(d, "no servers are inside upstream")
	}
	u.primary.single = len(u.primary.peers) == 1 && len(u.backup.peers) == 0
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

// setLeastConn and setIPHash choose the balancing method; the servers
// listed after ip_hash cannot be backup ones, as nginx.
func setLeastConn(b *httpd.Builder, d *conf.Directive) error {
	return setMethod(b, d, balanceLeastConn)
}

func setIPHash(b *httpd.Builder, d *conf.Directive) error {
	return setMethod(b, d, balanceIPHash)
}

func setMethod(b *httpd.Builder, d *conf.Directive, m balanceMethod) error {
	u := mainOf(b.Runtime()).building
	if u.method != balanceRR {
		b.Warnf(d, "load balancing method redefined")
	}
	u.method = m
	return nil
}

func setUpstreamServer(b *httpd.Builder, d *conf.Directive) error {
	u := mainOf(b.Runtime()).building
	p := &peer{addr: d.Args[0], weight: 1, maxFails: 1, failTimeout: 10}
	if !strings.Contains(p.addr, ":") {
		p.addr += ":80"
	}
	for _, a := range d.Args[1:] {
		var err error
		switch {
		case strings.HasPrefix(a, "weight="):
			p.weight, err = strconv.Atoi(a[7:])
			if err == nil && p.weight < 1 {
				err = strconv.ErrRange
			}
		case strings.HasPrefix(a, "max_fails="):
			p.maxFails, err = strconv.Atoi(a[10:])
			if err == nil && p.maxFails < 0 {
				err = strconv.ErrRange
			}
		case strings.HasPrefix(a, "max_conns="):
			p.maxConns, err = strconv.Atoi(a[10:])
			if err == nil && p.maxConns < 0 {
				err = strconv.ErrRange
			}
		case strings.HasPrefix(a, "fail_timeout="):
			var t time.Duration
			t, err = conf.ParseTime(a[13:])
			p.failTimeout = int64(t / time.Second)
		case a == "backup":
			if u.method == balanceIPHash {
				return conf.Errorf(d, "balancing method does not support parameter \"%s\"", a)
			}
			p.backup = true
		case a == "down":
			p.down = true
		default:
			err = strconv.ErrSyntax
		}
		if err != nil {
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	p.effective = p.weight
	u.all = append(u.all, p)
	return nil
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
