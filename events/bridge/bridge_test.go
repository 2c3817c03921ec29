package bridge

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/events/config"
	"github.com/goresty/goresty/events/metrics"
	"github.com/goresty/goresty/events/testenv"
	amqp "github.com/rabbitmq/amqp091-go"
)

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}

func (l *logBuf) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logBuf) waitFor(t *testing.T, sub string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if l.has(sub) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Fatalf("no log line containing %q in:\n%s", sub, strings.Join(l.lines, "\n"))
}

// start runs a bridge until the test ends.
func start(t *testing.T, o Options) (*logBuf, *metrics.Bridge) {
	t.Helper()
	lb := &logBuf{}
	o.Logf = lb.logf
	if o.Metrics == nil {
		o.Metrics = &metrics.Bridge{}
	}
	if o.PostgresURI == "" {
		o.PostgresURI = testenv.PG()
	}
	if o.AMQPURI == "" {
		o.AMQPURI = testenv.AMQP()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(10 * time.Second):
			t.Error("bridge did not stop")
		}
	})
	if !o.Durable {
		lb.waitFor(t, "listening on PostgreSQL channels", 5*time.Second)
	}
	return lb, o.Metrics
}

func mustGet(t *testing.T, ch *amqp.Channel, q string) amqp.Delivery {
	t.Helper()
	m, ok := testenv.Get(t, ch, q, 5*time.Second)
	if !ok {
		t.Fatalf("no message on %s", q)
	}
	return m
}

func mustBeEmpty(t *testing.T, ch *amqp.Channel, q string) {
	t.Helper()
	if m, ok := testenv.Get(t, ch, q, 300*time.Millisecond); ok {
		t.Fatalf("unexpected message on %s: %s %s", q, m.RoutingKey, m.Body)
	}
}

func TestNotifyRowChangeRoutingByPattern(t *testing.T) {
	t.Parallel()
	pg := testenv.PGConn(t)
	ch := testenv.Channel(t)
	schema := testenv.Schema(t, pg)
	ex := testenv.Exchange(t, ch, false)
	pgChan := testenv.Name("events")
	tbl := testenv.Name("users")
	inserts := testenv.Queue(t, ch, false, ex, "row_change.table-"+tbl+".event-INSERT.#")
	all := testenv.Queue(t, ch, false, ex, "row_change.table-"+tbl+".#")
	testenv.Exec(t, pg, fmt.Sprintf(`create table %s.%s (id int primary key, email text, password text)`, schema, tbl))
	testenv.Exec(t, pg, fmt.Sprintf(`create trigger ev after insert or update or delete on %s.%s for each row
		execute procedure %s.on_row_change('{"exclude":["password"]}', '%s')`, schema, tbl, schema, pgChan))
	start(t, Options{Bridge: config.Bridge{Bindings: []config.Binding{{PGChannel: pgChan, Target: ex}}}})

	testenv.Exec(t, pg, fmt.Sprintf(`insert into %s.%s values (1, 'a|b@example.com', 'secret')`, schema, tbl))
	testenv.Exec(t, pg, fmt.Sprintf(`update %s.%s set email = 'c@example.com'`, schema, tbl))
	testenv.Exec(t, pg, fmt.Sprintf(`delete from %s.%s`, schema, tbl))

	m := mustGet(t, ch, inserts)
	if m.RoutingKey != "row_change.table-"+tbl+".event-INSERT" || string(m.Body) != `{"id": 1, "email": "a|b@example.com"}` {
		t.Fatalf("insert event: %q %s", m.RoutingKey, m.Body)
	}
	if m.DeliveryMode == amqp.Persistent {
		t.Fatal("default delivery mode must be non-persistent")
	}
	mustBeEmpty(t, ch, inserts)
	for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
		m := mustGet(t, ch, all)
		if m.RoutingKey != "row_change.table-"+tbl+".event-"+op {
			t.Fatalf("want %s, got %s", op, m.RoutingKey)
		}
	}
}

