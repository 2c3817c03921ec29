// Package metrics exposes the bridge's and the worker's counters as
// Prometheus metrics on prometheus/client_golang (the registry style of
// the gateway's runtime/httpd/metrics), on HTTP and periodically in the log.
package metrics

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/events/worker"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// Bridge holds the bridge counters. The zero value is ready to use; it
// is a prometheus.Collector reading them at scrape time, so the hot path
// stays one atomic add.
type Bridge struct {
	Published atomic.Int64 // messages handed to the broker
	Confirmed atomic.Int64 // messages the broker confirmed (ack)
	Retried   atomic.Int64 // messages published again after a failure
	Returned  atomic.Int64 // unroutable messages returned by the broker
	Received  atomic.Int64 // notifications / outbox rows read
	// Lag reports the age of the oldest unpublished event (0 when none).
	Lag func(ctx context.Context) (time.Duration, error)
}

var (
	bridgeDescs = [...]*prometheus.Desc{
		prometheus.NewDesc("goresty_bridge_events_received_total", "Events read from PostgreSQL.", nil, nil),
		prometheus.NewDesc("goresty_bridge_events_published_total", "Events published to the broker.", nil, nil),
		prometheus.NewDesc("goresty_bridge_events_confirmed_total", "Events confirmed by the broker.", nil, nil),
		prometheus.NewDesc("goresty_bridge_events_retried_total", "Events published again after a failure.", nil, nil),
		prometheus.NewDesc("goresty_bridge_events_returned_total", "Unroutable events returned by the broker.", nil, nil),
	}
	lagDesc = prometheus.NewDesc("goresty_bridge_lag_seconds", "Age of the oldest unpublished event.", nil, nil)
)

// Describe implements prometheus.Collector.
func (m *Bridge) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range bridgeDescs {
		ch <- d
	}
	ch <- lagDesc
}

// Collect implements prometheus.Collector. A lag that cannot be read is
// reported as an invalid metric: the other series are still served.
func (m *Bridge) Collect(ch chan<- prometheus.Metric) {
	for i, v := range []*atomic.Int64{&m.Received, &m.Published, &m.Confirmed, &m.Retried, &m.Returned} {
		ch <- prometheus.MustNewConstMetric(bridgeDescs[i], prometheus.CounterValue, float64(v.Load()))
	}
	lag, err := m.lag(context.Background())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lagDesc, fmt.Errorf("lag unavailable: %w", err))
		return
	}
	ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag.Seconds())
}

// WriteText writes the bridge's metrics in the Prometheus text format.
func (m *Bridge) WriteText(ctx context.Context, w io.Writer) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	families, err := reg.Gather()
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if e := enc.Encode(f); e != nil {
			return e
		}
	}
	return err
}

func (m *Bridge) lag(ctx context.Context) (time.Duration, error) {
	if m.Lag == nil {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return m.Lag(ctx)
}

// ServeHTTP serves the bridge's metrics alone (Registry serves them with
// the Go and process collectors).
func (m *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	Handler(reg).ServeHTTP(w, r)
}

// LogEvery writes one summary line every interval until ctx ends.
func (m *Bridge) LogEvery(ctx context.Context, interval time.Duration, logf func(string, ...any)) {
	if logf == nil {
		logf = log.Printf
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lag, err := m.lag(ctx)
		lagS := fmt.Sprintf("%.3fs", lag.Seconds())
		if err != nil {
			lagS = "unknown (" + err.Error() + ")"
		}
		logf("bridge metrics: received=%d published=%d confirmed=%d retried=%d returned=%d lag=%s",
			m.Received.Load(), m.Published.Load(), m.Confirmed.Load(), m.Retried.Load(), m.Returned.Load(), lagS)
	}
}

// Worker is a collector of a queue worker's outcome counters.
type Worker struct {
	Stats *worker.Stats
	Queue string
}

var workerDesc = prometheus.NewDesc("goresty_worker_messages_total",
	"Messages handled by the worker, by queue and outcome (acked, failed, retried, dead_lettered).",
	[]string{"queue", "outcome"}, nil)

// Describe implements prometheus.Collector.
func (w Worker) Describe(ch chan<- *prometheus.Desc) { ch <- workerDesc }

// Collect implements prometheus.Collector.
func (w Worker) Collect(ch chan<- prometheus.Metric) {
	s := w.Stats
	for _, o := range []struct {
		name string
		v    *atomic.Int64
	}{{"acked", &s.Acked}, {"failed", &s.Failed}, {"retried", &s.Retried}, {"dead_lettered", &s.DeadLettered}} {
		ch <- prometheus.MustNewConstMetric(workerDesc, prometheus.CounterValue, float64(o.v.Load()), w.Queue, o.name)
	}
}

// Registry is a registry with cs and the Go and process collectors.
func Registry(cs ...prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(cs...)
	return reg
}

// Handler serves reg; a collector that fails leaves its series out and
// the rest is served.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Serve serves reg at /metrics on addr until the returned server is
// closed.
func Serve(addr string, reg *prometheus.Registry) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(reg))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv, ln.Addr(), nil
}
