package autoindex_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The listings of one directory in every format, with names that need
// escaping and cutting; the expected bytes are nginx 1.22's.
// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestAutoindexFormats(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    root html;
    autoindex on;
    location /exact/ { alias html/ai/; autoindex_exact_size off; }
    location /json/ { alias html/ai/; autoindex_format json; }
    location /jsonp/ { alias html/ai/; autoindex_format jsonp; }
    location /xml/ { alias html/ai/; autoindex_format xml; }
    location /utf/ { alias html/ai/; charset utf-8; }
    location /off/ { alias html/ai/; autoindex off; }
}`)
	dir := filepath.Join(s.Prefix, "html/ai")
	mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	files := map[string]int{
		"b.txt": 5, "big.bin": 12000, "huge.bin": 3 << 20,
		"a&<b>\".txt": 1,
		"0123456789012345678901234567890123456789012345678901234567.txt": 2,
		"ééééééééééééééééééééééééééééééééééééééééééééééééééééé.txt":      3,
		"sp ace%.txt": 4, ".hidden": 1,
	}
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.MkdirAll(filepath.Join(dir, "dir<x>"), 0o755)
	for name, n := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mt, mt)
	}
	os.Chtimes(filepath.Join(dir, "d"), mt, mt)
	os.Chtimes(filepath.Join(dir, "dir<x>"), mt, mt)

	for _, c := range []struct {
		path, ct string
		code     int
		body     string
	}{
		{"/ai/", "text/html", 200, htmlExact},
		{"/exact/", "text/html", 200, htmlScaled},
		{"/json/", "application/json", 200, jsonBody},
		{"/jsonp/?callback=cb.x_1", "application/javascript", 200, "/* callback */\r\ncb.x_1(" + jsonBody + ");"},
		{"/jsonp/", "application/json", 200, jsonBody},
		{"/jsonp/?callback=a(b", "text/html", 400, ""},
		{"/xml/", "text/xml; charset=utf-8", 200, xmlBody},
		{"/utf/", "text/html; charset=utf-8", 200, htmlUTF8},
		{"/off/", "text/html", 403, ""},
	} {
		code, h, body := s.Get(t, c.path)
		if code != c.code || h.Get("Content-Type") != c.ct {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, h.Get("Content-Type"), c.code, c.ct)
		}
		if code == 200 && h.Get("Content-Length") != "" {
			t.Errorf("%s: Content-Length %q, nginx sends none", c.path, h.Get("Content-Length"))
		}
		if c.body != "" && body != strings.ReplaceAll(c.body, "PATH", strings.TrimSuffix(strings.SplitN(c.path, "?", 2)[0], "/")) {
			t.Errorf("%s: body\n%q\nwant\n%q", c.path, body, c.body)
		}
	}
}
