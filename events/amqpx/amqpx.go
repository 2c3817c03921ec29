// Package amqpx holds the RabbitMQ plumbing shared by the bridge, the
// worker and the Lua publisher: dialing with backoff, a confirmed batch
// publisher that reconnects, and target (exchange or queue) resolution.
package amqpx

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Logf is the logging function used across the events packages.
type Logf func(format string, args ...any)

func orLog(l Logf) Logf {
	if l == nil {
		return log.Printf
	}
	return l
}

// Redact hides the password of an AMQP or PostgreSQL URL for logging.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Backoff doubles a delay from Min up to Max.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Next returns the delay to wait now and doubles the following one.
func (b *Backoff) Next() time.Duration {
	if b.Min <= 0 {
		b.Min = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.cur < b.Min {
		b.cur = b.Min
	}
	d := b.cur
	b.cur = min(b.cur*2, b.Max)
	return d
}

// Reset starts again from Min after a success.
func (b *Backoff) Reset() { b.cur = 0 }

// Sleep waits d or until ctx ends; false when ctx ended.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Message is one message to publish.
type Message struct {
	Exchange    string
	RoutingKey  string
	Body        []byte
	Headers     amqp.Table
	Persistent  bool
	Mandatory   bool
	MessageID   string
	ContentType string
}

// Kind is what a bridge target name refers to.
type Kind uint8

const (
	Missing Kind = iota
	Exchange
	Queue
)

func (k Kind) String() string { return [...]string{"missing", "exchange", "queue"}[k] }

// Publisher is a confirm-mode channel that reconnects on demand. It is not
// safe for concurrent use: give each publishing goroutine its own.
type Publisher struct {
	URL            string
	Logf           Logf
	OnReturn       func(amqp.Return)
	ConfirmTimeout time.Duration // per batch; default 30s

	mu   sync.Mutex // guards conn for Close from another goroutine
	conn *amqp.Connection
	ch   *amqp.Channel
	gen  int
	dcs  []*amqp.DeferredConfirmation
}

// Gen counts successful (re)connections; callers cache per-connection
// facts (target kinds) against it.
func (p *Publisher) Gen() int { return p.gen }

// Connected reports whether the channel is currently open.
func (p *Publisher) Connected() bool { return p.ch != nil && !p.ch.IsClosed() }

// Ensure opens the connection and a confirm channel if needed (one attempt).
func (p *Publisher) Ensure() error {
	if p.Connected() {
		return nil
	}
	p.drop()
	conn, err := amqp.DialConfig(p.URL, amqp.Config{Heartbeat: 5 * time.Second, Locale: "en_US",
		Properties: amqp.Table{"connection_name": "goresty"}})
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		conn.Close()
		return err
	}
	logf := orLog(p.Logf)
	returns := ch.NotifyReturn(make(chan amqp.Return, 64))
	go func() {
		for r := range returns {
			if p.OnReturn != nil { // counted before the log line, which readers wait for
				p.OnReturn(r)
			}
			logf("amqp: broker returned unroutable message: exchange=%q routing_key=%q reply=%d %s",
				r.Exchange, r.RoutingKey, r.ReplyCode, r.ReplyText)
		}
	}()
	p.mu.Lock()
	p.conn, p.ch = conn, ch
	p.gen++
	p.mu.Unlock()
	return nil
}

// Connect retries Ensure with backoff until it succeeds or ctx ends.
func (p *Publisher) Connect(ctx context.Context) error {
	b := Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	for {
		err := p.Ensure()
		if err == nil {
			return nil
		}
		d := b.Next()
		orLog(p.Logf)("amqp: connect to %s failed: %v; retrying in %s", Redact(p.URL), err, d)
		if !Sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

func (p *Publisher) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Close()
	}
	p.conn, p.ch = nil, nil
}

// Close closes the connection.
func (p *Publisher) Close() { p.drop() }

// ErrNotConnected is returned when the batch could not be published or
// confirmed because the channel closed; the caller retries later.
var ErrNotConnected = errors.New("amqp channel closed")

// PublishBatch publishes msgs and waits for all confirms. acked[i] tells
// whether msgs[i] was confirmed. A non-nil error means the channel failed:
// unconfirmed messages must be published again (at-least-once).
func (p *Publisher) PublishBatch(ctx context.Context, msgs []Message) (acked []bool, err error) {
	if err := p.Ensure(); err != nil {
		return nil, err
	}
	p.dcs = p.dcs[:0]
	for i := range msgs {
		m := &msgs[i]
		pub := amqp.Publishing{Headers: m.Headers, ContentType: m.ContentType, Body: m.Body, MessageId: m.MessageID}
		if m.Persistent {
			pub.DeliveryMode = amqp.Persistent
		}
		dc, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, m.Exchange, m.RoutingKey, m.Mandatory, false, pub)
		if err != nil {
			p.drop()
			return nil, fmt.Errorf("publish: %w", err)
		}
		p.dcs = append(p.dcs, dc)
	}
	to := p.ConfirmTimeout
	if to <= 0 {
		to = 30 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	acked = make([]bool, len(msgs))
	for i, dc := range p.dcs {
		ok, err := dc.WaitContext(wctx)
		if err != nil {
			p.drop() // confirms lost track; start over on a fresh channel
			return acked, fmt.Errorf("waiting for confirms: %w", err)
		}
		acked[i] = ok
	}
	if p.ch == nil || p.ch.IsClosed() {
		// Close nacks every outstanding confirmation: not a real nack.
		for i, dc := range p.dcs {
			if !dc.Acked() {
				acked[i] = false
			}
		}
		p.drop()
		return acked, ErrNotConnected
	}
	return acked, nil
}

// Resolve tells whether name is an existing exchange or queue, using
// passive declares on throwaway channels (a failed passive declare closes
// its channel). Exchanges win, as in pg-amqp-bridge.
func (p *Publisher) Resolve(name string) (Kind, error) {
	if err := p.Ensure(); err != nil {
		return Missing, err
	}
	probe := func(f func(ch *amqp.Channel) error) (bool, error) {
		ch, err := p.conn.Channel()
		if err != nil {
			return false, err
		}
		err = f(ch)
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.NotFound {
			return false, nil
		}
		ch.Close()
		return err == nil, err
	}
	ok, err := probe(func(ch *amqp.Channel) error {
		return ch.ExchangeDeclarePassive(name, "topic", true, false, false, false, nil)
	})
	if err != nil {
		// a type/durability mismatch (406) still proves it exists
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed {
			return Exchange, nil
		}
		return Missing, err
	}
	if ok {
		return Exchange, nil
	}
	ok, err = probe(func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclarePassive(name, true, false, false, false, nil)
		return err
	})
	if err != nil {
		var ae *amqp.Error
		if errors.As(err, &ae) && (ae.Code == amqp.PreconditionFailed || ae.Code == amqp.ResourceLocked) {
			return Queue, nil
		}
		return Missing, err
	}
	if ok {
		return Queue, nil
	}
	return Missing, nil
}
