// Package bridge forwards PostgreSQL events to RabbitMQ, as pg-amqp-bridge
// does (NOTIFY mode) and durably from an outbox table (durable mode).
package bridge

import (
	"context"
	"errors"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/events/amqpx"
	"github.com/goresty/goresty/events/config"
	"github.com/goresty/goresty/events/metrics"
	"github.com/goresty/goresty/events/payload"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Options configure a bridge run.
type Options struct {
	config.Bridge
	// Durable selects outbox mode: rows of Outbox are claimed, published
	// with confirms and deleted; NOTIFY on WakeChannel only wakes it up.
	Durable      bool
	Outbox       string        // outbox table, default "rabbitmq.outbox"
	WakeChannel  string        // default "rabbitmq_outbox"
	BatchSize    int           // default 500 (durable) / 256 (notify)
	Workers      int           // durable claim loops, default 4
	PollInterval time.Duration // durable fallback poll, default 1s
	Metrics      *metrics.Bridge
	Logf         amqpx.Logf
}

func (o *Options) defaults() {
	if o.Outbox == "" {
		o.Outbox = "rabbitmq.outbox"
	}
	if o.WakeChannel == "" {
		o.WakeChannel = "rabbitmq_outbox"
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Metrics == nil {
		o.Metrics = &metrics.Bridge{}
	}
	if o.Logf == nil {
		o.Logf = log.Printf
	}
}

// Run runs the bridge until ctx ends. It only returns early for a
// configuration error; connection failures are retried with backoff.
func Run(ctx context.Context, o Options) error {
	o.defaults()
	if len(o.Bindings) == 0 {
		return errors.New("bridge: no channel bindings")
	}
	if o.Durable {
		return runDurable(ctx, &o)
	}
	return runNotify(ctx, &o)
}

// targets resolves binding targets per AMQP connection; a missing target
// is retried with a clear log line instead of exiting (pg-amqp-bridge #7).
type targets struct {
	gen   int
	kinds map[string]amqpx.Kind
}

func (t *targets) resolve(ctx context.Context, o *Options, p *amqpx.Publisher, target, pgChannel string) (amqpx.Kind, error) {
	b := amqpx.Backoff{Min: 500 * time.Millisecond, Max: 15 * time.Second}
	for {
		if err := p.Connect(ctx); err != nil {
			return amqpx.Missing, err
		}
		if t.gen != p.Gen() || t.kinds == nil {
			t.gen, t.kinds = p.Gen(), map[string]amqpx.Kind{}
		}
		if k, ok := t.kinds[target]; ok {
			return k, nil
		}
		k, err := p.Resolve(target)
		if err == nil && k != amqpx.Missing {
			t.kinds[target] = k
			return k, nil
		}
		d := b.Next()
		if err != nil {
			o.Logf("bridge: checking AMQP target %q failed: %v; retrying in %s", target, err, d)
		} else {
			o.Logf("bridge: neither an exchange nor a queue named %q exists (BRIDGE_CHANNELS %s:%s); declare it; retrying in %s",
				target, pgChannel, target, d)
		}
		if !amqpx.Sleep(ctx, d) {
			return amqpx.Missing, ctx.Err()
		}
	}
}

// address gives exchange and routing key: a queue target is reached via
// the default exchange with the queue name as key, as pg-amqp-bridge does.
func address(k amqpx.Kind, target, key string) (string, string) {
	if k == amqpx.Queue {
		return "", target
	}
	return target, key
}

// listen keeps a connection LISTENing on channels and calls fn for every
// notification; it reconnects with backoff and calls connected after each
// (re)connection.
func listen(ctx context.Context, o *Options, channels []string, connected func(), fn func(*pgconn.Notification)) {
	b := amqpx.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	for ctx.Err() == nil {
		err := func() error {
			conn, err := pgx.Connect(ctx, o.PostgresURI)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			for _, ch := range channels {
				if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
					return err
				}
			}
			b.Reset()
			o.Logf("bridge: listening on PostgreSQL channels %v", channels)
			if connected != nil {
				connected()
			}
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					return err
				}
				fn(n)
			}
		}()
		if ctx.Err() != nil {
			return
		}
		d := b.Next()
		o.Logf("bridge: PostgreSQL connection %s: %v; reconnecting in %s", amqpx.Redact(o.PostgresURI), err, d)
		amqpx.Sleep(ctx, d)
	}
}

