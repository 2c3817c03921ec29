package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
