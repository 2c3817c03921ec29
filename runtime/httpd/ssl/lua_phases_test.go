package ssl_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// handshake runs a TLS client handshake against addr and returns the
// connection state or the error.
func handshake(t *testing.T, addr string, conf *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, conf)
	err = tc.Handshake()
	return tc.ConnectionState(), err
}

// The client hello and certificate handlers run during the handshake, in
// that order, in their phases, with the client's SNI; the connection then
// serves requests.
func TestSSLLuaPhasesRunInHandshake(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	s := httpdtest.StartLevel(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT ssl;
    server_name localhost;
    ssl_certificate %s;
    ssl_certificate_key %s;
    ssl_client_hello_by_lua_block {
        local ssl = require "ngx.ssl"
        ngx.log(ngx.NOTICE, "hello phase=", ngx.get_phase(), " sni=", ssl.server_name())
    }
    ssl_certificate_by_lua_block {
        local ssl = require "ngx.ssl"
        local addr, typ = ssl.raw_client_addr()
        ngx.log(ngx.NOTICE, "cert phase=", ngx.get_phase(), " sni=", ssl.server_name(), " client=", typ, " ", #addr)
    }
    location /t { return 200 "ok"; }
}`, cert, key), "", "debug")
	if _, err := handshake(t, s.Addr, &tls.Config{InsecureSkipVerify: true, ServerName: "example.org"}); err != nil {
		t.Fatal(err)
	}
	log := s.ErrorLog()
	hello := strings.Index(log, "hello phase=ssl_client_hello sni=example.org, context: ssl_client_hello_by_lua*, client: 127.0.0.1, server: 127.0.0.1:")
	certAt := strings.Index(log, "cert phase=ssl_cert sni=example.org client=inet 4, context: ssl_certificate_by_lua*")
	if hello < 0 || certAt < hello {
		t.Fatalf("phases not logged in order:\n%s", log)
	}
	for _, want := range []string{
		"ssl client hello: connection reusable: 0",
		"ssl_client_hello_by_lua: handler return value: 0, client hello cb exit code: 1",
		"ssl_certificate_by_lua: handler return value: 0, cert cb exit code: 1",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// ngx.exit(ngx.ERROR), a Lua error and a failed blocking handler abort
// the handshake; ngx.exit(ngx.OK) and a yielding handler let it go on.
func TestSSLLuaPhaseOutcome(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	for _, tc := range []struct {
		phase, code string
		ok          bool
		log         string
	}{
		{"ssl_certificate_by_lua_block", "ngx.exit(ngx.ERROR)", false, "ssl_certificate_by_lua: handler return value: -1, cert cb exit code: 0"},
		{"ssl_certificate_by_lua_block", "error('bad bad bad')", false, "ssl_certificate_by_lua: handler return value: 500, cert cb exit code: 0"},
		{"ssl_certificate_by_lua_block", "ngx.exit(ngx.OK)", true, "ssl_certificate_by_lua: handler return value: 0, cert cb exit code: 1"},
		{"ssl_certificate_by_lua_block", "ngx.sleep(0.001) ngx.exit(ngx.ERROR)", false, "ssl_certificate_by_lua: cert cb exit code: 0"},
		{"ssl_client_hello_by_lua_block", "ngx.exit(ngx.ERROR)", false, "ssl_client_hello_by_lua: handler return value: -1, client hello cb exit code: 0"},
		{"ssl_client_hello_by_lua_block", "ngx.sleep(0.001)", true, "ssl_client_hello_by_lua: client hello cb exit code: 1"},
	} {
		t.Run(tc.phase+" "+tc.code, func(t *testing.T) {
			s := httpdtest.StartLevel(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT ssl;
    ssl_certificate %s;
    ssl_certificate_key %s;
    %s { %s }
}`, cert, key, tc.phase, tc.code), "", "debug")
			_, err := handshake(t, s.Addr, &tls.Config{InsecureSkipVerify: true})
			if (err == nil) != tc.ok {
				t.Fatalf("handshake error %v, want success %v", err, tc.ok)
			}
			log := s.ErrorLog()
			if !strings.Contains(log, tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log)
			}
			if !tc.ok && !strings.Contains(log, "[info]") || !tc.ok && !strings.Contains(log, "SSL_do_handshake() failed") {
				t.Errorf("no SSL_do_handshake() failure logged:\n%s", log)
			}
		})
	}
}

// ssl_certificate_by_lua can replace the configured certificate.
func TestSSLCertificateByLuaSetsCertificate(t *testing.T) {
	dir := t.TempDir()
	cert, key := httpdtest.SelfSigned(t, dir)
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	cert2, key2 := httpdtest.SelfSigned(t, other)
	s := httpdtest.Start(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT ssl;
    ssl_certificate %s;
    ssl_certificate_key %s;
    ssl_certificate_by_lua_block {
        local ssl = require "ngx.ssl"
        local function read(p) local f = assert(io.open(p)) local s = f:read("*a") f:close() return s end
        assert(ssl.clear_certs())
        local der = assert(ssl.cert_pem_to_der(read(%q)))
        assert(ssl.set_der_cert(der))
        local k = assert(ssl.priv_key_pem_to_der(read(%q)))
        assert(ssl.set_der_priv_key(k))
        local c = assert(ssl.parse_pem_cert(read(%q)))
        ngx.log(ngx.NOTICE, "parsed: ", type(c))
    }
}`, cert, key, cert2, key2, cert2), "")
	st, err := handshake(t, s.Addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, s.ErrorLog())
	}
	want, err := tls.LoadX509KeyPair(cert2, key2)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.PeerCertificates) == 0 || string(st.PeerCertificates[0].Raw) != string(want.Certificate[0]) {
		t.Fatal("the server did not present the certificate set by Lua")
	}
	if !strings.Contains(s.ErrorLog(), "parsed: cdata") {
		t.Errorf("parse_pem_cert is not a cdata:\n%s", s.ErrorLog())
	}
}

// ssl_session_store_by_lua runs after a full TLS 1.2 handshake, not for
// TLS 1.3, and its errors do not fail the handshake.
func TestSSLSessionStoreByLua(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	s := httpdtest.StartLevel(t, fmt.Sprintf(`
ssl_session_store_by_lua_block {
    ngx.log(ngx.NOTICE, "store phase=", ngx.get_phase(), " version=", require("ngx.ssl").get_tls1_version_str())
    error("store failed")
}
server {
    listen 127.0.0.1:PORT ssl;
    ssl_certificate %s;
    ssl_certificate_key %s;
    ssl_protocols TLSv1.2 TLSv1.3;
}`, cert, key), "", "debug")
	if _, err := handshake(t, s.Addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}); err != nil {
		t.Fatal(err)
	}
	s.WaitErrorLog(t, "store phase=ssl_session_store version=TLSv1.2", "failed to run session_store_by_lua*: ",
		"ssl_session_store_by_lua*: handler return value: -1, sess new cb exit code: 0")
	if _, err := handshake(t, s.Addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}); err != nil {
		t.Fatal(err)
	}
	s.WaitErrorLog(t, "ssl_session_store_by_lua*: skipped since TLS version >= 1.3 (304)")
}
