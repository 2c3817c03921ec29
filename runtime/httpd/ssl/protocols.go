package ssl

import (
	"crypto/tls"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// ssl_protocols: a set of versions (a second directive adds to it, as
// nginx's bitmask); Go's TLS takes the versions between the lowest and
// the highest named. TLSv1 and TLSv1.1 are accepted but never
// negotiated, as with Debian's OpenSSL 3 at its default security level;
// SSLv2 and SSLv3 are named but have no effect.
func setProtocols(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*srvConf)
	c.protos |= protoSet
	for _, a := range d.Args {
		switch a {
		case "SSLv2", "SSLv3":
		case "TLSv1":
			c.protos |= protoTLS10
		case "TLSv1.1":
			c.protos |= protoTLS11
		case "TLSv1.2":
			c.protos |= protoTLS12
		case "TLSv1.3":
			c.protos |= protoTLS13
		default:
			return conf.Errorf(d, "invalid value \"%s\"", a)
		}
	}
	return nil
}

const (
	protoTLS10 uint8 = 1 << iota
	protoTLS11
	protoTLS12
	protoTLS13
	protoSet
)

// versions is the MinVersion and MaxVersion of a protocol set (nginx
// 1.22's default is TLSv1 TLSv1.1 TLSv1.2: TLS 1.3 only when named); a set with nothing Go speaks gives a
// maximum below the minimum, which no handshake passes.
func versions(p uint8) (lo, hi uint16) {
	if p == 0 {
		return tls.VersionTLS12, tls.VersionTLS12
	}
	lo, hi = tls.VersionTLS12, tls.VersionTLS11
	if p&protoTLS12 != 0 {
		hi = tls.VersionTLS12
	} else if p&protoTLS13 != 0 {
		lo = tls.VersionTLS13
	}
	if p&protoTLS13 != 0 {
		hi = tls.VersionTLS13
	}
	return lo, hi
}

// suite is a TLS 1.2 cipher suite Go's TLS implements, with the OpenSSL
// name and the attributes OpenSSL's cipher list aliases select by.
type suite struct {
	id    uint16
	name  string
	attrs string // space separated aliases
}

var suites = []suite{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", "kECDHE ECDHE EECDH ECDH aECDSA ECDSA AES AES256 AESGCM SHA384 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", "kECDHE ECDHE EECDH ECDH aRSA AES AES256 AESGCM SHA384 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", "kECDHE ECDHE EECDH ECDH aECDSA ECDSA CHACHA20 SHA256 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", "kECDHE ECDHE EECDH ECDH aRSA CHACHA20 SHA256 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", "kECDHE ECDHE EECDH ECDH aECDSA ECDSA AES AES128 AESGCM SHA256 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", "kECDHE ECDHE EECDH ECDH aRSA AES AES128 AESGCM SHA256 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE-ECDSA-AES256-SHA", "kECDHE ECDHE EECDH ECDH aECDSA ECDSA AES AES256 SHA1 SHA HIGH TLSv1 SSLv3"},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE-RSA-AES256-SHA", "kECDHE ECDHE EECDH ECDH aRSA AES AES256 SHA1 SHA HIGH TLSv1 SSLv3"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE-ECDSA-AES128-SHA", "kECDHE ECDHE EECDH ECDH aECDSA ECDSA AES AES128 SHA1 SHA HIGH TLSv1 SSLv3"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE-RSA-AES128-SHA", "kECDHE ECDHE EECDH ECDH aRSA AES AES128 SHA1 SHA HIGH TLSv1 SSLv3"},
	{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384", "kRSA RSA aRSA AES AES256 AESGCM SHA384 HIGH TLSv1.2"},
	{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256", "kRSA RSA aRSA AES AES128 AESGCM SHA256 HIGH TLSv1.2"},
	{tls.TLS_RSA_WITH_AES_256_CBC_SHA, "AES256-SHA", "kRSA RSA aRSA AES AES256 SHA1 SHA HIGH TLSv1 SSLv3"},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA, "AES128-SHA", "kRSA RSA aRSA AES AES128 SHA1 SHA HIGH TLSv1 SSLv3"},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE-ECDSA-AES128-SHA256", "kECDHE ECDHE EECDH ECDH aECDSA ECDSA AES AES128 SHA256 HIGH TLSv1.2"},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE-RSA-AES128-SHA256", "kECDHE ECDHE EECDH ECDH aRSA AES AES128 SHA256 HIGH TLSv1.2"},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "AES128-SHA256", "kRSA RSA aRSA AES AES128 SHA256 HIGH TLSv1.2"},
}

func (s *suite) matches(term string) bool {
	if term == s.name || term == "ALL" || term == "DEFAULT" {
		return true
	}
	for _, a := range strings.Fields(s.attrs) {
		if a == term {
			return true
		}
	}
	return false
}

// ssl_ciphers (read when the servers of a TLS address are set up, as
// nginx creates the SSL context): OpenSSL's cipher list language ("HIGH:!aNULL:!MD5",
// "ECDHE+AESGCM:-AES256", names) over the TLS 1.2 suites Go implements;
// "!" removes for good, "-" removes, "+" moves to the end, "@..." is
// ignored. TLS 1.3 suites are not set by it, as in nginx. Go chooses
// among the allowed suites in its own order (ssl_prefer_server_ciphers
// has no effect).
func setCiphers(b *httpd.Builder, d *conf.Directive) error {
	Module.Conf(b.Loc()).(*srvConf).cipherSpec = d.Args[0]
	return nil
}

func parseCiphers(spec string) ([]uint16, bool) {
	var active []int
	killed := make([]bool, len(suites))
	in := func(i int) int {
		for k, j := range active {
			if j == i {
				return k
			}
		}
		return -1
	}
	for _, el := range strings.FieldsFunc(spec, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		op := byte(0)
		if el[0] == '!' || el[0] == '-' || el[0] == '+' {
			op, el = el[0], el[1:]
		}
		if el == "" || el[0] == '@' {
			continue
		}
		terms := strings.Split(el, "+")
		for i := range suites {
			s := &suites[i]
			all := true
			for _, t := range terms {
				if !s.matches(t) {
					all = false
					break
				}
			}
			// the suites Go leaves out by default come in by name only
			if !all || (i >= 14 && el != s.name) {
				continue
			}
			k := in(i)
			switch op {
			case '!':
				killed[i] = true
				if k >= 0 {
					active = append(active[:k], active[k+1:]...)
				}
			case '-':
				if k >= 0 {
					active = append(active[:k], active[k+1:]...)
				}
			case '+':
				if k >= 0 {
					active = append(append(active[:k], active[k+1:]...), i)
				}
			default:
				if k < 0 && !killed[i] {
					active = append(active, i)
				}
			}
		}
	}
	if len(active) == 0 {
		return nil, false
	}
	ids := make([]uint16, len(active))
	for k, i := range active {
		ids[k] = suites[i].id
	}
	return ids, true
}
