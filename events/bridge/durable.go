package bridge

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/goresty/goresty/events/amqpx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// runDurable drains the outbox. Each claim loop takes a batch with FOR
// UPDATE SKIP LOCKED inside a transaction, publishes it with confirms and
// deletes the confirmed rows before committing. A crash or a broker outage
// rolls the transaction back, so the rows are published again later:
// delivery is at-least-once, and the row id (message_id, header
// x-event-id) lets consumers drop duplicates. Several loops, and several
// bridges, never claim the same row at once.
func runDurable(ctx context.Context, o *Options) error {
	chans := make([]string, 0, len(o.Bindings))
	targetOf := map[string]string{}
	for _, b := range o.Bindings {
		chans = append(chans, b.PGChannel)
		targetOf[b.PGChannel] = b.Target
	}
	pool, err := pgxpool.New(ctx, o.PostgresURI)
	if err != nil {
		return err
	}
	defer pool.Close()
	tbl := pgx.Identifier(splitIdent(o.Outbox)).Sanitize()
	claimSQL := "SELECT id, channel, routing_key, message, headers, created_at FROM " + tbl +
		" WHERE channel = ANY($1) ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"
	deleteSQL := "DELETE FROM " + tbl + " WHERE id = ANY($1)"
	lagSQL := "SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 FROM " + tbl +
		" WHERE channel = ANY($1)"
	o.Metrics.Lag = func(ctx context.Context) (time.Duration, error) {
		var s float64
		err := pool.QueryRow(ctx, lagSQL, chans).Scan(&s)
		return time.Duration(s * float64(time.Second)), err
	}

	// wake is a broadcast: every claim loop gets its own 1-slot channel.
	wakes := make([]chan struct{}, o.Workers)
	for i := range wakes {
		wakes[i] = make(chan struct{}, 1)
	}
	wakeAll := func() {
		for _, w := range wakes {
			select {
			case w <- struct{}{}:
			default:
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		listen(ctx, o, []string{o.WakeChannel}, wakeAll, func(*pgconn.Notification) { wakeAll() })
	}()
	for i := 0; i < o.Workers; i++ {
		wg.Add(1)
		go func(wake chan struct{}) {
			defer wg.Done()
			l := &claimLoop{o: o, pool: pool, chans: chans, targetOf: targetOf, claimSQL: claimSQL, deleteSQL: deleteSQL}
			l.run(ctx, wake)
		}(wakes[i])
	}
	wg.Wait()
	return nil
}

type claimLoop struct {
	o                   *Options
	pool                *pgxpool.Pool
	chans               []string
	targetOf            map[string]string
	claimSQL, deleteSQL string
	pub                 *amqpx.Publisher
	tg                  targets
	ids                 []int64
	msgs                []amqpx.Message
}

func (l *claimLoop) run(ctx context.Context, wake chan struct{}) {
	o := l.o
	l.pub = &amqpx.Publisher{URL: o.AMQPURI, Logf: o.Logf, OnReturn: func(amqp.Return) { o.Metrics.Returned.Add(1) }}
	defer l.pub.Close()
	b := amqpx.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	failed := false
	for ctx.Err() == nil {
		n, err := l.once(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := b.Next()
			o.Logf("bridge: outbox batch failed: %v; retrying in %s", err, d)
			failed = true
			amqpx.Sleep(ctx, d)
			continue
		}
		if failed {
			o.Logf("bridge: outbox publishing recovered")
			failed = false
		}
		b.Reset()
		if n == o.BatchSize {
			continue // more is waiting
		}
		t := time.NewTimer(o.PollInterval)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// once claims, publishes and deletes one batch; it returns the number of
// rows claimed.
func (l *claimLoop) once(ctx context.Context) (int, error) {
	o := l.o
	// Connect to the broker before claiming, so rows are not held locked
	// (and invisible to other bridges) while the broker is unreachable.
	if err := l.pub.Ensure(); err != nil {
		return 0, err
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, l.claimSQL, l.chans, o.BatchSize)
	if err != nil {
		return 0, err
	}
	l.ids, l.msgs = l.ids[:0], l.msgs[:0]
	for rows.Next() {
		var (
			id           int64
			ch, key, msg string
			headers      []byte
			created      time.Time
		)
		if err := rows.Scan(&id, &ch, &key, &msg, &headers, &created); err != nil {
			rows.Close()
			return 0, err
		}
		target := l.targetOf[ch]
		k, err := l.tg.resolve(ctx, o, l.pub, target, ch)
		if err != nil {
			rows.Close()
			return 0, err
		}
		ex, rk := address(k, target, key)
		h := jsonHeaders(headers)
		if h == nil {
			h = amqp.Table{}
		}
		h["x-event-id"] = id
		l.ids = append(l.ids, id)
		l.msgs = append(l.msgs, amqpx.Message{Exchange: ex, RoutingKey: rk, Body: []byte(msg), Headers: h,
			Persistent: true, Mandatory: true, MessageID: strconv.FormatInt(id, 10), ContentType: "text"})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := len(l.ids)
	if n == 0 {
		return 0, nil
	}
	o.Metrics.Received.Add(int64(n))
	acked, perr := l.pub.PublishBatch(ctx, l.msgs)
	if acked != nil {
		o.Metrics.Published.Add(int64(n))
	}
	done := l.ids[:0]
	for i, id := range l.ids {
		if acked != nil && acked[i] {
			done = append(done, id)
		}
	}
	if len(done) < n {
		o.Metrics.Retried.Add(int64(n - len(done)))
	}
	if len(done) > 0 {
		if _, err := tx.Exec(ctx, l.deleteSQL, done); err != nil {
			return 0, err
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, err // rows stay: published again (duplicates, never loss)
		}
		o.Metrics.Confirmed.Add(int64(len(done)))
	}
	if perr != nil {
		return n, perr
	}
	if len(done) < n {
		return n, errNacked
	}
	return n, nil
}

type bridgeError string

func (e bridgeError) Error() string { return string(e) }

const errNacked = bridgeError("broker nacked some events")

// jsonHeaders turns the outbox headers column (a JSON object of strings,
// numbers, booleans or arrays of them) into an AMQP table.
func jsonHeaders(b []byte) amqp.Table {
	if len(b) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	t := make(amqp.Table, len(m))
	for k, v := range m {
		t[k] = amqpValue(v)
	}
	return t
}

func amqpValue(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = amqpValue(x[i])
		}
		return x
	case map[string]any:
		t := amqp.Table{}
		for k, e := range x {
			t[k] = amqpValue(e)
		}
		return t
	}
	return v
}

func splitIdent(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
