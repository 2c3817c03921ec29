// Package resolver is nginx's "resolver": a DNS client that asks the
// configured name servers over UDP for A (and, with ipv6=on, AAAA) records,
// caches the answers for their TTL (or valid=), and reports failures as
// nginx does ("3: Host not found", "110: Operation timed out", ...).
// It does not read /etc/hosts or resolv.conf's search list, as nginx's
// resolver does not.
package resolver

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/goresty/goresty/runtime/conf"
)

// DefaultTimeout is resolver_timeout's default.
const DefaultTimeout = 30 * time.Second

// resend is how long one query waits before it goes to the next server.
const resend = time.Second

// negativeTTL is how long a failed lookup is cached without valid=.
const negativeTTL = 10 * time.Second

// maxCache bounds the cached names; beyond it the cache starts over.
const maxCache = 4096

// Resolver is one "resolver" directive.
type Resolver struct {
	servers    []string // host:port
	valid      time.Duration
	ipv4, ipv6 bool
	Timeout    time.Duration // resolver_timeout

	next  atomic.Uint32
	mu    sync.Mutex
	cache map[string]entry
}

type entry struct {
	ips     []net.IP
	err     *Error
	expires time.Time
}

// Error is a failed lookup, with nginx's code and text.
type Error struct {
	Code int
	Text string
}

func (e *Error) Error() string { return strconv.Itoa(e.Code) + ": " + e.Text }

// nginx's ngx_resolver_strerror texts, by DNS rcode.
var rcodeText = map[int]string{
	1: "Format error",
	2: "Server failure",
	3: "Host not found",
	4: "Unimplemented",
	5: "Operation refused",
}

// ErrTimedOut is NGX_RESOLVE_TIMEDOUT.
var ErrTimedOut = &Error{Code: 110, Text: "Operation timed out"}

func rcodeError(code int) *Error {
	if t, ok := rcodeText[code]; ok {
		return &Error{Code: code, Text: t}
	}
	return &Error{Code: code, Text: "Unknown error"}
}

// Parse reads the resolver directive's arguments: addresses (with an
// optional :port, IPv6 in brackets) and valid=, ipv4=, ipv6=, status_zone=.
func Parse(args []string) (*Resolver, error) {
	r := &Resolver{ipv4: true, ipv6: true, Timeout: DefaultTimeout, cache: map[string]entry{}}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "valid="):
			secs, err := conf.ParseSeconds(a[len("valid="):])
			if err != nil {
				return nil, errors.New("invalid parameter: " + a)
			}
			r.valid = time.Duration(secs) * time.Second
		case strings.HasPrefix(a, "ipv4="), strings.HasPrefix(a, "ipv6="):
			v := a[len("ipv4="):]
			if v != "on" && v != "off" {
				return nil, errors.New("invalid parameter: " + a)
			}
			if a[3] == '4' {
				r.ipv4 = v == "on"
			} else {
				r.ipv6 = v == "on"
			}
		case strings.HasPrefix(a, "status_zone="):
		default:
			addr, err := serverAddr(a)
			if err != nil {
				return nil, err
			}
			r.servers = append(r.servers, addr)
		}
	}
	if !r.ipv4 && !r.ipv6 {
		return nil, errors.New("\"ipv4\" and \"ipv6\" cannot both be \"off\"")
	}
	if len(r.servers) == 0 {
		return nil, errors.New("no name servers defined")
	}
	return r, nil
}

func serverAddr(a string) (string, error) {
	if ip := net.ParseIP(a); ip != nil {
		return net.JoinHostPort(a, "53"), nil
	}
	if strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]") {
		return net.JoinHostPort(a[1:len(a)-1], "53"), nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		// a name: nginx resolves it at start with the system resolver
		return net.JoinHostPort(a, "53"), nil
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", errors.New("invalid port in resolver \"" + a + "\"")
	}
	return net.JoinHostPort(host, port), nil
}

// SetTimeout is resolver_timeout (0 keeps the default).
func (r *Resolver) SetTimeout(d time.Duration) {
	if d > 0 {
		r.Timeout = d
	}
}

