// Package cli implements the `goresty bridge` and `goresty worker`
// subcommands (flags, environment, signals); cmd/goresty dispatches to it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/goresty/goresty/events/amqpspawn"
	"github.com/goresty/goresty/events/bridge"
	"github.com/goresty/goresty/events/config"
	"github.com/goresty/goresty/events/metrics"
	"github.com/goresty/goresty/events/worker"
	luaamqp "github.com/goresty/goresty/luabindings/amqp"
	gosql "github.com/goresty/goresty/sql"
	"github.com/jackc/pgx/v5"
)

// Env is the process environment (swappable in tests).
var Env = os.LookupEnv

func getenv(k string) string { v, _ := Env(k); return v }

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// RunBridge is `goresty bridge`; it returns the exit status.
func RunBridge(args []string, stderr io.Writer) int {
	ctx, cancel := signalContext()
	defer cancel()
	return Bridge(ctx, args, stderr)
}

// Bridge runs the bridge until ctx ends.
func Bridge(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("goresty bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	durable := fs.Bool("durable", strings.EqualFold(getenv("BRIDGE_MODE"), "durable"), "durable mode: drain the outbox table (env BRIDGE_MODE=durable)")
	outbox := fs.String("outbox", envOr("BRIDGE_OUTBOX", "rabbitmq.outbox"), "outbox table (durable mode)")
	wake := fs.String("wake-channel", envOr("BRIDGE_WAKE_CHANNEL", "rabbitmq_outbox"), "NOTIFY channel that wakes the durable bridge")
	batch := fs.Int("batch", 500, "events per publish batch")
	workers := fs.Int("workers", 4, "concurrent outbox claim loops (durable mode)")
	poll := fs.Duration("poll", time.Second, "outbox poll interval when no NOTIFY arrives")
	metricsAddr := fs.String("metrics-addr", getenv("BRIDGE_METRICS_ADDR"), "serve Prometheus metrics on this address at /metrics (env BRIDGE_METRICS_ADDR)")
	interval := fs.Duration("metrics-interval", time.Minute, "log metrics this often (0: never)")
	install := fs.Bool("install-sql", false, "install the rabbitmq schema (functions, outbox) into POSTGRESQL_URI first")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: goresty bridge [flags]\n\nEnvironment (pg-amqp-bridge compatible): POSTGRESQL_URI, AMQP_URI (or *_FILE),\nBRIDGE_CHANNELS=pgchannel:exchange_or_queue,..., DELIVERY_MODE=PERSISTENT|NON-PERSISTENT\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	cfg, err := config.FromEnv(Env)
	if err != nil {
		fmt.Fprintln(stderr, "goresty bridge:", err)
		return 2
	}
	if *install {
		objs, err := installSQL(ctx, cfg.PostgresURI)
		if err != nil {
			fmt.Fprintln(stderr, "goresty bridge: -install-sql:", err)
			return 1
		}
		fmt.Fprintf(stderr, "goresty bridge: -install-sql: installed sql/rabbitmq.sql into database %s:\n", objs.database)
		for _, o := range objs.list {
			fmt.Fprintf(stderr, "  %s\n", o)
		}
	}
	m := &metrics.Bridge{}
	if *metricsAddr != "" {
		srv, addr, err := metrics.Serve(*metricsAddr, metrics.Registry(m))
		if err != nil {
			fmt.Fprintln(stderr, "goresty bridge: metrics:", err)
			return 1
		}
		defer srv.Close()
		log.Printf("bridge: metrics on http://%s/metrics", addr)
	}
	if *interval > 0 {
		go m.LogEvery(ctx, *interval, log.Printf)
	}
	err = bridge.Run(ctx, bridge.Options{Bridge: cfg, Durable: *durable, Outbox: *outbox, WakeChannel: *wake,
		BatchSize: *batch, Workers: *workers, PollInterval: *poll, Metrics: m, Logf: log.Printf})
	if err != nil {
		fmt.Fprintln(stderr, "goresty bridge:", err)
		return 1
	}
	return 0
}

// parseStatus is the exit status after a flag parse error: -h and -help
// print the usage and succeed, as goresty -h does.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

type installed struct {
	database string
	list     []string // "function rabbitmq.send_message(...)", "table rabbitmq.outbox", ...
}

// installSQL runs sql/rabbitmq.sql and lists what the rabbitmq schema
// holds afterwards, read back from the catalog.
func installSQL(ctx context.Context, uri string) (installed, error) {
	var res installed
	c, err := pgx.Connect(ctx, uri)
	if err != nil {
		return res, err
	}
	defer c.Close(context.Background())
	if _, err = c.Exec(ctx, gosql.RabbitMQ("")); err != nil {
		return res, err
	}
	rows, err := c.Query(ctx, `
select 'schema ' || nspname from pg_namespace where nspname = 'rabbitmq'
union all
select * from (select 'function ' || p.oid::regprocedure::text from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'rabbitmq' order by 1) f
union all
select * from (select 'table ' || c.oid::regclass::text from pg_class c
  join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'rabbitmq' and c.relkind = 'r' order by 1) t
union all
select * from (select 'trigger ' || tgname || ' on ' || tgrelid::regclass::text from pg_trigger t
  join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'rabbitmq' and not t.tgisinternal order by 1) g`)
	if err != nil {
		return res, err
	}
	if res.list, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return res, err
	}
	err = c.QueryRow(ctx, "select current_database()").Scan(&res.database)
	return res, err
}

