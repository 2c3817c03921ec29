package httpd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Differential cases of issue 13: each runs on goresty, and on nginx with
// NGX_REFERENCE=/usr/sbin/nginx, and asserts nginx's answer.

// The variables of nginx's index that real proxy configurations use are
// known, with nginx's values; config strings see "" for not found.
func TestParityVariables(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server { listen 127.0.0.1:PORT; root html;
  location /v { return 200 "pa=$proxy_add_x_forwarded_for|xff=$http_x_forwarded_for|sp=$server_protocol|ck=$cookie_C2|arg=$arg_b|lr=$limit_rate|pipe=$pipe|rc=$request_completion|rbf=$request_body_file|st=$sent_trailer_x|pp=$proxy_protocol_addr|us=$upstream_cache_status|ua=$upstream_addr|ct=$upstream_connect_time|uc=$upstream_cookie_x|ut=$upstream_trailer_x|sc=$sent_http_connection|ste=$sent_http_transfer_encoding|h2=$http2|ssl=$ssl_protocol$ssl_cipher|gz=$gzip_ratio"; }
  location /b { return 200 "$binary_remote_addr"; }
  location /f { return 200 "$request_filename|$document_root|$realpath_root"; }
  location /t { return 200 "$tcpinfo_rtt|$tcpinfo_rttvar|$tcpinfo_snd_cwnd|$tcpinfo_rcv_space|$connection_time|$date_gmt|$date_local|$connection_requests|$bytes_sent"; }
  location /root { root html/$arg_d; return 200 "$document_root|$request_filename"; }
}`)
	resp, body, _ := s.Exchange(t, "GET /v?a=1&B=2 HTTP/1.1\r\nHost: x\r\nCookie: c1=v1; c2=v2\r\n"+
		"X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nConnection: close\r\n\r\n")
	want := "pa=1.1.1.1, 2.2.2.2, 127.0.0.1|xff=1.1.1.1, 2.2.2.2|sp=HTTP/1.1|ck=v2|arg=2|lr=0|pipe=.|rc=|rbf=|st=|pp=|us=|ua=|ct=|uc=|ut=|sc=close|ste=|h2=|ssl=|gz="
	if resp.StatusCode != 200 || body != want {
		t.Errorf("variables:\n got %q\nwant %q", body, want)
	}
	if _, _, body := s.Get(t, "/b"); body != "\x7f\x00\x00\x01" {
		t.Errorf("$binary_remote_addr = %q", body)
	}
	html := filepath.Join(s.Prefix, "html")
	os.MkdirAll(filepath.Join(html, "site1"), 0o755)
	if _, _, body := s.Get(t, "/f/a.txt"); body != html+"/f/a.txt|"+html+"|"+html {
		t.Errorf("$request_filename|$document_root|$realpath_root = %q", body)
	}
	if _, _, body := s.Get(t, "/root/x?d=site1"); body != html+"/site1|"+html+"/site1/root/x" {
		t.Errorf("root with variables: %q", body)
	}
	_, _, body = s.Get(t, "/t")
	if !regexp.MustCompile(`^\d+\|\d+\|\d+\|\d+\|\d+\.\d{3}\|[A-Z][a-z]+day, \d\d-[A-Z][a-z][a-z]-\d{4} \d\d:\d\d:\d\d GMT\|[A-Z][a-z]+day, \d\d-[A-Z][a-z][a-z]-\d{4} \d\d:\d\d:\d\d [A-Z]+\|1\|0$`).MatchString(body) {
		t.Errorf("tcpinfo, connection_time, date_*: %q", body)
	}
}

// An unknown variable fails the configuration test with nginx's message,
// which names no position; a known prefix ($upstream_http_*) is not unknown.
func TestParityUnknownVariable(t *testing.T) {
	for _, c := range []struct{ v, err string }{
		{"$foo_bar", `unknown "foo_bar" variable`},
		{"$request_port", `unknown "request_port" variable`}, // newer than nginx 1.22
		{"$upstream_http_x$upstream_cookie_y$sent_trailer_z$proxy_add_x_forwarded_for$ssl_server_name$realpath_root", ""},
	} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
		os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
		text := "events {}\nhttp { server { listen 127.0.0.1:1; location / { return 200 \"" + c.v + "\"; } } }\n"
		os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(text), 0o644)
		var msg string
		if ref := os.Getenv("NGX_REFERENCE"); ref != "" {
			out, err := exec.Command(ref, "-t", "-q", "-p", dir+"/", "-c", "conf/nginx.conf", "-e", "logs/error.log").CombinedOutput()
			if err != nil {
				msg = strings.TrimSpace(string(out))
			}
		} else if _, err := httpd.Load(dir, "conf/nginx.conf"); err != nil {
			msg = "nginx: [emerg] " + err.Error()
		}
		if c.err == "" && msg != "" || c.err != "" && !strings.HasPrefix(msg, fmt.Sprintf("nginx: [emerg] %s", c.err)) {
			t.Errorf("%s: %q, want %q", c.v, msg, c.err)
		}
		if c.err != "" && strings.Contains(msg, " in ") {
			t.Errorf("%s: nginx names no position: %q", c.v, msg)
		}
	}
}
