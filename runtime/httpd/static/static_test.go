package static_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestStatic(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    server_name localhost;
    root html;
    location /quiet/ { log_not_found off; }
}`)
	dir := filepath.Join(s.Prefix, "html")
	os.MkdirAll(filepath.Join(dir, "中文"), 0o755)
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644)
	for _, c := range []struct {
		method, path string
		code         int
		location     string
	}{
		{"GET", "/a.txt", 200, ""},
		{"HEAD", "/a.txt", 200, ""},
		{"POST", "/a.txt", 405, ""},
		{"PUT", "/a.txt", 405, ""},
		{"GET", "/d", 301, "/d/"},
		{"GET", "/d?x=1", 301, "/d/?x=1"},
		{"GET", "/%E4%B8%AD%E6%96%87", 301, "/%E4%B8%AD%E6%96%87/"},
		{"POST", "/d", 301, "/d/"},
		{"GET", "/nope", 404, ""},
		{"GET", "/a.txt/x", 404, ""}, // ENOTDIR
		{"GET", "/quiet/nope", 404, ""},
		{"GET", "/d/", 403, ""},
	} {
		raw := c.method + " " + c.path + " HTTP/1.0\r\nHost: localhost\r\n\r\n"
		resp, _, conn := s.Exchange(t, raw)
		conn.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
		if loc := resp.Header.Get("Location"); c.location != "" && !strings.HasSuffix(loc, "localhost:"+port(s.Addr)+c.location) {
			t.Errorf("%s %s: Location %q, want ...%s", c.method, c.path, loc, c.location)
		}
	}
	log := s.ErrorLog()
	for _, want := range []string{
		`open() "` + dir + `/nope" failed (2: No such file or directory)`,
		`open() "` + dir + `/a.txt/x" failed (20: Not a directory)`,
		`directory index of "` + dir + `/d/" is forbidden`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q", want)
		}
	}
	if strings.Contains(log, "/quiet/nope") {
		t.Errorf("log_not_found off logged: %s", log)
	}
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }
