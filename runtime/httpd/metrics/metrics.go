// Package metrics is goresty's Prometheus metrics module: the
// goresty_metrics directive serves the process's registry from a
// location (so that allow/deny and auth apply to it), and a log-phase
// handler counts every request. It is built on prometheus/client_golang.
package metrics

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/ngxhttp"
	"github.com/goresty/goresty/luabindings/shdict"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/proxy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Registry is the process's registry: the gateway's series, Go's and the
// process's. It outlives reloads, as counters should.
var Registry = prometheus.NewRegistry()

// Module is the metrics module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "goresty_metrics",
		Commands: []httpd.Command{
			httpd.Directive(setMetrics, conf.Spec{Name: "goresty_metrics", Ctx: conf.Location, Args: conf.NoArgs | conf.Take1}),
		},
		CreateLocConf: func() any { return &locConf{} },
		MergeLocConf:  func(parent, child any) {},
		Hooks:         func(h *httpd.Hooks) { h.Phase(httpd.LogPhase, logHandler) },
	}
	httpd.OnServe = append(httpd.OnServe, func(rt *httpd.Runtime) { current.Store(rt) })
	httpd.OnReload = append(httpd.OnReload, func(err error) {
		if err != nil {
			reloads.failed.Inc()
		} else {
			reloads.ok.Inc()
		}
	})
	register()
}

// current is the configuration being served (its VMs for the timer and
// busy-time series).
var current atomic.Pointer[httpd.Runtime]

// locConf holds a location's series, made when its first request ends.
// An if block has its own locConf with the same labels.
type locConf struct {
	m atomic.Pointer[locMetrics]
}

// request labels: a method outside the list counts as "other", so that
// what a client sends cannot make new series.
var methods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}

var classes = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

type locMetrics struct {
	server, location string
	requests         [len(methods)][len(classes)]atomic.Pointer[counter]
	duration         prometheus.Observer
}

type counter struct{ prometheus.Counter }

var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goresty_http_requests_total",
		Help: "HTTP requests by server, location, method and status class.",
	}, []string{"server", "location", "method", "status"})
	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "goresty_http_request_duration_seconds",
		Help:    "Time from the first byte of the request to the end of the response.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"server", "location"})
	upstreamResponses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goresty_upstream_responses_total",
		Help: "Upstream responses by upstream, peer and status.",
	}, []string{"upstream", "peer", "status"})
	upstreamTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "goresty_upstream_response_time_seconds",
		Help:    "Time spent on the upstream ($upstream_response_time) by upstream and peer.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"upstream", "peer"})
	reloads = struct{ ok, failed prometheus.Counter }{}
)

func register() {
	reloadsVec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "goresty_reloads_total",
		Help: "Configuration reloads by result (ok, failed).",
	}, []string{"result"})
	reloads.ok, reloads.failed = reloadsVec.WithLabelValues("ok"), reloadsVec.WithLabelValues("failed")
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "goresty_build_info",
		Help: "goresty's version and the Go version it was built with; the value is 1.",
	}, []string{"version", "goversion"})
	Registry.MustRegister(requestsTotal, requestDuration, upstreamResponses, upstreamTime, reloadsVec, build,
		connCollector{}, luaCollector{},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildInfo = build
}

var (
	buildInfo *prometheus.GaugeVec
	buildOnce sync.Once
)

// setMetrics is "goresty_metrics;" or "goresty_metrics on|off;".
func setMetrics(b *httpd.Builder, d *conf.Directive) error {
	if len(d.Args) == 1 {
		switch strings.ToLower(d.Args[0]) {
		case "on":
		case "off":
			return nil
		default:
			return conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", d.Args[0], d.Name)
		}
	}
	b.SetContent(handler{}, false)
	return nil
}

// handler answers with the registry in the text exposition format.
type handler struct{}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

func (handler) Content(r *httpd.Request) httpd.Status {
	buildOnce.Do(func() { buildInfo.WithLabelValues(httpd.Version, runtime.Version()).Set(1) })
	if m := r.Method(); m != "GET" && m != "HEAD" {
		r.Finalize(405)
		return httpd.Done
	}
	families, err := Registry.Gather()
	if err != nil && len(families) == 0 {
		r.Finalize(500)
		return httpd.Done
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, textFormat)
	for _, f := range families {
		enc.Encode(f)
	}
	r.SetStatus(200)
	r.SetHeader("Content-Type", string(textFormat))
	r.SetContentLength(int64(buf.Len()))
	if r.Method() != "HEAD" {
		r.Write(buf.Bytes())
	}
	r.EOF()
	return httpd.Done
}

// logHandler counts the request: a few atomic loads and adds once the
// location's series exist.
func logHandler(r *httpd.Request) httpd.Status {
	lc := Module.Conf(r.Loc()).(*locConf)
	m := lc.m.Load()
	if m == nil {
		m = newLocMetrics(r)
		if !lc.m.CompareAndSwap(nil, m) {
			m = lc.m.Load()
		}
	}
	mi := methodIndex(r.Method())
	ci := classIndex(r.Status())
	c := m.requests[mi][ci].Load()
	if c == nil {
		c = &counter{requestsTotal.WithLabelValues(m.server, m.location, methods[mi], classes[ci])}
		m.requests[mi][ci].Store(c)
	}
	c.Inc()
	m.duration.Observe(time.Since(r.StartTime()).Seconds())
	if host, addr, status, took := proxy.Exchange(r); addr != "" {
		observeUpstream(host, addr, status, took)
	}
	return httpd.Declined
}

func newLocMetrics(r *httpd.Request) *locMetrics {
	m := &locMetrics{server: r.ServerName(), location: r.Loc().Name()}
	m.duration = requestDuration.WithLabelValues(m.server, m.location)
	return m
}

func methodIndex(m string) int {
	for i, n := range methods[:len(methods)-1] {
		if m == n {
			return i
		}
	}
	return len(methods) - 1
}

func classIndex(status int) int {
	switch {
	case status < 200:
		return 0
	case status >= 500:
		return 4
	}
	return status/100 - 1
}

// upstream series by (upstream, peer, status): the strings come from the
// configuration and the balancer, the status is bounded; a lookup of an
// existing key does not allocate.
type upKey struct {
	host, peer string
	status     int
}

type upSeries struct {
	responses prometheus.Counter
	time      prometheus.Observer
}

var (
	upMu  sync.RWMutex
	upMap = map[upKey]*upSeries{}
)

func observeUpstream(host, peer string, status int, took time.Duration) {
	if status < 100 || status > 599 {
		status = 502 // no valid answer: what the client got
	}
	k := upKey{host, peer, status}
	upMu.RLock()
	s := upMap[k]
	upMu.RUnlock()
	if s == nil {
		upMu.Lock()
		if s = upMap[k]; s == nil {
			s = &upSeries{
				responses: upstreamResponses.WithLabelValues(host, peer, strconv.Itoa(status)),
				time:      upstreamTime.WithLabelValues(host, peer),
			}
			upMap[k] = s
		}
		upMu.Unlock()
	}
	s.responses.Inc()
	s.time.Observe(took.Seconds())
}

// connCollector reports the client connections as nginx's stub_status.
type connCollector struct{}

var (
	connDesc = prometheus.NewDesc("goresty_http_connections",
		"Client connections by state (active = reading + writing + idle).", []string{"state"}, nil)
	acceptedDesc = prometheus.NewDesc("goresty_http_connections_accepted_total",
		"Client connections accepted.", nil, nil)
)

func (connCollector) Describe(ch chan<- *prometheus.Desc) { ch <- connDesc; ch <- acceptedDesc }

func (connCollector) Collect(ch chan<- prometheus.Metric) {
	c := httpd.Connections()
	for _, s := range []struct {
		name string
		v    int64
	}{{"active", c.Active}, {"reading", c.Reading}, {"writing", c.Writing}, {"idle", c.Waiting}} {
		ch <- prometheus.MustNewConstMetric(connDesc, prometheus.GaugeValue, float64(s.v), s.name)
	}
	ch <- prometheus.MustNewConstMetric(acceptedDesc, prometheus.CounterValue, float64(c.Accepted))
}

// luaCollector reports the Lua side: errors by phase, shared dicts,
// timers and busy time of the served configuration's VMs.
type luaCollector struct{}

var (
	luaErrDesc = prometheus.NewDesc("goresty_lua_errors_total",
		"Lua errors (not ngx.exit) by phase.", []string{"phase"}, nil)
	dictCapDesc = prometheus.NewDesc("goresty_lua_shared_dict_capacity_bytes",
		"lua_shared_dict size.", []string{"dict"}, nil)
	dictUsedDesc = prometheus.NewDesc("goresty_lua_shared_dict_used_bytes",
		"lua_shared_dict bytes in use (capacity minus free space).", []string{"dict"}, nil)
	timersDesc = prometheus.NewDesc("goresty_lua_timers",
		"ngx.timer timers of each worker VM by state (pending, running).", []string{"worker", "state"}, nil)
	busyDesc = prometheus.NewDesc("goresty_lua_vm_busy_seconds_total",
		"Time each worker VM of the served configuration was held by a request or timer (restarts on reload).", []string{"worker"}, nil)
)

func (luaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{luaErrDesc, dictCapDesc, dictUsedDesc, timersDesc, busyDesc} {
		ch <- d
	}
}

func (luaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range luabindings.Phases() {
		ch <- prometheus.MustNewConstMetric(luaErrDesc, prometheus.CounterValue, float64(luabindings.LuaErrors(p)), p.String())
	}
	for _, z := range shdict.Zones() {
		c := z.Capacity()
		ch <- prometheus.MustNewConstMetric(dictCapDesc, prometheus.GaugeValue, float64(c), z.Name)
		ch <- prometheus.MustNewConstMetric(dictUsedDesc, prometheus.GaugeValue, float64(c-z.FreeSpace()), z.Name)
	}
	rt := current.Load()
	if rt == nil {
		return
	}
	for _, vm := range rt.VMs() {
		w := strconv.Itoa(vm.Worker)
		pending, running := ngxhttp.TimerCounts(vm)
		ch <- prometheus.MustNewConstMetric(timersDesc, prometheus.GaugeValue, float64(pending), w, "pending")
		ch <- prometheus.MustNewConstMetric(timersDesc, prometheus.GaugeValue, float64(running), w, "running")
		ch <- prometheus.MustNewConstMetric(busyDesc, prometheus.CounterValue, vm.BusyTime().Seconds(), w)
	}
}
