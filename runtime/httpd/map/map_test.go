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
