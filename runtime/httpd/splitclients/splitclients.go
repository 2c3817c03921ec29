// Package splitclients is ngx_http_split_clients_module: a variable that
// splits clients by a hash of a key (A/B testing).
package splitclients

import (
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the split_clients module.
var Module = &httpd.Module{
	Name: "split_clients",
	Commands: []httpd.Command{
		httpd.Directive(setSplitClients, conf.Spec{Name: "split_clients", Ctx: conf.HTTP, Args: conf.Take2, Block: true, Child: conf.Raw}),
	},
}

type part struct {
	bound uint32 // the hash is below it; 0 for the rest
	value string
}

type split struct {
	key   *httpd.Value
	parts []part
}

func setSplitClients(b *httpd.Builder, d *conf.Directive) error {
	s := &split{key: b.Value(d.Args[0])}
	name := d.Args[1]
	if !strings.HasPrefix(name, "$") {
		return conf.Errorf(d, "invalid variable name \"%s\"", name)
	}
	percents := make([]uint32, 0, len(d.Block))
	for _, e := range d.Block {
		if len(e.Args) != 1 {
			return conf.Errorf(e, "invalid number of arguments in \"split_clients\" block")
		}
		var pc uint32
		if e.Name != "*" {
			n, ok := atofp(strings.TrimSuffix(e.Name, "%"))
			if !strings.HasSuffix(e.Name, "%") || !ok || n == 0 {
				return conf.Errorf(e, "invalid percent value \"%s\"", e.Name)
			}
			pc = n
		}
		percents = append(percents, pc)
		s.parts = append(s.parts, part{value: e.Args[0]})
	}
	var sum uint32
	var last uint64
	for i, pc := range percents {
		if pc != 0 {
			sum += pc
		} else {
			sum = 10000
		}
		if sum == 10000 {
			pc = 0
		}
		if sum > 10000 {
			return conf.Errorf(d, "percent total is greater than 100%%")
		}
		if pc != 0 {
			last += uint64(pc) * 0xffffffff / 10000
			s.parts[i].bound = uint32(last)
		}
	}
	b.DefineVariable(name[1:], s.get)
	return nil
}

// atofp is ngx_atofp(s, 2): a decimal with up to two places, times 100.
func atofp(s string) (uint32, bool) {
	var n uint64
	dot, places := false, 0
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' && !dot {
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if dot {
			if places == 2 {
				return 0, false
			}
			places++
		}
		n = n*10 + uint64(c-'0')
		if n > 1<<31 {
			return 0, false
		}
	}
	for ; places < 2; places++ {
		n *= 10
	}
	return uint32(n), n < 1<<31
}

func (s *split) get(r *httpd.Request) (string, bool) {
	h := murmurHash2(s.key.Eval(r))
	for _, p := range s.parts {
		if h < p.bound || p.bound == 0 {
			return p.value, true
		}
	}
	return "", true
}

// murmurHash2 is nginx's ngx_murmur_hash2.
func murmurHash2(s string) uint32 {
	const m = 0x5bd1e995
	n := len(s)
	h := uint32(n)
	i := 0
	for ; n-i >= 4; i += 4 {
		k := uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
	}
	switch n - i {
	case 3:
		h ^= uint32(s[i+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(s[i+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(s[i])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
