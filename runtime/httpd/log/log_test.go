package logmodule_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestAccessLog(t *testing.T) {
	s := httpdtest.StartEnv(t, `
log_format short '$request_method $uri $status $arg_x';
access_log logs/access.log short;
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "ok"; }
    location /quiet { access_log off; return 204; }
    location /cond { access_log logs/access.log short if=$arg_x; return 201; }
}`)
	s.Get(t, "/a?x=1")
	s.Get(t, "/quiet")
	s.Get(t, "/cond")
	s.Get(t, "/cond?x=0")
	s.Get(t, "/cond?x=y")
	want := "GET /a 200 1\nGET /cond 201 y\n"
	var got string
	for i := 0; i < 100; i++ {
		b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs/access.log"))
		if got = string(b); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("access.log:\n%s\nwant:\n%s", got, want)
}
