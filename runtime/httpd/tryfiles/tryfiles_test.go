package tryfiles_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestTryFiles(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    root html;
    # the server's try_files: only for requests that match no location
    try_files $uri /fallback.txt;
    location /own/ { try_files $uri $uri/ =418; }
    location /plain/ { }
    location /named/ { try_files $uri @n; }
    location @n { return 200 "named $uri\n"; }
    location /args/ { try_files $uri /echo?from=tf; }
    location /echo { return 200 "echo $uri $args\n"; }
    location /lua/ { try_files $uri /echo; content_by_lua_block { ngx.say("lua ", ngx.var.uri) } }
    location /iff/ {
        try_files $uri /echo;
        if ($arg_x) { }
    }
}`)
	dir := filepath.Join(s.Prefix, "html")
	for _, d := range []string{"own/d", "plain", "lua"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	for name, body := range map[string]string{"fallback.txt": "fb\n", "own/f.txt": "f\n", "top.txt": "top\n", "lua/x": "x\n"} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/top.txt", 200, "top\n"},
		{"/missing", 200, "fb\n"},
		{"/own/f.txt", 200, "f\n"},
		{"/own/nope", 418, ""},
		{"/plain/nope", 404, ""}, // not inherited from the server
		{"/named/nope", 200, "named /named/nope\n"},
		{"/args/nope?a=1", 200, "echo /echo from=tf\n"},
		{"/lua/x", 200, "lua /lua/x\n"},
		{"/lua/y?q=2", 200, "echo /echo \n"}, // args go only with "?$args"
		{"/iff/nope", 200, "echo /echo \n"},
		{"/iff/nope?x=1", 404, ""}, // an "if" block has no try_files
	} {
		code, _, body := s.Get(t, c.path)
		if code != c.code || c.body != "" && body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
}
