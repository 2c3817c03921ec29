// Package worker consumes a RabbitMQ queue and runs a handler per message
// (a Lua function on the goresty Lua runtime, or a command as amqpspawn
// does), with prefetch, a concurrency limit, retries through a delay queue
// and a dead-letter queue after N attempts.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/events/amqpx"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Message is one delivery as handlers see it.
type Message struct {
	RoutingKey  string // original routing key, also after a retry round trip
	Exchange    string // original exchange
	Body        []byte
	Headers     amqp.Table
	Queue       string
	DeliveryTag uint64
	Redelivered bool
	MessageID   string
	ContentType string
	Timestamp   time.Time
	Attempt     int // 1 for the first delivery, x-retry-count+1 after retries
}

// Handler processes a message; a nil error acks it.
type Handler interface {
	Handle(ctx context.Context, m *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Message) error

func (f HandlerFunc) Handle(ctx context.Context, m *Message) error { return f(ctx, m) }

// Factory makes the handler of one concurrency slot (a Lua VM each).
type Factory func(slot, slots int) (Handler, error)

// Headers the worker sets on retried and dead-lettered messages.
const (
	HeaderRetryCount  = "x-retry-count"
	HeaderRoutingKey  = "x-original-routing-key"
	HeaderExchange    = "x-original-exchange"
	HeaderError       = "x-last-error"
	RetryQueueSuffix  = ".retry"
	DeadQueueSuffix   = ".dead"
	defaultRetryDelay = 5 * time.Second
)

// Options configure a worker.
type Options struct {
	URL          string
	Exchange     string   // exchange to bind to; "" binds nothing
	ExchangeType string   // declared (durable) when missing; default topic
	Bindings     []string // routing-key patterns
	Queue        string   // "" = server-named, exclusive, auto-deleted (no retries)
	Transient    bool     // declare the queue non-durable
	Prefetch     int      // default 2 * Concurrency
	Concurrency  int      // default 4
	MaxAttempts  int      // attempts before dead-lettering, default 5
	RetryDelay   time.Duration
	NewHandler   Factory
	Logf         amqpx.Logf
	Stats        *Stats
	// Ready, when set, is called each time consuming (re)starts.
	Ready func(queue string)
}

// Stats counts outcomes.
type Stats struct {
	Acked, Failed, Retried, DeadLettered atomic.Int64
}

func (o *Options) defaults() error {
	if o.NewHandler == nil {
		return errors.New("worker: no handler")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 2 * o.Concurrency
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = defaultRetryDelay
	}
	if o.ExchangeType == "" {
		o.ExchangeType = "topic"
	}
	if o.Logf == nil {
		o.Logf = log.Printf
	}
	if o.Stats == nil {
		o.Stats = &Stats{}
	}
	return nil
}

// Run consumes until ctx ends, reconnecting with backoff. On stop it
// cancels the consumer and finishes the messages already delivered.
func Run(ctx context.Context, o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	handlers := make([]Handler, o.Concurrency)
	for i := range handlers {
		h, err := o.NewHandler(i, o.Concurrency)
		if err != nil {
			return fmt.Errorf("worker: handler for slot %d: %w", i, err)
		}
		handlers[i] = h
		if c, ok := h.(interface{ Close() }); ok {
			defer c.Close()
		}
	}
	w := &worker{o: &o, handlers: handlers, pub: &amqpx.Publisher{URL: o.URL, Logf: o.Logf}}
	defer w.pub.Close()
	b := amqpx.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	for ctx.Err() == nil {
		started, err := w.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if started {
			b.Reset()
		}
		var ae *amqp.Error
		if errors.As(err, &ae) && (ae.Code == amqp.PreconditionFailed || ae.Code == amqp.AccessRefused) {
			return fmt.Errorf("worker: %w", err) // configuration error, retrying will not help
		}
		d := b.Next()
		o.Logf("worker: AMQP session ended: %v; reconnecting in %s", err, d)
		amqpx.Sleep(ctx, d)
	}
	return nil
}

type worker struct {
	o        *Options
	handlers []Handler
	pubMu    sync.Mutex
	pub      *amqpx.Publisher
}

// session runs one connection's worth of consuming.
func (w *worker) session(ctx context.Context) (started bool, err error) {
	o := w.o
	conn, err := amqp.DialConfig(o.URL, amqp.Config{Heartbeat: 5 * time.Second, Locale: "en_US",
		Properties: amqp.Table{"connection_name": "goresty worker"}})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return false, err
	}
	queue, err := w.declare(conn, ch)
	if err != nil {
		return false, err
	}
	if err := ch.Qos(o.Prefetch, 0, false); err != nil {
		return false, err
	}
	tag := "goresty-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	deliveries, err := ch.Consume(queue, tag, false, o.Queue == "", false, false, nil)
	if err != nil {
		return false, err
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	o.Logf("worker: consuming %s (prefetch %d, concurrency %d)", queue, o.Prefetch, o.Concurrency)
	if o.Ready != nil {
		o.Ready(queue)
	}
	var wg sync.WaitGroup
	for _, h := range w.handlers {
		wg.Add(1)
		go func(h Handler) {
			defer wg.Done()
			for d := range deliveries {
				w.handle(ctx, ch, queue, h, &d)
			}
		}(h)
	}
	select {
	case <-ctx.Done():
		// Stop new deliveries; the slots finish what was already
		// delivered (the library flushes its buffer before closing).
		if err := ch.Cancel(tag, false); err != nil {
			o.Logf("worker: cancel consumer: %v", err)
		}
		wg.Wait()
		o.Logf("worker: stopped; in-flight messages finished")
		return true, nil
	case e := <-closed:
		wg.Wait()
		if e == nil {
			return true, errors.New("connection closed")
		}
		return true, e
	}
}

// declare sets up the exchange, the queue, its bindings and the retry and
// dead-letter queues; it returns the queue name.
func (w *worker) declare(conn *amqp.Connection, ch *amqp.Channel) (string, error) {
	o := w.o
	if o.Exchange != "" {
		// Declaring an existing exchange with other settings fails with 406
		// and closes the channel: check first, declare only when missing.
		pc, err := conn.Channel()
		if err != nil {
			return "", err
		}
		if err := pc.ExchangeDeclarePassive(o.Exchange, o.ExchangeType, true, false, false, false, nil); err != nil {
			if err := ch.ExchangeDeclare(o.Exchange, o.ExchangeType, true, false, false, false, nil); err != nil {
				return "", err
			}
		} else {
			pc.Close()
		}
	}
	durable := o.Queue != "" && !o.Transient
	q, err := ch.QueueDeclare(o.Queue, durable, o.Queue == "", o.Queue == "", false, nil)
	if err != nil {
		return "", err
	}
	if o.Exchange != "" {
		for _, b := range o.Bindings {
			if err := ch.QueueBind(q.Name, b, o.Exchange, false, nil); err != nil {
				return "", err
			}
		}
	}
	if o.Queue != "" {
		// Failed messages wait in <queue>.retry for RetryDelay, then the
		// broker dead-letters them back to <queue> via the default exchange.
		if _, err := ch.QueueDeclare(q.Name+RetryQueueSuffix, true, false, false, false, amqp.Table{
			"x-dead-letter-exchange":    "",
			"x-dead-letter-routing-key": q.Name,
			"x-message-ttl":             o.RetryDelay.Milliseconds(),
		}); err != nil {
			return "", err
		}
		if _, err := ch.QueueDeclare(q.Name+DeadQueueSuffix, true, false, false, false, nil); err != nil {
			return "", err
		}
	}
	return q.Name, nil
}

func headerInt(h amqp.Table, k string) int {
	switch v := h[k].(type) {
	case int8:
		return int(v)
	case int16:
		return int(v)
	case int32:
		return int(v)
	case int64:
		return int(v)
	case int:
		return v
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

func (w *worker) handle(ctx context.Context, ch *amqp.Channel, queue string, h Handler, d *amqp.Delivery) {
	o := w.o
	m := Message{RoutingKey: d.RoutingKey, Exchange: d.Exchange, Body: d.Body, Headers: d.Headers, Queue: queue,
		DeliveryTag: d.DeliveryTag, Redelivered: d.Redelivered, MessageID: d.MessageId, ContentType: d.ContentType,
		Timestamp: d.Timestamp, Attempt: headerInt(d.Headers, HeaderRetryCount) + 1}
	if rk, ok := d.Headers[HeaderRoutingKey].(string); ok {
		m.RoutingKey = rk
		m.Exchange, _ = d.Headers[HeaderExchange].(string)
	}
	// In-flight messages finish even when the worker is stopping.
	err := h.Handle(context.WithoutCancel(ctx), &m)
	if err == nil {
		if err := d.Ack(false); err != nil {
			o.Logf("worker: ack %s: %v (the broker will redeliver)", m.RoutingKey, err)
			return
		}
		o.Stats.Acked.Add(1)
		return
	}
	o.Stats.Failed.Add(1)
	if o.Queue == "" {
		o.Logf("worker: handler failed for %s: %v (no named queue: dropped)", m.RoutingKey, err)
		d.Ack(false)
		return
	}
	target, retries := queue+RetryQueueSuffix, m.Attempt
	dead := m.Attempt >= o.MaxAttempts
	if dead {
		target = queue + DeadQueueSuffix
		o.Logf("worker: handler failed for %s (attempt %d of %d): %v; dead-lettered to %s", m.RoutingKey, m.Attempt, o.MaxAttempts, err, target)
	} else {
		o.Logf("worker: handler failed for %s (attempt %d of %d): %v; retrying in %s", m.RoutingKey, m.Attempt, o.MaxAttempts, err, o.RetryDelay)
	}
	hs := make(amqp.Table, len(d.Headers)+4)
	for k, v := range d.Headers {
		if k != "x-death" { // the broker's own history would grow without bound
			hs[k] = v
		}
	}
	hs[HeaderRetryCount] = int32(retries)
	hs[HeaderRoutingKey] = m.RoutingKey
	hs[HeaderExchange] = m.Exchange
	msg := err.Error()
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	hs[HeaderError] = msg
	pm := amqpx.Message{Exchange: "", RoutingKey: target, Body: d.Body, Headers: hs, Persistent: true,
		MessageID: d.MessageId, ContentType: d.ContentType}
	w.pubMu.Lock()
	acked, perr := w.pub.PublishBatch(context.WithoutCancel(ctx), []amqpx.Message{pm})
	w.pubMu.Unlock()
	if perr != nil || !acked[0] {
		o.Logf("worker: could not move %s to %s (%v); requeueing", m.RoutingKey, target, perr)
		d.Nack(false, true)
		return
	}
	d.Ack(false)
	if dead {
		o.Stats.DeadLettered.Add(1)
	} else {
		o.Stats.Retried.Add(1)
	}
}
