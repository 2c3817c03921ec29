package cli

import (
	"net/url"

	"bytes"
	"context"
	"github.com/goresty/goresty/events/testenv"
	"strings"
	"testing"
)

func withEnv(t *testing.T, m map[string]string) {
	old := Env
	Env = func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	t.Cleanup(func() { Env = old })
}

func TestUsageErrors(t *testing.T) {
	withEnv(t, map[string]string{"POSTGRESQL_URI": "postgres://x", "AMQP_URI": "amqp://x", "DELIVERY_MODE": "bogus", "BRIDGE_CHANNELS": "a:b"})
	var errb bytes.Buffer
	if code := Bridge(context.Background(), nil, &errb); code != 2 || !strings.Contains(errb.String(), "DELIVERY_MODE") {
		t.Fatalf("%d %s", code, errb.String())
	}
	errb.Reset()
	if code := Bridge(context.Background(), []string{"-nope"}, &errb); code != 2 {
		t.Fatal(code)
	}
	errb.Reset()
	if code := Worker(context.Background(), []string{"-queue", "q"}, &errb, &errb); code != 2 || !strings.Contains(errb.String(), "-handler or -exec") {
		t.Fatalf("%d %s", code, errb.String())
	}
	errb.Reset()
	if code := Worker(context.Background(), []string{"amqpspawn", "only-exchange"}, &errb, &errb); code != 2 || !strings.Contains(errb.String(), "Usage: goresty worker amqpspawn") {
		t.Fatalf("%d %s", code, errb.String())
	}
}

func TestHelpExitsZero(t *testing.T) {
	var errb bytes.Buffer
	if code := Bridge(context.Background(), []string{"-h"}, &errb); code != 0 || !strings.Contains(errb.String(), "Usage: goresty bridge") {
		t.Fatalf("bridge -h: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := Worker(context.Background(), []string{"-help"}, &errb, &errb); code != 0 || !strings.Contains(errb.String(), "Usage: goresty worker") {
		t.Fatalf("worker -help: %d %s", code, errb.String())
	}
}

// installSQL reports the objects of the rabbitmq schema it installed
// (into a database of its own, as it always uses the schema "rabbitmq").
func TestInstallSQLReports(t *testing.T) {
	admin := testenv.PGConn(t)
	db := testenv.Name("install")
	testenv.Exec(t, admin, "create database "+db)
	t.Cleanup(func() { admin.Exec(context.Background(), "drop database if exists "+db+" with (force)") })
	u, err := url.Parse(testenv.PG())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	res, err := installSQL(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(res.list, "\n")
	for _, want := range []string{"schema rabbitmq", "function rabbitmq.send_message(text,text,text)",
		"function rabbitmq.on_row_change()", "table rabbitmq.outbox", "trigger outbox_wake on rabbitmq.outbox"} {
		if !strings.Contains(got, want) {
			t.Fatalf("%q missing from:\n%s", want, got)
		}
	}
	if res.database != db {
		t.Fatalf("database %q", res.database)
	}
}
