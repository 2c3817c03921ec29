package metrics_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// value finds one sample in a scrape: name{labels} (labels in the
// exposition's order) and returns it, or -1.
func value(t *testing.T, scrape, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(scrape)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func upstream(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(404)
		}
		fmt.Fprint(w, "up")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestScrapeAfterRequests(t *testing.T) {
	up := upstream(t)
	s := httpdtest.Start(t, `
lua_shared_dict cache 1m;
init_worker_by_lua_block { ngx.timer.at(3600, function() end) }
upstream backend { server `+up+`; }
server {
    listen 127.0.0.1:PORT;
    server_name api.test;
    location /hello { content_by_lua_block { ngx.shared.cache:set("k", string.rep("v", 1000)) ngx.say("hi") } }
    location /boom { content_by_lua_block { error("boom") } }
    location /api/ { proxy_pass http://backend; }
    location = /metrics {
        allow 127.0.0.1;
        deny all;
        goresty_metrics;
    }
    location = /metrics-denied {
        deny all;
        goresty_metrics on;
    }
}`, "")
	for i := 0; i < 3; i++ {
		s.Get(t, "/hello")
	}
	s.Get(t, "/boom")
	s.Get(t, "/nothing-here")
	s.Get(t, "/api/x")
	s.Get(t, "/api/missing")
	req, _ := http.NewRequest("BREW", "http://"+s.Addr+"/hello", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if code, _, _ := s.Get(t, "/metrics-denied"); code != 403 {
		t.Fatalf("metrics behind deny all: status %d", code)
	}
	code, h, body := s.Get(t, "/metrics")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %v", code, h)
	}
	// the whole page parses as the text format
	parser := expfmt.NewTextParser(model.LegacyValidation)
	if _, err := parser.TextToMetricFamilies(strings.NewReader(body)); err != nil {
		t.Fatalf("scrape does not parse: %v\n%s", err, body)
	}
	want := map[string]float64{
		`goresty_http_requests_total{location="/hello",method="GET",server="api.test",status="2xx"}`:          3,
		`goresty_http_requests_total{location="/hello",method="other",server="api.test",status="2xx"}`:        1,
		`goresty_http_requests_total{location="/boom",method="GET",server="api.test",status="5xx"}`:           1,
		`goresty_http_requests_total{location="",method="GET",server="api.test",status="4xx"}`:                1,
		`goresty_http_requests_total{location="/metrics-denied",method="GET",server="api.test",status="4xx"}`: 1,
		`goresty_http_request_duration_seconds_count{location="/hello",server="api.test"}`:                    4,
		`goresty_upstream_responses_total{peer="` + up + `",status="200",upstream="backend"}`:                 1,
		`goresty_upstream_responses_total{peer="` + up + `",status="404",upstream="backend"}`:                 1,
		`goresty_upstream_response_time_seconds_count{peer="` + up + `",upstream="backend"}`:                  2,
		`goresty_lua_shared_dict_capacity_bytes{dict="cache"}`:                                                1 << 20,
		`goresty_lua_timers{state="pending",worker="0"}`:                                                      1,
		`goresty_lua_timers{state="running",worker="0"}`:                                                      0,
		`goresty_http_connections{state="writing"}`:                                                           1,
	}
	for series, v := range want {
		if got := value(t, body, series); got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
	// process-wide counters: at least what this test did
	atLeast := map[string]float64{
		`goresty_lua_errors_total{phase="content"}`:                                           1,
		`goresty_lua_shared_dict_used_bytes{dict="cache"}`:                                    1000,
		`goresty_http_connections{state="active"}`:                                            1,
		`goresty_http_connections_accepted_total`:                                             10,
		`goresty_lua_vm_busy_seconds_total{worker="0"}`:                                       1e-9,
		`goresty_build_info{goversion="` + goVersion() + `",version="` + httpd.Version + `"}`: 1,
	}
	for series, v := range atLeast {
		if got := value(t, body, series); got < v {
			t.Errorf("%s = %v, want at least %v", series, got, v)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("scrape lacks %s", name)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestReloadCounter(t *testing.T) {
	conf := `
server {
    listen 127.0.0.1:PORT;
    location = /metrics { goresty_metrics; }
}`
	s := httpdtest.Start(t, conf, "")
	_, _, before := s.Get(t, "/metrics")
	ok0 := value(t, before, `goresty_reloads_total{result="ok"}`)
	failed0 := value(t, before, `goresty_reloads_total{result="failed"}`)
	next, err := httpd.Load(s.Prefix, "conf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Process.Reload(next); err != nil {
		t.Fatal(err)
	}
	// a configuration whose init_by_lua fails is rejected
	path := filepath.Join(s.Prefix, "conf/nginx.conf")
	text, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(text), "http {\n", "http {\ninit_by_lua_block { error('no') }\n", 1)), 0o644)
	bad, err := httpd.Load(s.Prefix, "conf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Process.Reload(bad); err == nil {
		t.Fatal("a failing init_by_lua was accepted")
	}
	_, _, after := s.Get(t, "/metrics")
	if got := value(t, after, `goresty_reloads_total{result="ok"}`); got != max(ok0, 0)+1 {
		t.Errorf("ok reloads %v -> %v", ok0, got)
	}
	if got := value(t, after, `goresty_reloads_total{result="failed"}`); got != max(failed0, 0)+1 {
		t.Errorf("failed reloads %v -> %v", failed0, got)
	}
}

func goVersion() string { return runtime.Version() }

// A keepalive connection waiting for its next request counts as idle,
// and no longer once it is closed.
func TestIdleConnections(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    location = /metrics { goresty_metrics; }
    location / { return 200 "ok\n"; }
}`, "")
	scrape := func() float64 {
		_, _, body := s.Get(t, "/metrics")
		return value(t, body, `goresty_http_connections{state="idle"}`)
	}
	before := scrape()
	resp, _, c := s.Exchange(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// the server marks the connection idle once the answer is written
	for i := 0; scrape() != before+1; i++ {
		if i == 1000 {
			t.Fatalf("idle connections stayed at %v with one keepalive connection open", before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	for i := 0; scrape() != before; i++ {
		if i == 1000 {
			t.Fatalf("idle connections did not go back to %v after the close", before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
