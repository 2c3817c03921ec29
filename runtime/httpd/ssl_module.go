package httpd

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
)

// ngx_http_ssl_module: "listen ... ssl" with ssl_certificate and
// ssl_certificate_key (per server, inherited from http); the certificate
// is chosen by SNI among the servers of the address.

type sslConf struct {
	cert, key string
}

func init() {
	directive(func(b *builder, d *conf.Directive) error {
		if b.srv != nil {
			b.srv.ssl.cert = d.Args[0]
		} else {
			b.rt.ssl.cert = d.Args[0]
		}
		return nil
	}, conf.Spec{Name: "ssl_certificate", Ctx: conf.HTTP | conf.Server, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		if b.srv != nil {
			b.srv.ssl.key = d.Args[0]
		} else {
			b.rt.ssl.key = d.Args[0]
		}
		return nil
	}, conf.Spec{Name: "ssl_certificate_key", Ctx: conf.HTTP | conf.Server, Args: conf.Take1})
	accepted(
		conf.Spec{Name: "ssl_ciphers", Ctx: conf.HTTP | conf.Server, Args: conf.Take1},
		conf.Spec{Name: "ssl_session_cache", Ctx: conf.HTTP | conf.Server, Args: conf.Take12},
		conf.Spec{Name: "ssl_session_timeout", Ctx: conf.HTTP | conf.Server, Args: conf.Take1},
		conf.Spec{Name: "ssl_session_tickets", Ctx: conf.HTTP | conf.Server, Args: conf.Flag},
		conf.Spec{Name: "ssl_dhparam", Ctx: conf.HTTP | conf.Server, Args: conf.Take1},
		conf.Spec{Name: "ssl_ecdh_curve", Ctx: conf.HTTP | conf.Server, Args: conf.Take1},
		conf.Spec{Name: "ssl_stapling", Ctx: conf.HTTP | conf.Server, Args: conf.Flag},
		conf.Spec{Name: "ssl_stapling_verify", Ctx: conf.HTTP | conf.Server, Args: conf.Flag},
		conf.Spec{Name: "ssl_buffer_size", Ctx: conf.HTTP | conf.Server, Args: conf.Take1},
	)
}

// loadCertificates gives every TLS listen address its certificates.
func (rt *Runtime) loadCertificates() error {
	for _, g := range rt.groups {
		if !g.ssl {
			continue
		}
		var certs []tls.Certificate
		for _, s := range g.servers {
			c := s.ssl
			if c.cert == "" {
				c.cert = rt.ssl.cert
			}
			if c.key == "" {
				c.key = rt.ssl.key
			}
			if c.cert == "" {
				return &conf.Error{Msg: fmt.Sprintf("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in %s", s.loc.file),
					File: s.loc.file, Line: s.loc.line}
			}
			if c.key == "" {
				c.key = c.cert
			}
			pair, err := tls.LoadX509KeyPair(rt.path(c.cert), rt.path(c.key))
			if err != nil {
				return &conf.Error{Msg: fmt.Sprintf("cannot load certificate \"%s\": %s", rt.path(c.cert), strings.TrimSpace(err.Error()))}
			}
			certs = append(certs, pair)
		}
		// Go picks among Certificates by the client's SNI; the first is
		// the default, like the default server's certificate in nginx.
		g.tls = &tls.Config{Certificates: certs, NextProtos: []string{"http/1.1"}}
	}
	return nil
}
