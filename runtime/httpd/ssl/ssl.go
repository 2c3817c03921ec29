// Package ssl is ngx_http_ssl_module: "listen ... ssl" with
// ssl_certificate and ssl_certificate_key (per server, inherited from
// http); the certificate is chosen by SNI among the servers of the address.
package ssl

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hS = conf.HTTP | conf.Server

// Module is the ssl module (its table is filled in by init: the handlers
// refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "ssl",
		Commands: []httpd.Command{
			httpd.Directive(setCertificate, conf.Spec{Name: "ssl_certificate", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(setCertificateKey, conf.Spec{Name: "ssl_certificate_key", Ctx: hS, Args: conf.Take1}),
			httpd.Directive(setProtocols, conf.Spec{Name: "ssl_protocols", Ctx: hS, Args: conf.OneMore}),
			httpd.Directive(setCiphers, conf.Spec{Name: "ssl_ciphers", Ctx: hS, Args: conf.Take1}),
		},
		Accepted: []conf.Spec{
			{Name: "ssl_prefer_server_ciphers", Ctx: hS, Args: conf.Flag},
			{Name: "ssl_session_cache", Ctx: hS, Args: conf.Take12},
			{Name: "ssl_session_timeout", Ctx: hS, Args: conf.Take1},
			{Name: "ssl_session_tickets", Ctx: hS, Args: conf.Flag},
			{Name: "ssl_dhparam", Ctx: hS, Args: conf.Take1},
			{Name: "ssl_ecdh_curve", Ctx: hS, Args: conf.Take1},
			{Name: "ssl_stapling", Ctx: hS, Args: conf.Flag},
			{Name: "ssl_stapling_verify", Ctx: hS, Args: conf.Flag},
			{Name: "ssl_buffer_size", Ctx: hS, Args: conf.Take1},
		},
		Variables:     variables,
		CreateLocConf: func() any { return &srvConf{} },
		MergeLocConf:  mergeConf,
		Configured:    loadCertificates,
	}
}

// srvConf is the certificate, protocols and ciphers of a level (http
// or server).
type srvConf struct {
	cert, key  string
	protos     uint8  // ssl_protocols; 0: unset
	cipherSpec string // ssl_ciphers
}

func mergeConf(parent, child any) {
	p, c := parent.(*srvConf), child.(*srvConf)
	if c.protos == 0 {
		c.protos = p.protos
	}
	if c.cipherSpec == "" {
		c.cipherSpec = p.cipherSpec
	}
	if c.cert == "" {
		c.cert = p.cert
	}
	if c.key == "" {
		c.key = p.key
	}
}

func setCertificate(b *httpd.Builder, d *conf.Directive) error {
	Module.Conf(b.Loc()).(*srvConf).cert = d.Args[0]
	return nil
}

func setCertificateKey(b *httpd.Builder, d *conf.Directive) error {
	Module.Conf(b.Loc()).(*srvConf).key = d.Args[0]
	return nil
}

// loadCertificates gives every TLS listen address its certificates.
func loadCertificates(rt *httpd.Runtime) error {
	return rt.SetTLS(func(servers []*httpd.Server) (*tls.Config, error) {
		var certs []tls.Certificate
		// the address's default server sets the protocols and ciphers
		def := Module.Conf(servers[0].Loc()).(*srvConf)
		var ciphers []uint16
		for i, s := range servers {
			if spec := Module.Conf(s.Loc()).(*srvConf).cipherSpec; spec != "" {
				ids, ok := parseCiphers(spec)
				if !ok {
					return nil, &conf.Error{Msg: fmt.Sprintf("SSL_CTX_set_cipher_list(\"%s\") failed (SSL: error:0A0000B9:SSL routines::no cipher match)", spec)}
				}
				if i == 0 {
					ciphers = ids
				}
			}
			c := *Module.Conf(s.Loc()).(*srvConf)
			if c.cert == "" {
				file, line := s.Loc().Position()
				return nil, &conf.Error{Msg: fmt.Sprintf("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in %s", file),
					File: file, Line: line}
			}
			if c.key == "" {
				c.key = c.cert
			}
			pair, err := tls.LoadX509KeyPair(rt.ConfPath(c.cert), rt.ConfPath(c.key))
			if err != nil {
				return nil, &conf.Error{Msg: fmt.Sprintf("cannot load certificate \"%s\": %s", rt.ConfPath(c.cert), strings.TrimSpace(err.Error()))}
			}
			certs = append(certs, pair)
		}
		lo, hi := versions(def.protos)
		// Go picks among Certificates by the client's SNI; the first is
		// the default, like the default server's certificate in nginx.
		// the groups OpenSSL offers by default (ssl_ecdh_curve auto), so
		// that $ssl_curve names one nginx would
		return &tls.Config{Certificates: certs, NextProtos: []string{"http/1.1"},
			CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP521, tls.CurveP384},
			MinVersion:       lo, MaxVersion: hi, CipherSuites: ciphers}, nil
	})
}
