package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/events/worker"
)

func TestText(t *testing.T) {
	var m Bridge
	m.Published.Add(3)
	m.Confirmed.Add(2)
	m.Retried.Add(1)
	m.Lag = func(context.Context) (time.Duration, error) { return 1500 * time.Millisecond, nil }
	srv := httptest.NewServer(&m)
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	s := string(b)
	for _, want := range []string{"goresty_bridge_events_published_total 3\n", "goresty_bridge_events_confirmed_total 2\n",
		"goresty_bridge_events_retried_total 1\n", "# TYPE goresty_bridge_lag_seconds gauge\ngoresty_bridge_lag_seconds 1.5\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Error(res.Header.Get("Content-Type"))
	}
}

func TestLogEvery(t *testing.T) {
	var m Bridge
	m.Confirmed.Add(7)
	m.Lag = func(context.Context) (time.Duration, error) { return 0, errors.New("db down") }
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan string, 1)
	go m.LogEvery(ctx, 10*time.Millisecond, func(f string, a ...any) {
		select {
		case lines <- f:
		default:
		}
		_ = a
	})
	l := <-lines
	cancel()
	if !strings.Contains(l, "confirmed=%d") {
		t.Fatal(l)
	}
}

// A lag that cannot be read leaves only its series out.
func TestLagErrorServesTheRest(t *testing.T) {
	var m Bridge
	m.Received.Add(4)
	m.Lag = func(context.Context) (time.Duration, error) { return 0, errors.New("db down") }
	srv := httptest.NewServer(Handler(Registry(&m)))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	s := string(b)
	if !strings.Contains(s, "goresty_bridge_events_received_total 4\n") || strings.Contains(s, "goresty_bridge_lag_seconds ") {
		t.Fatalf("status %d:\n%s", res.StatusCode, s)
	}
	if !strings.Contains(s, "\ngo_goroutines ") {
		t.Error("the registry lacks the Go collector")
	}
}

func TestWorkerCollector(t *testing.T) {
	var st worker.Stats
	st.Acked.Add(5)
	st.DeadLettered.Add(1)
	srv := httptest.NewServer(Handler(Registry(Worker{Stats: &st, Queue: "mail"})))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`goresty_worker_messages_total{outcome="acked",queue="mail"} 5`,
		`goresty_worker_messages_total{outcome="dead_lettered",queue="mail"} 1`,
		`goresty_worker_messages_total{outcome="failed",queue="mail"} 0`,
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("missing %s in\n%s", want, b)
		}
	}
}
