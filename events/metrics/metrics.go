// Package metrics keeps the bridge's counters and renders them in the
// Prometheus text exposition format, on HTTP and periodically in the log.
package metrics

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"
)

// Bridge holds the bridge counters. The zero value is ready to use.
type Bridge struct {
	Published atomic.Int64 // messages handed to the broker
	Confirmed atomic.Int64 // messages the broker confirmed (ack)
	Retried   atomic.Int64 // messages published again after a failure
	Returned  atomic.Int64 // unroutable messages returned by the broker
	Received  atomic.Int64 // notifications / outbox rows read
	// Lag reports the age of the oldest unpublished event (0 when none).
	Lag func(ctx context.Context) (time.Duration, error)
}

// WriteText writes the metrics in the Prometheus text format.
func (m *Bridge) WriteText(ctx context.Context, w io.Writer) error {
	counter := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("goresty_bridge_events_received_total", "Events read from PostgreSQL.", m.Received.Load())
	counter("goresty_bridge_events_published_total", "Events published to the broker.", m.Published.Load())
	counter("goresty_bridge_events_confirmed_total", "Events confirmed by the broker.", m.Confirmed.Load())
	counter("goresty_bridge_events_retried_total", "Events published again after a failure.", m.Retried.Load())
	counter("goresty_bridge_events_returned_total", "Unroutable events returned by the broker.", m.Returned.Load())
	lag, err := m.lag(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "# HELP goresty_bridge_lag_seconds Age of the oldest unpublished event.\n# TYPE goresty_bridge_lag_seconds gauge\ngoresty_bridge_lag_seconds %g\n", lag.Seconds())
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

// ServeHTTP serves the metrics page.
func (m *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := m.WriteText(r.Context(), w); err != nil {
		fmt.Fprintf(w, "# lag unavailable: %v\n", err)
	}
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