func TestNotifyHeadersPipesPersistentQueueTarget(t *testing.T) {
	t.Parallel()
	pg := testenv.PGConn(t)
	ch := testenv.Channel(t)
	schema := testenv.Schema(t, pg)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Queue(t, ch, true, ex, "k.#")
	direct := testenv.Queue(t, ch, true, "")
	pgEx, pgQ := testenv.Name("c"), testenv.Name("c")
	m := &metrics.Bridge{}
	start(t, Options{Bridge: config.Bridge{Persistent: true,
		Bindings: []config.Binding{{PGChannel: pgEx, Target: ex}, {PGChannel: pgQ, Target: direct}}}, Metrics: m})

	testenv.Exec(t, pg, "select pg_notify($1, $2)", pgEx, `k.h|Content-Type: application/json, text/plain; X-Tenant: 42|{"a":"x|y"}`)
	d := mustGet(t, ch, q)
	if string(d.Body) != `{"a":"x|y"}` || d.RoutingKey != "k.h" {
		t.Fatalf("%q %s", d.RoutingKey, d.Body)
	}
	ct, _ := d.Headers["Content-Type"].([]any)
	tn, _ := d.Headers["X-Tenant"].([]any)
	if len(ct) != 2 || ct[0] != "application/json" || ct[1] != "text/plain" || len(tn) != 1 || tn[0] != "42" {
		t.Fatalf("headers %#v", d.Headers)
	}
	if d.DeliveryMode != amqp.Persistent {
		t.Fatalf("delivery mode %d", d.DeliveryMode)
	}
	// JSON with '|' and something header-like inside, via send_message
	body := `{"note":"X-A: 1|2","list":["|",";"]}`
	testenv.Exec(t, pg, fmt.Sprintf("select %s.send_message($1, 'k.json', $2)", schema), pgEx, body)
	if d := mustGet(t, ch, q); string(d.Body) != body || len(d.Headers) != 0 {
		t.Fatalf("json mangled: %s %#v", d.Body, d.Headers)
	}
	// queue target: default exchange, routing key = queue name
	testenv.Exec(t, pg, "select pg_notify($1, $2)", pgQ, "ignored.key|task 1")
	if d := mustGet(t, ch, direct); string(d.Body) != "task 1" || d.RoutingKey != direct || d.Exchange != "" {
		t.Fatalf("queue target: %+v", d)
	}
	// the broker's confirm can reach the bridge after the consumer got the message
	if !testenv.WaitFor(func() bool { return m.Confirmed.Load() >= 3 }) || m.Confirmed.Load() != 3 {
		t.Fatalf("confirmed %d", m.Confirmed.Load())
	}
}