func runNotify(ctx context.Context, o *Options) error {
	if o.BatchSize > 256 {
		o.BatchSize = 256
	}
	byChannel := map[string]string{}
	var chans []string
	for _, b := range o.Bindings {
		byChannel[b.PGChannel] = b.Target
		chans = append(chans, b.PGChannel)
	}
	notes := make(chan *pgconn.Notification, 8192)
	var oldest atomic.Int64 // receive time of the oldest unconfirmed event
	o.Metrics.Lag = func(context.Context) (time.Duration, error) {
		if t := oldest.Load(); t != 0 {
			return time.Since(time.Unix(0, t)), nil
		}
		if len(notes) > 0 {
			return time.Duration(len(notes)) * time.Microsecond, nil
		}
		return 0, nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		listen(ctx, o, chans, nil, func(n *pgconn.Notification) {
			o.Metrics.Received.Add(1)
			select {
			case notes <- n:
			case <-ctx.Done():
			}
		})
	}()
	p := &amqpx.Publisher{URL: o.AMQPURI, Logf: o.Logf, OnReturn: func(amqp.Return) { o.Metrics.Returned.Add(1) }}
	defer p.Close()
	var tg targets
	pending := make([]*pgconn.Notification, 0, o.BatchSize)
	batch := make([]amqpx.Message, 0, o.BatchSize)
	backoff := amqpx.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	stop := func() error { wg.Wait(); return nil }
	for {
		select {
		case <-ctx.Done():
			return stop()
		case n := <-notes:
			pending = append(pending[:0], n)
		}
		oldest.Store(time.Now().UnixNano())
	fill:
		for len(pending) < o.BatchSize {
			select {
			case n := <-notes:
				pending = append(pending, n)
			default:
				break fill
			}
		}
		// Publish until confirmed: while this process lives no event is
		// dropped (at-least-once); a crash loses what NOTIFY delivered.
		for len(pending) > 0 {
			batch = batch[:0]
			for _, n := range pending {
				target := byChannel[n.Channel]
				k, err := tg.resolve(ctx, o, p, target, n.Channel)
				if err != nil {
					return stop()
				}
				pl := payload.Parse(n.Payload)
				ex, key := address(k, target, pl.RoutingKey)
				batch = append(batch, amqpx.Message{Exchange: ex, RoutingKey: key, Body: []byte(pl.Message),
					Headers: payload.Table(pl.Headers), Persistent: o.Persistent, Mandatory: true, ContentType: "text"})
			}
			acked, err := p.PublishBatch(ctx, batch)
			if acked != nil {
				o.Metrics.Published.Add(int64(len(batch)))
			}
			rest := pending[:0]
			for i, n := range pending {
				if acked != nil && acked[i] {
					o.Metrics.Confirmed.Add(1)
				} else {
					rest = append(rest, n)
				}
			}
			pending = rest
			if len(pending) == 0 {
				backoff.Reset()
				break
			}
			if ctx.Err() != nil {
				o.Logf("bridge: stopping with %d unconfirmed events", len(pending))
				return stop()
			}
			d := backoff.Next()
			if err != nil {
				o.Logf("bridge: publishing %d events failed: %v; retrying in %s", len(pending), err, d)
			} else {
				o.Logf("bridge: broker nacked %d events; retrying in %s", len(pending), d)
			}
			o.Metrics.Retried.Add(int64(len(pending)))
			amqpx.Sleep(ctx, d)
		}
		oldest.Store(0)
	}
}
