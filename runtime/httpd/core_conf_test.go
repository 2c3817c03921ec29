package httpd_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// "listen unix:PATH" serves on a unix-domain socket next to the TCP one;
// $remote_addr is "unix:", $server_addr the socket's name, the ports are
// empty (NGX_REFERENCE=/usr/sbin/nginx runs it on nginx).
func TestListenUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	s := httpdtest.Start(t, fmt.Sprintf(`server { listen 127.0.0.1:PORT; listen unix:%s;
		location / { content_by_lua_block {
			ngx.say(ngx.var.remote_addr, "|", ngx.var.server_addr, "|", ngx.var.server_port, "|", ngx.var.remote_port)
		} } }`, sock), os.Getenv("NGX_REFERENCE"))
	_ = s
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	b, _ := io.ReadAll(bufio.NewReader(c))
	resp := string(b)
	if !strings.HasPrefix(resp, "HTTP/1.1 200") {
		t.Fatalf("%q", resp)
	}
	if want := "\r\n\r\nunix:|unix:" + sock + "||\n"; !strings.HasSuffix(resp, want) {
		t.Fatalf("got %q, want suffix %q", resp, want)
	}
}

// A configuration's alerts reach the error log with the directive's
// position, as ngx_conf_log_error writes them.
func TestCodeCacheOffAlert(t *testing.T) {
	s := httpdtest.Start(t, `lua_code_cache off;
		server { listen 127.0.0.1:PORT; location / { return 204; } }`, os.Getenv("NGX_REFERENCE"))
	want := "lua_code_cache is off; this will hurt performance in " + filepath.Join(s.Prefix, "conf/nginx.conf") + ":8"
	log := s.ErrorLog()
	i := strings.Index(log, want)
	if i < 0 || !strings.Contains(log[:i], "[alert] ") {
		t.Fatalf("error log lacks the alert %q:\n%s", want, log)
	}
}

// lua_load_resty_core is accepted with lua-nginx-module's deprecation
// warning at its position, whether on or off.
func TestLoadRestyCoreDeprecated(t *testing.T) {
	for _, v := range []string{"on", "off"} {
		s := httpdtest.Start(t, `lua_load_resty_core `+v+`;
		server { listen 127.0.0.1:PORT; location / { return 204; } }`, os.Getenv("NGX_REFERENCE"))
		want := "lua_load_resty_core is deprecated (the lua-resty-core library is required since ngx_lua v0.10.16) in " +
			filepath.Join(s.Prefix, "conf/nginx.conf") + ":8"
		log := s.ErrorLog()
		i := strings.Index(log, want)
		if i < 0 || !strings.Contains(log[:i], "[warn] ") {
			t.Fatalf("%s: error log lacks the warning %q:\n%s", v, want, log)
		}
	}
}

// Two exact, or two inclusive (prefix, ^~), locations of one name are
// refused at the second one, as nginx does; an exact and a prefix
// location may share a name.
func TestDuplicateLocation(t *testing.T) {
	for body, want := range map[string]string{
		"location = /a { }\n    location = /a { }": `duplicate location "/a" in `,
		"location /a { }\n    location ^~ /a { }":  `duplicate location "/a" in `,
		"location = /a { }\n    location /a { }":   ``,
		"location ~ /a { }\n    location ~ /a { }": ``,
	} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
		os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte("events {}\nhttp {\n  server {\n    "+body+"\n  }\n}\n"), 0o644)
		_, err := httpd.Load(dir, "conf/nginx.conf")
		if want == "" {
			if err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			continue
		}
		if err == nil || err.Error() != want+filepath.Join(dir, "conf/nginx.conf")+":5" {
			t.Fatalf("%q: %v", body, err)
		}
	}
}

// "/dir" asked where "location /dir/" or "location = /dir/" proxies is
// answered with nginx's automatic 301 to "/dir/".
func TestAutoRedirectToProxiedLocation(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location = /exact/ { proxy_pass http://127.0.0.1:1; }
		location /prefix/ { proxy_pass http://127.0.0.1:1; }
		location / { return 204; } }`, os.Getenv("NGX_REFERENCE"))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/exact", "/prefix"} {
		resp, err := client.Get("http://" + s.Addr + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != 301 || !strings.HasSuffix(loc, p+"/") {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, loc)
		}
	}
}

// A regex server_name keeps its case: \D is "not a digit" (lowering the
// pattern made it \d), matched against the lowered Host.
func TestServerNameRegexKeepsCase(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT default_server; return 200 "default\n"; }
		server { listen 127.0.0.1:PORT; server_name ~^\D+\.example$; return 200 "letters\n"; }`, os.Getenv("NGX_REFERENCE"))
	for host, want := range map[string]string{"abc.example": "letters\n", "ABC.Example": "letters\n", "123.example": "default\n"} {
		if code, _, body := s.Get(t, "/", "Host: "+host); code != 200 || body != want {
			t.Fatalf("%s: %d %q, want %q", host, code, body, want)
		}
	}
}
