package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/events/bridge"
	"github.com/goresty/goresty/events/cli"
	"github.com/goresty/goresty/events/config"
	"github.com/goresty/goresty/events/testenv"
	"github.com/goresty/goresty/events/worker"
	"github.com/jackc/pgx/v5"

	_ "github.com/goresty/goresty/luabindings/cjson"
	_ "github.com/goresty/goresty/luabindings/compat"
	_ "github.com/goresty/goresty/luabindings/smtp"
)

// TestMain doubles as the bridge process of the fault test: with
// GORESTY_E2E_BRIDGE=1 the test binary runs `goresty bridge`.
func TestMain(m *testing.M) {
	if os.Getenv("GORESTY_E2E_BRIDGE") == "1" {
		os.Exit(cli.RunBridge(strings.Fields(os.Getenv("GORESTY_E2E_BRIDGE_ARGS")), os.Stderr))
	}
	os.Exit(m.Run())
}

func repoFile(t testing.TB, rel string) string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", rel)
}

// pipeline wires a table with a trigger, a bridge and a worker.
type pipeline struct {
	pg       *pgx.Conn
	schema   string
	table    string
	exchange string
	queue    string
	stats    *worker.Stats
}

func setup(t testing.TB, durable bool, columns, handler string, conc int) *pipeline {
	t.Helper()
	p := &pipeline{pg: testenv.PGConn(t), stats: &worker.Stats{}}
	ch := testenv.Channel(t)
	p.schema = testenv.Schema(t, p.pg)
	p.table = testenv.Name("users")
	p.exchange = testenv.Exchange(t, ch, true)
	p.queue = testenv.Name("wq")
	for _, s := range []string{"", worker.RetryQueueSuffix, worker.DeadQueueSuffix} {
		testenv.DeleteQueueAtCleanup(t, p.queue+s)
	}
	pgChan := testenv.Name("events")
	trig := "on_row_change"
	if durable {
		trig = "on_row_change_outbox"
	}
	testenv.Exec(t, p.pg, fmt.Sprintf("create table %s.%s (%s)", p.schema, p.table, columns))
	testenv.Exec(t, p.pg, fmt.Sprintf(`create trigger ev after insert or update or delete on %s.%s for each row
		execute procedure %s.%s('{"exclude":["password"]}', '%s')`, p.schema, p.table, p.schema, trig, pgChan))

	ctx, cancel := context.WithCancel(context.Background())
	bdone, wdone := make(chan error, 1), make(chan error, 1)
	logf := func(f string, a ...any) {
		if testing.Verbose() {
			t.Logf(f, a...)
		}
	}
	go func() {
		bdone <- bridge.Run(ctx, bridge.Options{Bridge: config.Bridge{PostgresURI: testenv.PG(), AMQPURI: testenv.AMQP(),
			Bindings: []config.Binding{{PGChannel: pgChan, Target: p.exchange}}}, Durable: durable,
			Outbox: p.schema + ".outbox", WakeChannel: p.schema + "_outbox", Logf: logf})
	}()
	ready := make(chan string, 1)
	go func() {
		wdone <- worker.Run(ctx, worker.Options{URL: testenv.AMQP(), Exchange: p.exchange, Queue: p.queue,
			Bindings: []string{"row_change.table-" + p.table + ".event-INSERT.#"}, Concurrency: conc, Prefetch: 64 * conc,
			MaxAttempts: 3, RetryDelay: 200 * time.Millisecond, Stats: p.stats, Logf: logf, Ready: func(q string) { ready <- q },
			NewHandler: worker.LuaFactory(worker.LuaOptions{File: handler})})
	}()
	select {
	case <-ready:
	case err := <-wdone:
		t.Fatalf("worker: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("worker not ready")
	}
	if !durable {
		time.Sleep(300 * time.Millisecond) // the bridge's LISTEN must be in place before NOTIFYs fire
	}
	t.Cleanup(func() {
		cancel()
		if err := <-bdone; err != nil {
			t.Error(err)
		}
		if err := <-wdone; err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestWelcomeEmail(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(map[bool]string{false: "notify", true: "durable"}[durable], func(t *testing.T) {
			srv := testenv.StartSMTP(t)
			host, port, _ := strings.Cut(srv.Addr, ":")
			t.Setenv("SMTP_HOST", host)
			t.Setenv("SMTP_PORT", port)
			t.Setenv("MAIL_FROM", "welcome@starter.kit")
			p := setup(t, durable, "id serial primary key, name text, email text, password text",
				repoFile(t, "user_code/workers/welcome_email.lua"), 2)
			// the signup
			testenv.Exec(t, p.pg, fmt.Sprintf("insert into %s.%s (name, email, password) values ($1, $2, 'pw')", p.schema, p.table),
				"Ann | O'Neil", "ann@example.com")
			// an update must not send anything
			testenv.Exec(t, p.pg, fmt.Sprintf("update %s.%s set name = 'Ann'", p.schema, p.table))
			select {
			case m := <-srv.Mail:
				if m.From != "welcome@starter.kit" || len(m.To) != 1 || m.To[0] != "ann@example.com" {
					t.Fatalf("%+v", m)
				}
				for _, want := range []string{"Subject: Welcome, Ann | O'Neil!\r\n", "To: ann@example.com\r\n", "Hi Ann | O'Neil,\r\n"} {
					if !strings.Contains(m.Data, want) {
						t.Errorf("missing %q in\n%s", want, m.Data)
					}
				}
				if durable && !strings.Contains(m.Data, "X-Event-Id: 1\r\n") {
					t.Errorf("durable mode must carry the event id:\n%s", m.Data)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("no welcome email")
			}
			select {
			case m := <-srv.Mail:
				t.Fatalf("unexpected second mail: %+v", m)
			case <-time.After(500 * time.Millisecond):
			}
			testenv.WaitFor(func() bool { return p.stats.Acked.Load() >= 1 })
			if p.stats.Acked.Load() != 1 {
				t.Fatalf("acked %d", p.stats.Acked.Load())
			}
		})
	}
}

func TestWelcomeEmailSMTPDownRetries(t *testing.T) {
	// SMTP unreachable: the handler fails, the message is retried and then
	// dead-lettered with the SMTP error.
	t.Setenv("SMTP_HOST", "127.0.0.1")
	t.Setenv("SMTP_PORT", "1")
	p := setup(t, true, "id serial primary key, name text, email text, password text",
		repoFile(t, "user_code/workers/welcome_email.lua"), 1)
	testenv.Exec(t, p.pg, fmt.Sprintf("insert into %s.%s (name, email) values ('Bob', 'bob@example.com')", p.schema, p.table))
	ch := testenv.Channel(t)
	d, ok := testenv.Get(t, ch, p.queue+worker.DeadQueueSuffix, 15*time.Second)
	if !ok {
		t.Fatal("not dead-lettered")
	}
	testenv.WaitFor(func() bool { return p.stats.Retried.Load() >= 2 })
	if e, _ := d.Headers[worker.HeaderError].(string); !strings.HasPrefix(e, "smtp: ") || p.stats.Retried.Load() != 2 {
		t.Fatalf("error %q, retried %d", e, p.stats.Retried.Load())
	}
}
