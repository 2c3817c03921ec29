package prometheus_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The usage of nginx-lua-prometheus's README, unchanged, with each
// method and error path. On goresty require "prometheus" is the built-in;
// with NGX_LUA_PROMETHEUS (a directory holding the library's
// prometheus*.lua) the same conf runs the library itself, on goresty, or
// on nginx when NGX_REFERENCE is set too.
const appConf = `
access_log off;
PACKAGE_PATH
lua_shared_dict prometheus_metrics 1m;
init_worker_by_lua_block {
    prometheus = require("prometheus").init("prometheus_metrics", {prefix = "app_"})
    metric_requests = prometheus:counter("http_requests_total", "Number of HTTP requests", {"host", "status"})
    metric_latency = prometheus:histogram("http_request_duration_seconds", "HTTP request latency", {"host"}, {0.05, 0.1, 2.5})
    metric_conns = prometheus:gauge("http_connections", "Number of HTTP connections", {"state"})
    plain = prometheus:counter("plain_total")
    dup = prometheus:counter("http_requests_total", "again")
    bad = prometheus:counter("bad-name")
}
server {
    listen 127.0.0.1:PORT;
    server_name example;
    log_by_lua_block {
        metric_requests:inc(1, {ngx.var.server_name, ngx.var.status})
        metric_latency:observe(tonumber(ngx.var.arg_t) or 0.07, {ngx.var.server_name})
    }
    location = /metrics {
        content_by_lua_block {
            metric_conns:set(3, {"reading"})
            metric_conns:set(1.5, {"wr\"it\ning"})
            metric_conns:inc(2, {"reading"})
            metric_requests:inc(1, {"only-one-label"})
            metric_requests:inc(-1, {"a", "b"})
            plain:inc()
            plain:inc(2.5)
            prometheus:collect()
        }
    }
    location = /reset {
        content_by_lua_block {
            metric_conns:del({"reading"})
            metric_latency:reset()
            ngx.say(#prometheus:metric_data())
        }
    }
    location / { return 200 "ok\n"; }
}`

const wantScrape = `# HELP app_http_connections Number of HTTP connections
# TYPE app_http_connections gauge
app_http_connections{state="reading"} 5
app_http_connections{state="wr\"it\ning"} 1.5
# HELP app_http_request_duration_seconds HTTP request latency
# TYPE app_http_request_duration_seconds histogram
app_http_request_duration_seconds_bucket{host="example",le="0.05"} 1
app_http_request_duration_seconds_bucket{host="example",le="0.1"} 2
app_http_request_duration_seconds_bucket{host="example",le="2.5"} 2
app_http_request_duration_seconds_bucket{host="example",le="+Inf"} 3
app_http_request_duration_seconds_count{host="example"} 3
app_http_request_duration_seconds_sum{host="example"} 3.08
# HELP app_http_requests_total Number of HTTP requests
# TYPE app_http_requests_total counter
app_http_requests_total{host="example",status="200"} 3
# HELP app_nginx_metric_errors_total Number of nginx-lua-prometheus errors
# TYPE app_nginx_metric_errors_total counter
app_nginx_metric_errors_total 4
# TYPE app_plain_total counter
app_plain_total 3.5
`

func TestLibraryAPI(t *testing.T) {
	ref, lib := os.Getenv("NGX_REFERENCE"), os.Getenv("NGX_LUA_PROMETHEUS")
	conf := strings.Replace(appConf, "PACKAGE_PATH", "", 1)
	if lib != "" {
		// the library itself, on nginx or on goresty
		conf = strings.Replace(appConf, "PACKAGE_PATH", `lua_package_path "`+lib+`/?.lua;;";`, 1)
	} else {
		ref = ""
	}
	s := httpdtest.Start(t, conf, ref)
	s.Get(t, "/a?t=0.01")
	s.Get(t, "/b?t=3")
	s.Get(t, "/nothere")
	if lib != "" {
		// the library's counters reach the dict on its 1 s sync timer
		waitSync()
	}
	code, h, body := s.Get(t, "/metrics")
	if code != 200 || h.Get("Content-Type") != "text/plain" {
		t.Fatalf("collect: %d %v", code, h)
	}
	if body != wantScrape {
		t.Fatalf("collect:\n%s\nwant:\n%s", body, wantScrape)
	}
	log := s.ErrorLog()
	for _, want := range []string{
		"Duplicate metric http_requests_total",
		"Metric name 'bad-name' is invalid",
		"incorrect label count for metric http_requests_total, expected 2, got 1 (<only-one-label>)",
		"Error while setting 'http_requests_total' to '-1': 'Value should not be negative'",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q", want)
		}
	}
	// del removes one series, reset every series of the histogram: what
	// is left is the gauge's other series, the requests (4 now), the
	// errors and plain_total, each with its HELP/TYPE lines
	if _, _, body := s.Get(t, "/reset"); body != "11\n" {
		t.Errorf("metric_data after del and reset: %q lines", body)
	}
}

// init outside init_by_lua/init_worker_by_lua and an unknown dict fail as
// in the library.
func TestInitErrors(t *testing.T) {
	s := httpdtest.Start(t, `
lua_shared_dict prometheus_metrics 1m;
server {
    listen 127.0.0.1:PORT;
    location /phase { content_by_lua_block { local ok, err = pcall(require("prometheus").init, "prometheus_metrics") ngx.say(err) } }
}`, "")
	_, _, body := s.Get(t, "/phase")
	if !strings.Contains(body, "Prometheus.init can only be called from init_by_lua_block or init_worker_by_lua_block") {
		t.Errorf("init in content: %q", body)
	}
	s2 := httpdtest.Start(t, `
init_worker_by_lua_block { local ok, err = pcall(require("prometheus").init, "nodict") ngx.log(ngx.ERR, "INIT: ", err) }
server { listen 127.0.0.1:PORT; }`, "")
	if !strings.Contains(s2.ErrorLog(), "Dictionary 'nodict' does not seem to exist. Please define the dictionary using `lua_shared_dict`.") {
		t.Errorf("unknown dict:\n%s", s2.ErrorLog())
	}
}

func waitSync() { time.Sleep(1500 * time.Millisecond) }