// Lookup resolves name to its addresses (IPv4 first). A failure is an
// *Error. ctx may shorten the resolver_timeout.
func (r *Resolver) Lookup(ctx context.Context, name string) ([]net.IP, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	now := time.Now()
	r.mu.Lock()
	if e, ok := r.cache[name]; ok && now.Before(e.expires) {
		r.mu.Unlock()
		if e.err != nil {
			return nil, e.err
		}
		return e.ips, nil
	}
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	var ips []net.IP
	var ttl uint32 = 1<<32 - 1
	var firstErr *Error
	for _, t := range r.types() {
		got, t, err := r.query(ctx, name, t)
		if err != nil {
			if err == ErrTimedOut {
				return nil, err // not cached, as nginx
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ips = append(ips, got...)
		if t < ttl {
			ttl = t
		}
	}
	e := entry{ips: ips}
	switch {
	case len(ips) == 0:
		if firstErr == nil {
			firstErr = rcodeError(3) // no data: nginx says Host not found
		}
		e.err = firstErr
		e.expires = now.Add(negativeTTL)
	default:
		e.expires = now.Add(time.Duration(ttl) * time.Second)
	}
	if r.valid > 0 { // valid= overrides the TTL, of failures too
		e.expires = now.Add(r.valid)
	}
	r.mu.Lock()
	if len(r.cache) >= maxCache {
		r.cache = map[string]entry{}
	}
	r.cache[name] = e
	r.mu.Unlock()
	if e.err != nil {
		return nil, e.err
	}
	return ips, nil
}

func (r *Resolver) types() []dnsmessage.Type {
	switch {
	case r.ipv4 && r.ipv6:
		return []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA}
	case r.ipv6:
		return []dnsmessage.Type{dnsmessage.TypeAAAA}
	}
	return []dnsmessage.Type{dnsmessage.TypeA}
}

// query asks the servers in turn (one second each) until one answers or
// ctx ends; it returns the addresses and their smallest TTL.
func (r *Resolver) query(ctx context.Context, name string, typ dnsmessage.Type) ([]net.IP, uint32, *Error) {
	qname, err := dnsmessage.NewName(name + ".")
	if err != nil {
		return nil, 0, rcodeError(1)
	}
	var idb [2]byte
	rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: qname, Type: typ, Class: dnsmessage.ClassINET}},
	}
	pkt, err := msg.Pack()
	if err != nil {
		return nil, 0, rcodeError(1)
	}
	buf := make([]byte, 4096)
	for {
		if ctx.Err() != nil {
			return nil, 0, ErrTimedOut
		}
		server := r.servers[int(r.next.Add(1)-1)%len(r.servers)]
		ips, ttl, rerr, done := exchange(ctx, server, pkt, id, qname, typ, buf)
		if done {
			return ips, ttl, rerr
		}
	}
}

// exchange sends one query and waits for its answer; done is false when
// the server did not answer (timeout, send error): the caller retries.
func exchange(ctx context.Context, server string, pkt []byte, id uint16, qname dnsmessage.Name, typ dnsmessage.Type, buf []byte) (ips []net.IP, ttl uint32, rerr *Error, done bool) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", server)
	if err != nil {
		waitRetry(ctx)
		return nil, 0, nil, false
	}
	defer c.Close()
	dl := time.Now().Add(resend)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.SetDeadline(dl)
	if _, err := c.Write(pkt); err != nil {
		waitRetry(ctx)
		return nil, 0, nil, false
	}
	for {
		n, err := c.Read(buf)
		if err != nil {
			var ne net.Error
			if !(errors.As(err, &ne) && ne.Timeout()) {
				// refused by the peer (ICMP): wait as for a lost answer
				waitUntil(ctx, dl)
			}
			return nil, 0, nil, false
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil || h.ID != id || !h.Response {
			continue
		}
		q, err := p.Question()
		if err != nil || q.Type != typ || !strings.EqualFold(q.Name.String(), qname.String()) {
			continue
		}
		p.SkipAllQuestions()
		if h.RCode != dnsmessage.RCodeSuccess {
			return nil, 0, rcodeError(int(h.RCode)), true
		}
		ttl = 1<<32 - 1
		for {
			rh, err := p.AnswerHeader()
			if err != nil {
				break
			}
			switch {
			case rh.Type == dnsmessage.TypeA && typ == dnsmessage.TypeA:
				a, err := p.AResource()
				if err != nil {
					return nil, 0, rcodeError(1), true
				}
				ips = append(ips, net.IP(append([]byte(nil), a.A[:]...)))
			case rh.Type == dnsmessage.TypeAAAA && typ == dnsmessage.TypeAAAA:
				a, err := p.AAAAResource()
				if err != nil {
					return nil, 0, rcodeError(1), true
				}
				ips = append(ips, net.IP(append([]byte(nil), a.AAAA[:]...)))
			default:
				p.SkipAnswer()
				continue
			}
			if rh.TTL < ttl {
				ttl = rh.TTL
			}
		}
		if len(ips) == 0 {
			return nil, 0, rcodeError(3), true
		}
		return ips, ttl, nil, true
	}
}

func waitRetry(ctx context.Context) { waitUntil(ctx, time.Now().Add(resend)) }

func waitUntil(ctx context.Context, t time.Time) {
	tm := time.NewTimer(time.Until(t))
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}
