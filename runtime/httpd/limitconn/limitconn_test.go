package limitconn_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx. A request
// to /hold stays in progress until /go is requested.
func TestLimitConn(t *testing.T) {
	s := httpdtest.StartEnv(t, `
lua_shared_dict flags 1m;
limit_conn_zone $arg_k zone=addr:1m;
log_format st '$uri $status $limit_conn_status';
server {
    listen 127.0.0.1:PORT;
    access_log logs/access.log st;
    limit_conn addr 1;
    location /hold {
        content_by_lua_block {
            local f = ngx.shared.flags
            f:set("in", 1)
            for i = 1, 3000 do
                if f:get("go") then break end
                ngx.sleep(0.005)
            end
            ngx.say("held ", ngx.var.limit_conn_status)
        }
    }
    location /in { limit_conn off_zone 5; content_by_lua_block { ngx.say(ngx.shared.flags:get("in")) } }
    location /go { limit_conn off_zone 5; content_by_lua_block { ngx.shared.flags:set("go", 1) ngx.say("ok") } }
    location /quick {
        limit_conn_log_level warn;
        limit_conn_status 429;
        content_by_lua_block { ngx.say(tostring(ngx.var.limit_conn_status)) }
    }
    location /dry {
        limit_conn_dry_run on;
        content_by_lua_block { ngx.say(ngx.var.limit_conn_status) }
    }
    location /two {
        limit_conn addr 2;
        content_by_lua_block { ngx.say(ngx.var.limit_conn_status) }
    }
}
limit_conn_zone $arg_none zone=off_zone:1m;`)
	done := make(chan string, 1)
	go func() {
		_, _, body := s.Get(t, "/hold?k=a")
		done <- body
	}()
	for i := 0; ; i++ {
		if _, _, body := s.Get(t, "/in"); body == "1\n" {
			break
		}
		if i > 1000 {
			t.Fatal("/hold never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/quick?k=a", 429, ""},
		{"/quick?k=b", 200, "PASSED\n"},
		{"/quick", 200, "nil\n"},
		{"/dry?k=a", 200, "REJECTED_DRY_RUN\n"},
		{"/two?k=a", 200, "PASSED\n"},
		{"/hold?k=a", 503, ""},
	} {
		st, _, body := s.Get(t, c.path)
		if st != c.status || (c.body != "" && body != c.body) {
			t.Errorf("%s: got %d %q, want %d %q", c.path, st, body, c.status, c.body)
		}
	}
	s.Get(t, "/go")
	if body := <-done; body != "held PASSED\n" {
		t.Errorf("/hold: %q", body)
	}
	if st, _, body := s.Get(t, "/quick?k=a"); st != 200 || body != "PASSED\n" {
		t.Errorf("after release: %d %q", st, body)
	}
	log := s.ErrorLog()
	for _, re := range []string{
		`\[warn\] \d+#\d+: \*\d+ limiting connections by zone "addr", client: 127\.0\.0\.1, server: , request: "GET /quick\?k=a HTTP/1\.1", host: "127\.0\.0\.1:\d+"`,
		`\[error\] .* limiting connections, dry run, by zone "addr", client: .* request: "GET /dry\?k=a HTTP/1\.1"`,
		`\[error\] .* limiting connections by zone "addr", client: .* request: "GET /hold\?k=a HTTP/1\.1"`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("no line %s:\n%s", re, log)
		}
	}
	if al := s.AccessLog(); !strings.Contains(al, "/quick 429 REJECTED\n") || !strings.Contains(al, "/hold 200 PASSED\n") || !strings.Contains(al, "/quick 200 -\n") {
		t.Errorf("access log:\n%s", al)
	}
}

func TestLimitConnConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"limit_conn_zone $a zone=one;", `invalid zone size "zone=one" in PREFIX/conf/nginx.conf:3`},
		{"limit_conn_zone $a zone=one:1k;", `zone "zone=one:1k" is too small in PREFIX/conf/nginx.conf:3`},
		{"limit_conn_zone $a size=1;", `invalid parameter "size=1" in PREFIX/conf/nginx.conf:3`},
		{"limit_conn_zone $a zone=one:1m; limit_conn_zone $b zone=one:1m;", `limit_conn_zone "one" is already bound to key "$a" in PREFIX/conf/nginx.conf:3`},
		{"limit_conn nope 1;", `zero size shared memory zone "nope"`},
		{"limit_conn_zone $a zone=one:1m; limit_conn one 0;", `invalid number of connections "0" in PREFIX/conf/nginx.conf:3`},
		{"limit_conn_zone $a zone=one:1m; limit_conn one 65536;", `connection limit must be less 65536 in PREFIX/conf/nginx.conf:3`},
		{"limit_conn_zone $a zone=one:1m; limit_conn one 1; limit_conn one 2;", `"limit_conn" directive is duplicate in PREFIX/conf/nginx.conf:3`},
		{"limit_conn_status 302;", `value must be between 400 and 599 in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}
