package subfilter_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestSubFilter(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    sub_filter_once off;
    location /static/ {
        sub_filter 'Hello' 'Bye $arg_who';
        sub_filter '<b>' '<i>';
    }
    location /once/ {
        alias html/static/;
        sub_filter_once on;
        sub_filter 'hello' 'bye';
        sub_filter 'x' 'y';
    }
    location /plain/ {
        alias html/static/;
        sub_filter 'hello' 'bye';
    }
    location /plainon/ {
        alias html/static/;
        sub_filter 'hello' 'bye';
        sub_filter_types text/plain;
        sub_filter_last_modified on;
    }
    location /lua {
        default_type text/html;
        sub_filter 'abcdef' '[match]';
        sub_filter 'abx' '[other]';
        content_by_lua_block {
            ngx.print("xx abc") ngx.flush(true)
            ngx.print("def yy ab") ngx.flush(true)
            ngx.print("x zz abcd")
        }
    }
}`)
	os.MkdirAll(filepath.Join(s.Prefix, "html/static"), 0o755)
	os.WriteFile(filepath.Join(s.Prefix, "html/static/a.html"), []byte("<b>Hello</b> hello HELLO x x\n"), 0o644)
	os.WriteFile(filepath.Join(s.Prefix, "html/static/a.txt"), []byte("hello text\n"), 0o644)
	for _, c := range []struct {
		path, body string
		lm, cl     bool // Last-Modified and Content-Length kept
	}{
		{"/static/a.html?who=me", "<i>Bye me</b> Bye me Bye me x x\n", false, false},
		{"/once/a.html", "<b>bye</b> hello HELLO y x\n", false, false},
		{"/plain/a.txt", "hello text\n", true, true},
		{"/plainon/a.txt", "bye text\n", true, false},
		{"/lua", "xx [match] yy [other] zz abcd", false, false},
	} {
		st, h, body := s.Get(t, c.path)
		if st != 200 || body != c.body {
			t.Errorf("%s: got %d %q, want %q", c.path, st, body, c.body)
		}
		if c.path == "/lua" {
			continue
		}
		if got := h.Get("Last-Modified") != ""; got != c.lm {
			t.Errorf("%s: Last-Modified %v", c.path, got)
		}
		if got := h.Get("Content-Length") != ""; got != c.cl {
			t.Errorf("%s: Content-Length %v", c.path, got)
		}
		if etag := h.Get("ETag"); c.lm && !c.cl && (len(etag) < 2 || etag[:2] != "W/") {
			t.Errorf("%s: ETag %q not weak", c.path, etag)
		}
	}
}

func TestSubFilterConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"sub_filter '' x;", `empty search pattern in PREFIX/conf/nginx.conf:3`},
		{"sub_filter a x; sub_filter A y;", `duplicate search pattern "A" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}
