// Package modutil holds small helpers shared by the http modules.
package modutil

import (
	"net"
	"strconv"
	"strings"
)

// Trusted is one trusted source (set_real_ip_from, geo's proxy): a
// network, or "unix:".
type Trusted struct {
	Net  *net.IPNet
	Unix bool
}

// AddrPort is a client address as ngx_http_get_forwarded_addr walks it.
type AddrPort struct {
	IP   net.IP
	Port int
	Unix bool
}

// Match reports whether a comes from a trusted source.
func Match(a AddrPort, from []Trusted) bool {
	for _, t := range from {
		if t.Unix {
			if a.Unix {
				return true
			}
			continue
		}
		if !a.Unix && t.Net.Contains(a.IP) {
			return true
		}
	}
	return false
}

// ForwardedHeaders is ngx_http_get_forwarded_addr over several headers:
// the last first, going on to the earlier ones when recursive.
func ForwardedHeaders(a AddrPort, values [][]byte, from []Trusted, recursive bool) (AddrPort, bool) {
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

// Forwarded is ngx_http_get_forwarded_addr over one header value.
func Forwarded(a AddrPort, v string, from []Trusted, recursive bool) (AddrPort, bool) {
	a, ok, _ := forwardedOne(a, v, from, recursive)
	return a, ok
}

// forwardedOne is ngx_http_get_forwarded_addr_internal: while the current
// address is Trusted, take the last address of the list; ok reports a
// change, done that the walk stopped inside this value (an untrusted
// address or an unparsable entry).
func forwardedOne(a AddrPort, v string, from []Trusted, recursive bool) (out AddrPort, ok, done bool) {
	found := false
	xff := v
	for {
		if !Match(a, from) {
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
		next, good := ParseAddrPort(xff[p:n])
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

// ParseAddrPort is ngx_parse_addr_port: "1.2.3.4", "1.2.3.4:80", "::1",
// "[::1]", "[::1]:80".
func ParseAddrPort(s string) (AddrPort, bool) {
	if s == "" {
		return AddrPort{}, false
	}
	if ip := net.ParseIP(s); ip != nil {
		return AddrPort{IP: ip}, true
	}
	host, port := s, ""
	if s[0] == '[' {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return AddrPort{}, false
		}
		host = s[1:i]
		rest := s[i+1:]
		if rest != "" {
			if rest[0] != ':' {
				return AddrPort{}, false
			}
			port = rest[1:]
		}
		if strings.IndexByte(host, ':') < 0 {
			return AddrPort{}, false
		}
	} else {
		i := strings.IndexByte(s, ':')
		if i < 0 || strings.IndexByte(s[i+1:], ':') >= 0 {
			return AddrPort{}, false
		}
		host, port = s[:i], s[i+1:]
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return AddrPort{}, false
	}
	a := AddrPort{IP: ip}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return AddrPort{}, false
		}
		a.Port = n
	}
	return a, true
}
