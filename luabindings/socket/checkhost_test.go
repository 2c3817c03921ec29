package socket

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
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