func envOr(k, d string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return d
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// RunWorker is `goresty worker`; it returns the exit status.
func RunWorker(args []string, stderr io.Writer) int {
	ctx, cancel := signalContext()
	defer cancel()
	return Worker(ctx, args, os.Stdout, stderr)
}

// Worker runs a worker until ctx ends.
func Worker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "amqpspawn" {
		c, err := amqpspawn.Parse(args[1:], getenv)
		if err != nil {
			fmt.Fprintf(stderr, "goresty worker amqpspawn: %v\n\n%s", err, amqpspawn.Usage)
			return 2
		}
		o := c.Options(stdout)
		o.Logf = log.Printf
		return finish(stderr, worker.Run(ctx, o))
	}
	fs := flag.NewFlagSet("goresty worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var binds multi
	url := fs.String("amqp-url", "", "broker URL (default: env AMQP_URI or AMQP_URI_FILE, else amqp://guest:guest@localhost:5672/)")
	exchange := fs.String("exchange", "events", "exchange to bind the queue to (declared as a durable topic exchange if missing)")
	exType := fs.String("exchange-type", "topic", "type used when declaring a missing exchange")
	queue := fs.String("queue", "", "durable queue to consume (required)")
	fs.Var(&binds, "bind", "routing-key pattern to bind (repeatable), e.g. row_change.table-users.event-INSERT.#")
	prefetch := fs.Int("prefetch", 0, "unacknowledged messages in flight (default 2 x concurrency)")
	conc := fs.Int("concurrency", 4, "messages handled at once (one Lua VM each)")
	attempts := fs.Int("max-attempts", 5, "attempts before a message goes to <queue>.dead")
	delay := fs.Duration("retry-delay", 5*time.Second, "wait in <queue>.retry before a new attempt")
	handler := fs.String("handler", "", "Lua file returning function(routing_key, body, headers, info)")
	luaPath := fs.String("lua-path", "", "extra package.path templates, e.g. 'user_code/?.lua'")
	program := fs.String("exec", "", "run this program per message as amqpspawn does (program TEMPFILE ROUTING_KEY)")
	metricsAddr := fs.String("metrics-addr", getenv("WORKER_METRICS_ADDR"), "serve Prometheus metrics on this address at /metrics (env WORKER_METRICS_ADDR)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: goresty worker -queue NAME -bind PATTERN (-handler FILE.lua | -exec PROGRAM) [flags]\n       goresty worker amqpspawn [amqpspawn options] exchange bindingkey\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if *url == "" {
		cfgURL, err := amqpURL()
		if err != nil {
			fmt.Fprintln(stderr, "goresty worker:", err)
			return 2
		}
		*url = cfgURL
	}
	if *queue == "" || (*handler == "") == (*program == "") {
		fmt.Fprintln(stderr, "goresty worker: -queue and exactly one of -handler or -exec are required")
		fs.Usage()
		return 2
	}
	o := worker.Options{URL: *url, Exchange: *exchange, ExchangeType: *exType, Bindings: binds, Queue: *queue,
		Prefetch: *prefetch, Concurrency: *conc, MaxAttempts: *attempts, RetryDelay: *delay, Logf: log.Printf,
		Stats: &worker.Stats{}}
	if *metricsAddr != "" {
		srv, addr, err := metrics.Serve(*metricsAddr, metrics.Registry(metrics.Worker{Stats: o.Stats, Queue: *queue}))
		if err != nil {
			fmt.Fprintln(stderr, "goresty worker: metrics:", err)
			return 1
		}
		defer srv.Close()
		log.Printf("worker: metrics on http://%s/metrics", addr)
	}
	if *handler != "" {
		// Handlers may publish follow-up events with require "goresty.amqp".
		luaamqp.Configure(*url, 0)
		defer luaamqp.Shutdown(5 * time.Second)
		o.NewHandler = worker.LuaFactory(worker.LuaOptions{File: *handler, PackagePath: *luaPath, Log: luaLog})
	} else {
		o.NewHandler = func(int, int) (worker.Handler, error) { return &amqpspawn.Exec{Program: *program, Stdout: stdout}, nil }
	}
	return finish(stderr, worker.Run(ctx, o))
}

func amqpURL() (string, error) {
	if v := getenv("AMQP_URI"); v != "" {
		return v, nil
	}
	if f := getenv("AMQP_URI_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("AMQP_URI_FILE: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "amqp://guest:guest@localhost:5672/", nil
}

var levelNames = [...]string{"stderr", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func luaLog(level int, msg string) {
	name := "log"
	if level >= 0 && level < len(levelNames) {
		name = levelNames[level]
	}
	log.Printf("[%s] %s", name, msg)
}

func finish(stderr io.Writer, err error) int {
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "goresty worker:", err)
		return 1
	}
	return 0
}
