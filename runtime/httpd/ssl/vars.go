package ssl

import (
	"crypto/tls"
	"encoding/hex"
	"net"
	"strings"

	"github.com/goresty/goresty/runtime/httpd"
)

// variables are the ssl module's: read from the connection's TLS state;
// not found on a plain connection. Client certificates are not requested
// (no ssl_verify_client), so the ssl_client_* variables are empty and
// $ssl_client_verify is NONE, as in nginx without one.
var variables = []httpd.Variable{
	{Name: "ssl_protocol", Get: tlsVar(func(cs *tls.ConnectionState) string { return protocolName(cs.Version) })},
	{Name: "ssl_cipher", Get: tlsVar(func(cs *tls.ConnectionState) string { return cipherName(cs.CipherSuite) })},
	{Name: "ssl_ciphers", Get: tlsVar(func(cs *tls.ConnectionState) string { return "" })},
	{Name: "ssl_curve", Get: tlsVar(func(cs *tls.ConnectionState) string { return curveName(cs.CurveID) })},
	{Name: "ssl_curves", Get: tlsVar(func(cs *tls.ConnectionState) string { return "" })},
	{Name: "ssl_session_id", Get: tlsVar(func(cs *tls.ConnectionState) string { return "" })},
	{Name: "ssl_session_reused", Get: tlsVar(func(cs *tls.ConnectionState) string {
		if cs.DidResume {
			return "r"
		}
		return "."
	})},
	{Name: "ssl_early_data", Get: tlsVar(func(cs *tls.ConnectionState) string { return "" })},
	{Name: "ssl_server_name", Get: serverName},
	{Name: "ssl_alpn_protocol", Get: tlsVar(func(cs *tls.ConnectionState) string { return cs.NegotiatedProtocol })},
	{Name: "ssl_client_cert", Get: clientCert},
	{Name: "ssl_client_raw_cert", Get: clientCert},
	{Name: "ssl_client_escaped_cert", Get: clientCert},
	{Name: "ssl_client_s_dn", Get: clientCert},
	{Name: "ssl_client_i_dn", Get: clientCert},
	{Name: "ssl_client_s_dn_legacy", Get: clientCert},
	{Name: "ssl_client_i_dn_legacy", Get: clientCert},
	{Name: "ssl_client_serial", Get: clientCert},
	{Name: "ssl_client_fingerprint", Get: clientCert},
	{Name: "ssl_client_verify", Get: tlsVar(func(cs *tls.ConnectionState) string { return "NONE" })},
	{Name: "ssl_client_v_start", Get: clientCert},
	{Name: "ssl_client_v_end", Get: clientCert},
	{Name: "ssl_client_v_remain", Get: clientCert},
}

func connState(r *httpd.Request) *tls.ConnectionState {
	var c net.Conn = r.Fasthttp().Conn()
	// a *tls.Conn, or an HTTP/2 stream of one
	if tc, ok := c.(interface{ ConnectionState() tls.ConnectionState }); ok {
		cs := tc.ConnectionState()
		return &cs
	}
	return nil
}

func tlsVar(f func(*tls.ConnectionState) string) httpd.VarGetter {
	return func(r *httpd.Request) (string, bool) {
		cs := connState(r)
		if cs == nil {
			return "", false
		}
		return f(cs), true
	}
}

// serverName is the SNI name the client sent; not found without one.
func serverName(r *httpd.Request) (string, bool) {
	cs := connState(r)
	if cs == nil || cs.ServerName == "" {
		return "", false
	}
	return cs.ServerName, true
}

func clientCert(r *httpd.Request) (string, bool) {
	if connState(r) == nil {
		return "", false
	}
	return "", true
}

// protocolName is OpenSSL's SSL_get_version.
func protocolName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return "unknown"
}

// cipherName is OpenSSL's name of a cipher suite (TLS 1.3 suites keep
// their standard names).
func cipherName(id uint16) string {
	if n, ok := opensslCiphers[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id)
}

var opensslCiphers = map[uint16]string{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "ECDHE-ECDSA-AES128-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "ECDHE-ECDSA-AES256-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "ECDHE-RSA-AES128-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "ECDHE-RSA-AES256-SHA",
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               "AES128-GCM-SHA256",
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               "AES256-GCM-SHA384",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  "AES128-SHA",
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
}

// curveName is OpenSSL's name of the key exchange group.
func curveName(id tls.CurveID) string {
	switch id {
	case 0:
		return ""
	case tls.X25519:
		return "X25519"
	case tls.CurveP256:
		return "prime256v1"
	case tls.CurveP384:
		return "secp384r1"
	case tls.CurveP521:
		return "secp521r1"
	}
	return "0x" + strings.ToLower(hex.EncodeToString([]byte{byte(id >> 8), byte(id)}))
}
