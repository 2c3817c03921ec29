// Package testenv connects tests to the real PostgreSQL and RabbitMQ and
// gives them private names. Tests skip when a service is unreachable,
// unless CI is set, where they fail.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	gosql "github.com/goresty/goresty/sql"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

// PG and AMQP URLs, overridable by GORESTY_TEST_PG / GORESTY_TEST_AMQP.
func PG() string {
	return envOr("GORESTY_TEST_PG", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}
func AMQP() string { return envOr("GORESTY_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/") }

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s unreachable under CI: %v", what, err)
	}
	t.Skipf("%s unreachable: %v", what, err)
}

// Name returns a unique lower-case identifier with the given prefix.
func Name(prefix string) string {
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// PGConn connects to PostgreSQL (closed at cleanup).
func PGConn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, PG())
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// AMQPConn connects to RabbitMQ (closed at cleanup).
func AMQPConn(t testing.TB) *amqp.Connection {
	t.Helper()
	c, err := amqp.Dial(AMQP())
	if err != nil {
		unavailable(t, "RabbitMQ", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Channel opens a channel on a fresh connection.
func Channel(t testing.TB) *amqp.Channel {
	t.Helper()
	ch, err := AMQPConn(t).Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// Schema installs a private copy of the rabbitmq schema and returns its
// name; it is dropped at cleanup. Its outbox wake channel is <name>_outbox.
func Schema(t testing.TB, c *pgx.Conn) string {
	t.Helper()
	s := Name("rmq")
	if _, err := c.Exec(context.Background(), gosql.RabbitMQ(s)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cc, err := pgx.Connect(context.Background(), PG())
		if err == nil {
			cc.Exec(context.Background(), "drop schema "+s+" cascade")
			cc.Close(context.Background())
		}
	})
	return s
}

// Exec runs SQL or fails the test.
func Exec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Exchange declares a private topic exchange (deleted at cleanup).
func Exchange(t testing.TB, ch *amqp.Channel, durable bool) string {
	t.Helper()
	name := Name("ex")
	if err := ch.ExchangeDeclare(name, "topic", durable, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanup(func(c *amqp.Channel) { c.ExchangeDelete(name, false, false) }) })
	return name
}

// Queue declares a private queue bound to exchange with the patterns
// (deleted at cleanup).
func Queue(t testing.TB, ch *amqp.Channel, durable bool, exchange string, patterns ...string) string {
	t.Helper()
	name := Name("q")
	if _, err := ch.QueueDeclare(name, durable, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range patterns {
		if err := ch.QueueBind(name, p, exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	DeleteQueueAtCleanup(t, name)
	return name
}

// DeleteQueueAtCleanup deletes a queue when the test ends.
func DeleteQueueAtCleanup(t testing.TB, name string) {
	t.Cleanup(func() { cleanup(func(c *amqp.Channel) { c.QueueDelete(name, false, false, false) }) })
}

func cleanup(f func(*amqp.Channel)) {
	c, err := amqp.Dial(AMQP())
	if err != nil {
		return
	}
	defer c.Close()
	if ch, err := c.Channel(); err == nil {
		f(ch)
	}
}

// Get waits up to d for one message on queue.
func Get(t testing.TB, ch *amqp.Channel, queue string, d time.Duration) (amqp.Delivery, bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return m, true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return amqp.Delivery{}, false
}

// WaitFor waits until cond holds. The bound only guards against a hang; it
// is not a speed assertion. It reports whether cond held.
func WaitFor(cond func() bool) bool {
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