func TestNotifyMissingExchangeRetriedAndReturnedLogged(t *testing.T) {
	t.Parallel()
	pg := testenv.PGConn(t)
	ch := testenv.Channel(t)
	ex := testenv.Name("ex_later")
	pgChan := testenv.Name("c")
	lb, m := start(t, Options{Bridge: config.Bridge{Bindings: []config.Binding{{PGChannel: pgChan, Target: ex}}}})
	testenv.Exec(t, pg, "select pg_notify($1, 'a.b|first')", pgChan)
	lb.waitFor(t, fmt.Sprintf(`neither an exchange nor a queue named %q exists`, ex), 5*time.Second)
	// the bridge is still alive: create the exchange and the held event goes through
	if err := ch.ExchangeDeclare(ex, "topic", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	defer ch.ExchangeDelete(ex, false, false)
	q := testenv.Queue(t, ch, false, ex, "a.*")
	// unroutable (no binding for x.y): returned by the broker and logged
	testenv.Exec(t, pg, "select pg_notify($1, 'x.y|nobody listens')", pgChan)
	testenv.Exec(t, pg, "select pg_notify($1, 'a.c|second')", pgChan)
	if d := mustGet(t, ch, q); string(d.Body) != "first" {
		t.Fatalf("%s", d.Body)
	}
	if d := mustGet(t, ch, q); string(d.Body) != "second" {
		t.Fatalf("%s", d.Body)
	}
	lb.waitFor(t, `returned unroutable message: exchange="`+ex+`" routing_key="x.y"`, 5*time.Second)
	if m.Returned.Load() != 1 {
		t.Fatalf("returned=%d", m.Returned.Load())
	}
}

func TestDurableOutboxTwoBridges(t *testing.T) {
	t.Parallel()
	pg := testenv.PGConn(t)
	ch := testenv.Channel(t)
	schema := testenv.Schema(t, pg)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Queue(t, ch, true, ex, "row_change.#", "custom.#")
	pgChan := testenv.Name("c")
	tbl := testenv.Name("t")
	testenv.Exec(t, pg, fmt.Sprintf(`create table %s.%s (id int primary key, v text)`, schema, tbl))
	testenv.Exec(t, pg, fmt.Sprintf(`create trigger ev after insert on %s.%s for each row
		execute procedure %s.on_row_change_outbox('{"include":["id"]}', '%s')`, schema, tbl, schema, pgChan))
	const n = 3000
	// half the events exist before the bridges start, half arrive later
	testenv.Exec(t, pg, fmt.Sprintf(`insert into %s.%s select g, 'v|'||g from generate_series(1, %d) g`, schema, tbl, n/2))
	ms := []*metrics.Bridge{{}, {}}
	for _, m := range ms {
		start(t, Options{Bridge: config.Bridge{Bindings: []config.Binding{{PGChannel: pgChan, Target: ex}}},
			Durable: true, Outbox: schema + ".outbox", WakeChannel: schema + "_outbox", BatchSize: 100, Workers: 2,
			PollInterval: 5 * time.Second, Metrics: m})
	}
	time.Sleep(200 * time.Millisecond)
	testenv.Exec(t, pg, fmt.Sprintf(`insert into %s.%s select g, 'v' from generate_series(%d, %d) g`, schema, tbl, n/2+1, n))
	testenv.Exec(t, pg, fmt.Sprintf(`select %s.send_message_durable($1, 'custom.x', 'hello', '{"X-A":"1","X-B":[1,2]}')`, schema), pgChan)

	seen := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	var custom amqp.Delivery
	for len(seen) < n+1 && time.Now().Before(deadline) {
		d, ok := testenv.Get(t, ch, q, time.Second)
		if !ok {
			continue
		}
		if seen[d.MessageId] {
			t.Fatalf("event %s delivered twice without any failure", d.MessageId)
		}
		seen[d.MessageId] = true
		if fmt.Sprint(d.Headers["x-event-id"]) != d.MessageId {
			t.Fatalf("x-event-id %v vs message_id %s", d.Headers["x-event-id"], d.MessageId)
		}
		if d.RoutingKey == "custom.x" {
			custom = d
		} else if d.RoutingKey != "row_change.table-"+tbl+".event-INSERT" || !strings.HasPrefix(string(d.Body), `{"id": `) {
			t.Fatalf("%s %s", d.RoutingKey, d.Body)
		}
		if d.DeliveryMode != amqp.Persistent {
			t.Fatal("durable mode must publish persistent messages")
		}
	}
	if len(seen) != n+1 {
		t.Fatalf("got %d of %d events", len(seen), n+1)
	}
	if string(custom.Body) != "hello" || custom.Headers["X-A"] != "1" || fmt.Sprint(custom.Headers["X-B"]) != "[1 2]" {
		t.Fatalf("custom: %s %#v", custom.Body, custom.Headers)
	}
	// Rows are deleted in a transaction that commits after the broker's
	// confirm, so the last deliveries can arrive before their rows go:
	// wait for the condition (bounded only against a hang).
	var left int
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		pg.QueryRow(context.Background(), fmt.Sprintf("select count(*) from %s.outbox", schema)).Scan(&left)
		if left == 0 || time.Now().After(end) {
			break
		}
	}
	if left != 0 {
		t.Fatalf("%d rows left in the outbox", left)
	}
	// a bridge counts a batch confirmed just after its commit
	testenv.WaitFor(func() bool { return ms[0].Confirmed.Load()+ms[1].Confirmed.Load() >= n+1 })
	if ms[0].Confirmed.Load()+ms[1].Confirmed.Load() != n+1 {
		t.Fatalf("confirmed %d + %d", ms[0].Confirmed.Load(), ms[1].Confirmed.Load())
	}
	if ms[0].Confirmed.Load() == 0 || ms[1].Confirmed.Load() == 0 {
		t.Logf("one bridge did all the work: %d / %d", ms[0].Confirmed.Load(), ms[1].Confirmed.Load())
	}
	var sb strings.Builder
	ms[0].WriteText(context.Background(), &sb)
	if !strings.Contains(sb.String(), "goresty_bridge_lag_seconds 0\n") {
		t.Fatalf("lag after drain:\n%s", sb.String())
	}
}
