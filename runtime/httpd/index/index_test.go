package index_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestIndex(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    root html;
    location / { }
    location /multi/ { index a.html b.html; }
    location /abs/ { index nope.html /target; }
    location = /target { return 200 "target $uri\n"; }
    location /var/ { index $arg_i.html; }
    location /al/ { alias html/multi/; index b.html; }
    location /dirindex/ { index sub; }
}`)
	dir := filepath.Join(s.Prefix, "html")
	for _, d := range []string{"multi", "abs", "var", "dirindex/sub", "empty"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	for name, body := range map[string]string{"index.html": "root\n", "multi/b.html": "b\n", "var/x.html": "x\n"} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/", 200, "root\n"},
		{"/multi/", 200, "b\n"},
		{"/abs/", 200, "target /target\n"},
		{"/var/?i=x", 200, "x\n"},
		{"/var/?i=y", 403, ""},
		{"/al/", 200, "b\n"},
		{"/dirindex/", 301, ""}, // an index that is a directory: redirected with "/"
		{"/empty/", 403, ""},
		{"/missing/", 404, ""},
	} {
		code, _, body := s.Get(t, c.path)
		if code != c.code || c.body != "" && body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	if want := `"` + dir + `/missing/index.html" is not found (2: No such file or directory)`; !strings.Contains(s.ErrorLog(), want) {
		t.Errorf("error log lacks %q:\n%s", want, s.ErrorLog())
	}
}
