package proxy

import (
	"net"
	"time"
)

// Peer selection as nginx's upstream round robin
// (ngx_http_upstream_round_robin.c) with the least_conn and ip_hash
// methods: smooth weighted round robin over the primary servers, a
// server that failed max_fails times within fail_timeout skipped for
// fail_timeout, the backup servers once every primary one is tried or
// down, and max_conns. The state is shared by every worker (nginx keeps
// one per worker without a zone).

type balanceMethod uint8

const (
	balanceRR balanceMethod = iota
	balanceLeastConn
	balanceIPHash
)

// peerSet is the primary or the backup servers of an upstream.
type peerSet struct {
	peers       []*peer
	single      bool
	totalWeight int
	tries       int // servers not down
}

// pick is one request's walk through an upstream's servers (nginx's
// ngx_http_upstream_rr_peer_data_t plus the ip_hash fields).
type pick struct {
	up      *Upstream
	set     *peerSet
	tried   []uint64
	cur     *peer
	tries   int // what is left of proxy_next_upstream_tries
	hash    uint32
	hashTry int
	addr    [16]byte
	addrLen int
}

// begin starts the walk for a request from client address ra.
func (pk *pick) begin(up *Upstream, limit int, ip net.IP) {
	tried := pk.tried[:0]
	*pk = pick{up: up, set: &up.primary, tried: tried}
	n := len(up.primary.peers)
	if len(up.backup.peers) > n {
		n = len(up.backup.peers)
	}
	for i := 0; i < (n+63)/64; i++ {
		pk.tried = append(pk.tried, 0)
	}
	pk.tries = up.primary.tries + up.backup.tries
	if limit > 0 && pk.tries > limit {
		pk.tries = limit
	}
	if up.method == balanceIPHash {
		pk.hash = 89
		pk.addrLen = 3
		if ip4 := ip.To4(); ip4 != nil {
			copy(pk.addr[:], ip4[:3])
		} else if len(ip) == 16 {
			copy(pk.addr[:], ip)
			pk.addrLen = 16
		}
	}
}

func (pk *pick) isTried(i int) bool { return pk.tried[i/64]&(1<<(uint(i)%64)) != 0 }
func (pk *pick) setTried(i int)     { pk.tried[i/64] |= 1 << (uint(i) % 64) }
func (pk *pick) resetTried() {
	for i := range pk.tried {
		pk.tried[i] = 0
	}
}

// usable is whether a server may be chosen now.
func usable(p *peer, now int64) bool {
	if p.down {
		return false
	}
	if p.maxFails > 0 && p.fails >= p.maxFails && now-p.checked <= p.failTimeout {
		return false
	}
	return p.maxConns == 0 || p.conns < p.maxConns
}

// next chooses the server for the next try, nil when none is live
// (nginx's NGX_BUSY: "no live upstreams").
func (pk *pick) next() *peer {
	u := pk.up
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now().Unix()
	for {
		var p *peer
		switch {
		case u.method == balanceIPHash && pk.set == &u.primary && pk.hashTry <= 20 && !pk.set.single:
			p = pk.ipHash(now)
			if p == nil {
				continue // past 20 tries: round robin
			}
		case u.method == balanceLeastConn && !pk.set.single:
			p = pk.leastConn(now)
		case pk.set.single:
			if q := pk.set.peers[0]; !q.down && (q.maxConns == 0 || q.conns < q.maxConns) {
				p = q
			}
		default:
			p = pk.roundRobin(now)
		}
		if p != nil {
			p.conns++
			pk.cur = p
			return p
		}
		if pk.set == &u.primary && len(u.backup.peers) > 0 {
			pk.set = &u.backup
			pk.resetTried()
			continue
		}
		return nil
	}
}

func (pk *pick) roundRobin(now int64) *peer {
	var best *peer
	bi, total := 0, 0
	for i, p := range pk.set.peers {
		if pk.isTried(i) || !usable(p, now) {
			continue
		}
		p.current += p.effective
		total += p.effective
		if p.effective < p.weight {
			p.effective++
		}
		if best == nil || p.current > best.current {
			best, bi = p, i
		}
	}
	if best == nil {
		return nil
	}
	pk.setTried(bi)
	best.current -= total
	if now-best.checked > best.failTimeout {
		best.checked = now
	}
	return best
}

func (pk *pick) leastConn(now int64) *peer {
	peers := pk.set.peers
	var best *peer
	bi, many := 0, false
	for i, p := range peers {
		if pk.isTried(i) || !usable(p, now) {
			continue
		}
		if best == nil || p.conns*best.weight < best.conns*p.weight {
			best, bi, many = p, i, false
		} else if p.conns*best.weight == best.conns*p.weight {
			many = true
		}
	}
	if best == nil {
		return nil
	}
	if many {
		total := 0
		first := best
		for i := bi; i < len(peers); i++ {
			p := peers[i]
			if pk.isTried(i) || !usable(p, now) || p.conns*first.weight != first.conns*p.weight {
				continue
			}
			p.current += p.effective
			total += p.effective
			if p.effective < p.weight {
				p.effective++
			}
			if p.current > best.current {
				best, bi = p, i
			}
		}
		best.current -= total
	}
	if now-best.checked > best.failTimeout {
		best.checked = now
	}
	pk.setTried(bi)
	return best
}

// ipHash is nginx's ip_hash: the first three bytes of an IPv4 client
// address (all of an IPv6 one) pick the server; nil after 20 misses,
// when round robin takes over.
func (pk *pick) ipHash(now int64) *peer {
	hash := pk.hash
	for {
		for i := 0; i < pk.addrLen; i++ {
			hash = (hash*113 + uint32(pk.addr[i])) % 6271
		}
		w := int(hash % uint32(pk.set.totalWeight))
		i := 0
		for w >= pk.set.peers[i].weight {
			w -= pk.set.peers[i].weight
			i++
		}
		p := pk.set.peers[i]
		if !pk.isTried(i) && usable(p, now) {
			if now-p.checked > p.failTimeout {
				p.checked = now
			}
			pk.setTried(i)
			pk.hash = hash
			return p
		}
		pk.hashTry++
		if pk.hashTry > 20 {
			return nil
		}
	}
}

// free ends the try of the current server: failed counts against its
// max_fails; a success after fail_timeout makes it live again. It
// reports whether the server is now disabled for fail_timeout.
func (pk *pick) free(failed bool) (disabled bool) {
	p := pk.cur
	if p == nil {
		return false
	}
	pk.cur = nil
	u := pk.up
	u.mu.Lock()
	p.conns--
	if pk.set.single {
		u.mu.Unlock()
		pk.tries = 0
		return false
	}
	if failed {
		now := time.Now().Unix()
		p.fails++
		p.accessed, p.checked = now, now
		if p.maxFails > 0 {
			p.effective -= p.weight / p.maxFails
		}
		if p.effective < 0 {
			p.effective = 0
		}
	} else if p.accessed < p.checked {
		p.fails = 0
	}
	disabled = failed && p.maxFails > 0 && p.fails >= p.maxFails
	u.mu.Unlock()
	if pk.tries > 0 {
		pk.tries--
	}
	return disabled
}
