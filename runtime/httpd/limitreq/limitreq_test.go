package limitreq_test

import (
	"github.com/goresty/goresty/runtime/httpd"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The rates are 1r/m where the assertions count requests: a request leaks
// 1/60 of a request per second, so the excess logged is 3.000 unless more
// than 60 ms pass between the requests (then 2.9xx): the tests accept both.

const limitConf = `
limit_req_zone $arg_k zone=one:1m rate=1r/m;
limit_req_zone $arg_k zone=two:64k rate=1r/m;
limit_req_zone $arg_j zone=three:1m rate=1r/m;
log_format st '$uri $status $limit_req_status';
server {
    listen 127.0.0.1:PORT;
    access_log logs/access.log st;
    location /nodelay {
        limit_req zone=one burst=2 nodelay;
        content_by_lua_block { ngx.say("ok ", tostring(ngx.var.limit_req_status)) }
    }
    location /status {
        limit_req zone=two;
        limit_req_status 429;
        limit_req_log_level warn;
        content_by_lua_block { ngx.say("ok ", ngx.var.limit_req_status) }
    }
    location /dry {
        limit_req zone=one burst=3 delay=1;
        limit_req_dry_run on;
        limit_req_log_level notice;
        content_by_lua_block { ngx.say("ok ", ngx.var.limit_req_status) }
    }
    location /two {
        limit_req zone=two burst=5 nodelay;
        limit_req zone=three burst=1 nodelay;
        content_by_lua_block { ngx.say("ok ", ngx.var.limit_req_status) }
    }
    location /early {
        limit_req zone=one;
        return 200 "rewrite phase first\n";
    }
}`

type step struct {
	path   string
	status int
	body   string
}

func run(t *testing.T, s *httpdtest.Server, steps []step) {
	t.Helper()
	for i, c := range steps {
		st, _, body := s.Get(t, c.path)
		if st != c.status || (c.body != "" && body != c.body) {
			t.Errorf("step %d %s: got %d %q, want %d %q", i, c.path, st, body, c.status, c.body)
		}
	}
}

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestLimitReq(t *testing.T) {
	s := httpdtest.StartEnv(t, limitConf)
	run(t, s, []step{
		{"/nodelay?k=a", 200, "ok PASSED\n"},
		{"/nodelay?k=a", 200, "ok PASSED\n"},
		{"/nodelay?k=a", 200, "ok PASSED\n"},
		{"/nodelay?k=a", 503, ""},
		{"/nodelay?k=b", 200, "ok PASSED\n"},
		// an empty key is not limited and sets no status
		{"/nodelay", 200, "ok nil\n"},
		{"/nodelay", 200, "ok nil\n"},
		{"/status?k=c", 200, "ok PASSED\n"},
		{"/status?k=c", 429, ""},
		{"/early?k=a", 200, "rewrite phase first\n"},
	})
	log := s.ErrorLog()
	re := regexp.MustCompile(`\[error\] \d+#\d+: \*\d+ limiting requests, excess: (\d\.\d{3}) by zone "one", client: 127\.0\.0\.1, server: , request: "GET /nodelay\?k=a HTTP/1\.1", host: "127\.0\.0\.1:\d+"`)
	if m := re.FindStringSubmatch(log); m == nil || !excessNear(m[1], 3) {
		t.Errorf("no limiting line for zone one:\n%s", log)
	}
	if !regexp.MustCompile(`\[warn\] .* limiting requests, excess: (1\.000|0\.9\d\d) by zone "two"`).MatchString(log) {
		t.Errorf("limit_req_log_level warn:\n%s", log)
	}
	if !strings.Contains(s.AccessLog(), "/nodelay 503 REJECTED\n") || !strings.Contains(s.AccessLog(), "/nodelay 200 -\n") {
		t.Errorf("access log:\n%s", s.AccessLog())
	}
}

func TestLimitReqDryRunAndDelay(t *testing.T) {
	s := httpdtest.StartEnv(t, limitConf)
	run(t, s, []step{
		{"/dry?k=d", 200, "ok PASSED\n"},
		{"/dry?k=d", 200, "ok PASSED\n"},
		{"/dry?k=d", 200, "ok DELAYED_DRY_RUN\n"},
		{"/dry?k=d", 200, "ok DELAYED_DRY_RUN\n"},
		{"/dry?k=d", 200, "ok REJECTED_DRY_RUN\n"},
	})
	log := s.ErrorLog()
	// the delay message is one level below limit_req_log_level (notice)
	if !regexp.MustCompile(`\[info\] .* delaying request, dry run, excess: (2\.000|1\.9\d\d), by zone "one"`).MatchString(log) {
		t.Errorf("delaying line:\n%s", log)
	}
	if !regexp.MustCompile(`\[notice\] .* limiting requests, dry run, excess: (4\.000|3\.9\d\d) by zone "one"`).MatchString(log) {
		t.Errorf("dry run limiting line:\n%s", log)
	}
}

// TestLimitReqTwoZones: the last limit accounts first, the earlier ones
// after it passed; a refusal names its zone and charges no earlier limit.
func TestLimitReqTwoZones(t *testing.T) {
	s := httpdtest.StartEnv(t, limitConf)
	run(t, s, []step{
		{"/two?k=x&j=y", 200, "ok PASSED\n"},
		{"/two?k=x&j=y", 200, "ok PASSED\n"},
		{"/two?k=x&j=y", 503, ""},
		{"/two?k=x&j=z", 200, "ok PASSED\n"},
		{"/two?k=x&j=z", 200, "ok PASSED\n"},
		{"/two?k=x&j=w", 200, "ok PASSED\n"},
		{"/two?k=x&j=w", 200, "ok PASSED\n"},
		{"/two?k=x&j=v", 503, ""},
	})
	log := s.ErrorLog()
	if n := strings.Count(log, `by zone "three"`); n != 1 {
		t.Errorf("%d refusals by zone three:\n%s", n, log)
	}
	if !regexp.MustCompile(`limiting requests, excess: (6\.000|5\.9\d\d) by zone "two"`).MatchString(log) {
		t.Errorf("zone two did not refuse the 6th request:\n%s", log)
	}
}

// TestLimitReqDelay: without nodelay a request within the burst waits
// until its excess leaked (2 s at 30r/m), and is logged as delayed.
func TestLimitReqDelay(t *testing.T) {
	s := httpdtest.StartEnv(t, `
limit_req_zone $arg_k zone=one:1m rate=30r/m;
server {
    listen 127.0.0.1:PORT;
    location / {
        limit_req zone=one burst=1;
        content_by_lua_block { ngx.say(ngx.var.limit_req_status) }
    }
}`)
	run(t, s, []step{
		{"/?k=a", 200, "PASSED\n"},
		{"/?k=a", 200, "DELAYED\n"},
	})
	if !regexp.MustCompile(`\[warn\] .* delaying request, excess: [01]\.\d{3}, by zone "one"`).MatchString(s.ErrorLog()) {
		t.Errorf("delaying line:\n%s", s.ErrorLog())
	}
}

func excessNear(s string, want float64) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f <= want && f > want-0.1
}

func TestLimitReqConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"limit_req_zone $a zone=one rate=1r/s;", `invalid zone size "zone=one" in PREFIX/conf/nginx.conf:3`},
		{"limit_req_zone $a zone=one:1k rate=1r/s;", `zone "zone=one:1k" is too small in PREFIX/conf/nginx.conf:3`},
		{"limit_req_zone $a zone=one:1m rate=0r/s;", `invalid rate "rate=0r/s" in PREFIX/conf/nginx.conf:3`},
		{"limit_req_zone $a zone=one:1m rate=1r/s foo;", `invalid number of arguments in "limit_req_zone" directive in PREFIX/conf/nginx.conf:3`},
		{"limit_req_zone $a size=1 rate=1r/s;", `invalid parameter "size=1" in PREFIX/conf/nginx.conf:3`},
		{"limit_req_zone $a zone=one:1m rate=1r/s;\nlimit_req_zone $b zone=one:1m rate=1r/s;", `limit_req_zone "one" is already bound to key "$a" in PREFIX/conf/nginx.conf:4`},
		{"limit_req zone=nope;", `zero size shared memory zone "nope"`},
		{"limit_req_zone $a zone=one:1m rate=1r/s;\nlimit_req zone=one burst=0;", `invalid burst value "burst=0" in PREFIX/conf/nginx.conf:4`},
		{"limit_req_zone $a zone=one:1m rate=1r/s;\nlimit_req zone=one; limit_req zone=one;", `"limit_req" directive is duplicate in PREFIX/conf/nginx.conf:4`},
		{"limit_req burst=1;", `"limit_req" must have "zone" parameter in PREFIX/conf/nginx.conf:3`},
		{"limit_req_status 200;", `value must be between 400 and 599 in PREFIX/conf/nginx.conf:3`},
		{"limit_req_log_level debug;", `invalid value "debug" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}

// TestLimitReqReload: a zone keeps its states across a reload while its
// size and key stay; a new key for it refuses the reload, as nginx.
func TestLimitReqReload(t *testing.T) {
	s := httpdtest.Start(t, limitConf, "")
	run(t, s, []step{
		{"/nodelay?k=r", 200, "ok PASSED\n"},
		{"/nodelay?k=r", 200, "ok PASSED\n"},
		{"/nodelay?k=r", 200, "ok PASSED\n"},
	})
	reload := func() error {
		next, err := httpd.Load(s.Prefix, "conf/nginx.conf")
		if err != nil {
			t.Fatal(err)
		}
		next.OpenLogs()
		if err := next.StartLua(); err != nil {
			t.Fatal(err)
		}
		return s.Process.Reload(next)
	}
	if err := reload(); err != nil {
		t.Fatal(err)
	}
	run(t, s, []step{{"/nodelay?k=r", 503, ""}})
	path := filepath.Join(s.Prefix, "conf/nginx.conf")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "limit_req_zone $arg_k zone=one", "limit_req_zone $arg_x zone=one", 1)), 0o644)
	err := reload()
	if want := `limit_req "one" uses the "$arg_x" key while previously it used the "$arg_k" key`; err == nil || err.Error() != want {
		t.Errorf("reload with a new key: %v", err)
	}
}

// TestLimitReqZoneFull: when no new state fits, the least recently used
// one is dropped (nginx's forced expire): a key seen before the zone
// filled up starts afresh.
func TestLimitReqZoneFull(t *testing.T) {
	s := httpdtest.StartEnv(t, `
limit_req_zone $arg_k zone=small:32k rate=1r/m;
server {
    listen 127.0.0.1:PORT;
    location / {
        limit_req zone=small burst=1 nodelay;
        content_by_lua_block { ngx.say(ngx.var.limit_req_status) }
    }
}`)
	run(t, s, []step{{"/?k=first", 200, "PASSED\n"}, {"/?k=first", 200, "PASSED\n"}})
	for i := 0; i < 600; i++ {
		if st, _, _ := s.Get(t, "/?k="+strconv.Itoa(i)); st != 200 {
			t.Fatalf("key %d: %d", i, st)
		}
	}
	run(t, s, []step{{"/?k=first", 200, "PASSED\n"}, {"/?k=first", 200, "PASSED\n"}, {"/?k=first", 503, ""}})
}

// TestLimitReqDelayParam: delay=N lets the first N excess requests
// through at once (PASSED), delays the ones past it (DELAYED) and
// refuses past burst.
func TestLimitReqDelayParam(t *testing.T) {
	s := httpdtest.StartEnv(t, `
limit_req_zone $arg_k zone=one:1m rate=30r/m;
server {
    listen 127.0.0.1:PORT;
    location / {
        limit_req zone=one burst=2 delay=1;
        content_by_lua_block { ngx.say(ngx.var.limit_req_status) }
    }
}`)
	run(t, s, []step{
		{"/?k=a", 200, "PASSED\n"},
		{"/?k=a", 200, "PASSED\n"},
		{"/?k=a", 200, "DELAYED\n"},
	})
	if !regexp.MustCompile(`\[warn\] .* delaying request, excess: [12]\.\d{3}, by zone "one"`).MatchString(s.ErrorLog()) {
		t.Errorf("delaying line:\n%s", s.ErrorLog())
	}
}
