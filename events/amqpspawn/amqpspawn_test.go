package amqpspawn

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/events/testenv"
	"github.com/goresty/goresty/events/worker"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestParse(t *testing.T) {
	env := map[string]string{"AMQP_HOST": "rabbit", "AMQP_USER": "u"}
	c, err := Parse([]string{"-q", "jobs", "--execute=./on.sh", "-P", "5673", "--password", "p w", "-v", "v1", "amq.topic", "#"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Queue != "jobs" || c.Program != "./on.sh" || c.Exchange != "amq.topic" || c.BindingKey != "#" {
		t.Fatalf("%+v", c)
	}
	if got := c.AMQPURL(); got != "amqp://u:p%20w@rabbit:5673/v1" {
		t.Fatal(got)
	}
	c, _ = Parse([]string{"ex", "k"}, func(string) string { return "" })
	if c.AMQPURL() != "amqp://guest:guest@amqpbroker:5672/" {
		t.Fatal(c.AMQPURL())
	}
	for _, bad := range [][]string{{"ex"}, {"-q"}, {"--bogus", "ex", "k"}, {"a", "b", "c"}, {"--timeout", "x", "a", "b"}} {
		if _, err := Parse(bad, func(string) string { return "" }); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestSpawnScriptPerMessage(t *testing.T) {
	t.Parallel()
	ch := testenv.Channel(t)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Name("spawn")
	for _, s := range []string{"", worker.RetryQueueSuffix, worker.DeadQueueSuffix} {
		testenv.DeleteQueueAtCleanup(t, q+s)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "on.sh")
	// an unchanged amqpspawn-style script: $1 temp file, $2 routing key
	os.WriteFile(script, []byte("#!/bin/sh\n[ \"$(cat \"$1\")\" = fail ] && exit 3\necho \"$2:$(cat \"$1\")\"\n"), 0o755)
	c, err := Parse([]string{"--url", testenv.AMQP(), "-q", q, "-e", script, ex, "user.*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuf{}
	o := c.Options(out)
	o.MaxAttempts, o.RetryDelay, o.Logf = 2, 50*time.Millisecond, t.Logf
	ready := make(chan string, 2)
	o.Ready = func(q string) { ready <- q }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx, o) }()
	defer func() { cancel(); <-done }()
	<-ready
	for _, m := range [][2]string{{"user.signup", `{"a":"x|y"}`}, {"other.x", "no"}, {"user.bad", "fail"}, {"user.two", "2"}} {
		if err := ch.PublishWithContext(ctx, ex, m[0], false, false, amqp.Publishing{Body: []byte(m[1])}); err != nil {
			t.Fatal(err)
		}
	}
	d, ok := testenv.Get(t, ch, q+worker.DeadQueueSuffix, 10*time.Second)
	if !ok || string(d.Body) != "fail" {
		t.Fatalf("failing message not dead-lettered: %v %s", ok, d.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "user.two:2") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := out.String(); got != "user.signup:{\"a\":\"x|y\"}\nuser.two:2\n" {
		t.Fatalf("script output %q", got)
	}
}

func TestExecNoProgramPrintsAndKeepsFile(t *testing.T) {
	var out bytes.Buffer
	e := &Exec{Stdout: &out}
	if err := e.Handle(context.Background(), &worker.Message{RoutingKey: "a.b", Body: []byte("body")}); err != nil {
		t.Fatal(err)
	}
	var file, key string
	if _, err := fmtSscan(out.String(), &file, &key); err != nil || key != "a.b" {
		t.Fatalf("%q", out.String())
	}
	b, err := os.ReadFile(file)
	os.Remove(file)
	if err != nil || string(b) != "body" {
		t.Fatalf("%q %v", b, err)
	}
	// with a program the temp file is removed afterwards
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	script := filepath.Join(dir, "p.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" > "+rec+"\n"), 0o755)
	if err := (&Exec{Program: script, Stdout: &out}).Handle(context.Background(), &worker.Message{RoutingKey: "k", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	p, _ := os.ReadFile(rec)
	if _, err := os.Stat(strings.TrimSpace(string(p))); !os.IsNotExist(err) {
		t.Fatalf("temp file %s not removed", p)
	}
	if err := (&Exec{Program: "/bin/false"}).Handle(context.Background(), &worker.Message{}); err == nil {
		t.Fatal("non-zero exit not reported")
	}
	if err := (&Exec{Program: "/bin/sleep", Timeout: 50 * time.Millisecond}).Handle(context.Background(), &worker.Message{RoutingKey: "5"}); err == nil {
		t.Fatal("timeout not enforced")
	}
}

func fmtSscan(s string, file, key *string) (int, error) {
	return fmt.Sscanf(s, "%q %q", file, key)
}
