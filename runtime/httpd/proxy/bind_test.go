package proxy_test

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// proxy_bind with a variable: the upstream sees the connection come from
// the address it names; an empty value binds nothing; one that does not
// parse is logged and binds nothing; an address the host does not have
// fails the bind, a 500 with nginx's [crit] line (NGX_REFERENCE=
// /usr/sbin/nginx runs it on nginx).
func TestProxyBind(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    set $local "";
    proxy_bind $local;
    location = /none { proxy_pass http://127.0.0.1:PORT/back; }
    location = /two { set $local 127.0.0.2; proxy_pass http://127.0.0.1:PORT/back; }
    location = /bad { set $local 100.100.100.100; proxy_pass http://127.0.0.1:PORT/back; }
    location = /junk { set $local "not-an-address"; proxy_pass http://127.0.0.1:PORT/back; }
    location = /off { proxy_bind off; set $local 127.0.0.2; proxy_pass http://127.0.0.1:PORT/back; }
    location = /back { return 200 "from $remote_addr\n"; }
}`)
	for path, want := range map[string]string{
		"/none": "from 127.0.0.1\n",
		"/two":  "from 127.0.0.2\n",
		"/off":  "from 127.0.0.1\n",
	} {
		if code, _, body := s.Get(t, path); code != 200 || body != want {
			t.Errorf("%s: %d %q, want %q", path, code, body, want)
		}
	}
	if code, _, _ := s.Get(t, "/bad"); code != 500 {
		t.Errorf("/bad: %d, want 500", code)
	}
	log := s.WaitErrorLog(t, "bind(100.100.100.100) failed (99: Cannot assign requested address)")
	if i := strings.Index(log, "bind(100.100.100.100)"); !strings.Contains(log[:i], "[crit]") {
		t.Errorf("bind failure not at crit:\n%s", log)
	}
	if code, _, body := s.Get(t, "/junk"); code != 200 || body != "from 127.0.0.1\n" {
		t.Errorf("/junk: %d %q, want the connection unbound", code, body)
	}
	s.WaitErrorLog(t, `invalid local address "not-an-address"`)
}
