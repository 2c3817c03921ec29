package mapmodule_test

import (
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestMap(t *testing.T) {
	s := httpdtest.StartEnv(t, `
map $http_x_key $mapped {
    default       dflt;
    exact         hit;
    ~*^RE-(\w+)$  re:$1;
}
map $uri $late { /late yes; }
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "$mapped $late\n"; }
}`)
	for _, c := range []struct{ key, want string }{
		{"", "dflt \n"},
		{"exact", "hit \n"},
		{"EXACT", "hit \n"},
		{"re-abc", "re:abc \n"},
		{"other", "dflt \n"},
	} {
		_, _, body := s.Get(t, "/", "X-Key: "+c.key)
		if body != c.want {
			t.Errorf("X-Key %q: got %q, want %q", c.key, body, c.want)
		}
	}
	if _, _, body := s.Get(t, "/late"); body != "dflt yes\n" {
		t.Errorf("/late: got %q", body)
	}
}

// "hostnames" matches leading and trailing wildcards after exact names,
// the longest first; a map's value is computed once per request unless
// "volatile".
func TestMapHostnamesVolatile(t *testing.T) {
	s := httpdtest.StartEnv(t, `
map $http_x_host $site {
    hostnames;
    default           none;
    example.com       exact;
    *.example.com     sub;
    *.a.example.com   deep;
    .example.org      dot;
    www.example.*     tail;
    ~^re\.            re;
}
map $arg_a $cached { default $arg_a; }
map $arg_a $fresh { volatile; default $arg_a; }
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "$site"; }
    location /c { set $x "$cached $fresh"; set $args a=2; return 200 "$x|$cached $fresh"; }
}`)
	for _, c := range []struct{ host, want string }{
		{"example.com", "exact"},
		{"EXAMPLE.com.", "exact"},
		{"x.example.com", "sub"},
		{"x.y.example.com", "sub"},
		{"x.a.example.com", "deep"},
		{"example.org", "dot"},
		{"w.example.org", "dot"},
		{"www.example.net", "tail"},
		{"re.example.net", "re"},
		{"other", "none"},
	} {
		if _, _, body := s.Get(t, "/", "X-Host: "+c.host); body != c.want {
			t.Errorf("%q: got %q, want %q", c.host, body, c.want)
		}
	}
	if _, _, body := s.Get(t, "/c?a=1"); body != "1 1|1 2" {
		t.Errorf("volatile: got %q, want %q", body, "1 1|1 2")
	}
}
