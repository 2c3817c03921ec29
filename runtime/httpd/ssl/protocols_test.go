package ssl_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// TestProtocolsAndCiphers: ssl_protocols and ssl_ciphers decide who can
// connect. NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestProtocolsAndCiphers(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	ports := make([]int, 4)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	s := httpdtest.StartEnv(t, fmt.Sprintf(`
ssl_certificate %s;
ssl_certificate_key %s;
server {
    listen 127.0.0.1:PORT;
}
server {
    listen 127.0.0.1:%d ssl;
}
server {
    listen 127.0.0.1:%d ssl;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305;
}
server {
    listen 127.0.0.1:%d ssl;
    ssl_protocols TLSv1.3;
}
server {
    listen 127.0.0.1:%d ssl;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    ssl_ciphers HIGH:!aNULL:!MD5:!AESGCM:-CHACHA20;
}`, cert, key, ports[0], ports[1], ports[2], ports[3]))
	_ = s
	try := func(port int, minV, maxV uint16, suites ...uint16) string {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: minV, MaxVersion: maxV, CipherSuites: suites})
		if err := tc.Handshake(); err != nil {
			return "refused"
		}
		st := tc.ConnectionState()
		return tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
	}
	const (
		v10, v11, v12, v13 = tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13
		a128               = tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
		a256               = tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
		a128cbc            = tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
		chacha             = tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	)
	for i, c := range []struct {
		port       int
		minV, maxV uint16
		suites     []uint16
		want       string
	}{
		// nginx 1.22's default: TLSv1 TLSv1.1 TLSv1.2, of which OpenSSL 3
		// speaks TLS 1.2 only
		{ports[0], v13, v13, nil, "refused"},
		{ports[0], v12, v12, []uint16{a256}, "TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
		{ports[0], v10, v11, nil, "refused"},
		// TLSv1.2 only, two suites
		{ports[1], v13, v13, nil, "refused"},
		{ports[1], v12, v13, []uint16{a256}, "refused"},
		{ports[1], v12, v13, []uint16{a128}, "TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{ports[1], v12, v13, []uint16{chacha}, "TLS 1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
		// TLSv1.3 only: ssl_ciphers does not apply to it
		{ports[2], v12, v12, nil, "refused"},
		{ports[2], v13, v13, nil, "TLS 1.3 TLS_AES_128_GCM_SHA256"},
		// aliases and exclusions
		{ports[3], v12, v12, []uint16{a128}, "refused"},
		{ports[3], v12, v12, []uint16{chacha}, "refused"},
		{ports[3], v12, v12, []uint16{a128cbc}, "TLS 1.2 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		{ports[3], v13, v13, nil, "refused"},
	} {
		if got := try(c.port, c.minV, c.maxV, c.suites...); got != c.want {
			t.Errorf("%d: port %d %x-%x %v: %s, want %s", i, c.port, c.minV, c.maxV, c.suites, got, c.want)
		}
	}
}

func TestCiphersConfError(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	got := httpdtest.LoadError(t, fmt.Sprintf("server { listen 127.0.0.1:26099 ssl; ssl_certificate %s; ssl_certificate_key %s; ssl_ciphers bogus:nothing; }", cert, key))
	if want := `SSL_CTX_set_cipher_list("bogus:nothing") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
