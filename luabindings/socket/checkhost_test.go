package socket

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"testing"

	"github.com/goresty/goresty/luabindings"
)

// The host check of sslhandshake(..., verify) falls back to the subject's
// common name when the certificate has no names, as OpenSSL's does.
func TestCheckHost(t *testing.T) {
	cn := func(name string) *x509.Certificate { return &x509.Certificate{Subject: pkix.Name{CommonName: name}} }
	for _, tc := range []struct {
		cert *x509.Certificate
		host string
		ok   bool
	}{
		{cn("test.com"), "test.com", true},
		{cn("test.com"), "TEST.com", true},
		{cn("test.com"), "other.com", false},
		{cn("*.test.com"), "a.test.com", true},
		{cn("*.test.com"), "a.b.test.com", false},
		{cn("test.com"), "", true},
		{&x509.Certificate{Subject: pkix.Name{CommonName: "test.com"}, DNSNames: []string{"other.com"}}, "test.com", false},
		{&x509.Certificate{DNSNames: []string{"other.com"}}, "other.com", true},
		{&x509.Certificate{IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}, "127.0.0.1", true},
	} {
		if err := checkHost(tc.cert, tc.host); (err == nil) != tc.ok {
			t.Errorf("%v %q: %v", tc.cert.Subject.CommonName, tc.host, err)
		}
	}
}

// A failed client handshake logs what lua-nginx-module logs: nothing for
// a timeout, the verification failure, an alert from the peer at info.
func TestHandshakeLog(t *testing.T) {
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "a.com"}}
	for _, tc := range []struct {
		err   error
		level int
		msg   string
	}{
		{timeoutErr{}, 0, ""},
		{x509.UnknownAuthorityError{Cert: leaf}, luabindings.LogErr, "lua ssl certificate verify error: (20: unable to get local issuer certificate)"},
		{x509.HostnameError{Certificate: leaf, Host: "b.com"}, luabindings.LogErr, `lua ssl certificate does not match host "b.com"`},
		{errors.New("remote error: tls: handshake failure"), luabindings.LogInfo, "SSL_do_handshake() failed (SSL: remote error: tls: handshake failure) while SSL handshaking to upstream"},
	} {
		level, msg := handshakeLog(tc.err, "b.com")
		if level != tc.level || msg != tc.msg {
			t.Errorf("%v: %d %q", tc.err, level, msg)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
