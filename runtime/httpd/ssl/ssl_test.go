package ssl_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

func TestTLSListenAndHTTPSUpstream(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls upstream %s host=%s", r.URL.RequestURI(), r.Host)
	}))
	defer up.Close()
	certDir := t.TempDir()
	cert, key := httpdtest.SelfSigned(t, certDir)
	s := httpdtest.Start(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT ssl;
    server_name localhost;
    ssl_certificate %s;
    ssl_certificate_key %s;
    location /t { content_by_lua_block { ngx.say(ngx.var.scheme, " ", ngx.var.https) } }
    location /up/ { proxy_pass %s/; }
    location /r { return 302 /elsewhere; }
}`, cert, key, up.URL), "")
	base := "https://" + s.Addr
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(path string) (*http.Response, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/t"); resp.TLS == nil || body != "https on\n" {
		t.Fatalf("tls listener: %q", body)
	}
	if _, body := get("/up/x?a=1"); !strings.HasPrefix(body, "tls upstream /x?a=1 host=127.0.0.1:") {
		log, _ := os.ReadFile(filepath.Join(s.Prefix, "logs/error.log"))
		t.Fatalf("https upstream: %q\n%s", body, log)
	}
	if resp, _ := get("/r"); !strings.HasPrefix(resp.Header.Get("Location"), "https://127.0.0.1:") {
		t.Fatalf("redirect keeps the scheme: %q", resp.Header.Get("Location"))
	}
}

func TestTLSWithoutCertificateFails(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte("events {}\nhttp { server { listen 127.0.0.1:1 ssl; } }\n"), 0o644)
	_, err := httpd.Load(dir, "conf/nginx.conf")
	if err == nil || !strings.Contains(err.Error(), `no "ssl_certificate" is defined`) {
		t.Fatalf("err = %v", err)
	}
}

// The ssl module's variables on a TLS connection, and not found on a
// plain one (NGX_REFERENCE=/usr/sbin/nginx runs it on nginx).
func TestSSLVariables(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	s := httpdtest.StartEnv(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT ssl;
    server_name localhost;
    ssl_certificate %s;
    ssl_certificate_key %s;
    location / { return 200 "$ssl_protocol|$ssl_cipher|$ssl_curve|$ssl_server_name|$ssl_session_reused|$ssl_alpn_protocol|$ssl_client_verify|$ssl_client_s_dn|$https"; }
}`, cert, key))
	// TLS 1.2: nginx 1.22's default ssl_protocols stop there (Go's go on)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
		ServerName: "localhost", MaxVersion: tls.VersionTLS12}}}
	resp, err := client.Get("https://" + s.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := strings.Split(string(b), "|")
	want := []string{"TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "X25519", "localhost", ".", "", "NONE", "", "on"}
	if len(got) != len(want) {
		t.Fatalf("variables: %q", b)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("variable %d: %q, want %q (%q)", i, got[i], want[i], b)
		}
	}
	plain := httpdtest.StartEnv(t, `server { listen 127.0.0.1:PORT; location / { return 200 "[$ssl_protocol$ssl_cipher$ssl_server_name$ssl_client_verify]"; } }`)
	if _, _, body := plain.Get(t, "/"); body != "[]" {
		t.Errorf("plain connection: %q", body)
	}
}
