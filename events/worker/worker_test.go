package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goresty/goresty/events/testenv"
	"github.com/goresty/goresty/luabindings"
	_ "github.com/goresty/goresty/luabindings/all"
	amqp "github.com/rabbitmq/amqp091-go"
	lua "github.com/yuin/gopher-lua"
)

// The test sink module lets handlers report to the test and block.
var (
	sinkMu   sync.Mutex
	sinks    = map[string]chan string{}
	inFlight atomic.Int32
)

func init() {
	luabindings.RegisterModule("testsink", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		t := L.NewTable()
		t.RawSetString("put", L.NewFunction(func(L *lua.LState) int {
			sinkMu.Lock()
			ch := sinks[L.CheckString(1)]
			sinkMu.Unlock()
			s := L.CheckString(2)
			vm.Unlocked(func() { ch <- s })
			return 0
		}))
		t.RawSetString("sleep", L.NewFunction(func(L *lua.LState) int {
			d := time.Duration(L.CheckNumber(1)) * time.Millisecond
			inFlight.Add(1)
			vm.Unlocked(func() { time.Sleep(d) })
			inFlight.Add(-1)
			return 0
		}))
		return t
	})
}

func sink(t *testing.T) (string, chan string) {
	name := testenv.Name("sink")
	ch := make(chan string, 100)
	sinkMu.Lock()
	sinks[name] = ch
	sinkMu.Unlock()
	return name, ch
}

func handlerFile(t *testing.T, code string) string {
	f := filepath.Join(t.TempDir(), "handler.lua")
	if err := os.WriteFile(f, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func runWorker(t *testing.T, o Options) (stop func() error) {
	t.Helper()
	testenv.AMQPConn(t) // skip early when the broker is down
	o.URL = testenv.AMQP()
	ready := make(chan string, 4)
	o.Ready = func(q string) { ready <- q }
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("worker not ready")
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				err = fmt.Errorf("worker did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func publish(t *testing.T, ch *amqp.Channel, ex, key, body string, h amqp.Table) {
	t.Helper()
	if err := ch.PublishWithContext(context.Background(), ex, key, false, false, amqp.Publishing{Body: []byte(body), Headers: h, MessageId: "m-" + body}); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, c chan string) string {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("handler not called")
		return ""
	}
}

func TestLuaHandlerPatternsHeadersInfo(t *testing.T) {
	t.Parallel()
	ch := testenv.Channel(t)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Name("wq")
	for _, s := range []string{"", RetryQueueSuffix, DeadQueueSuffix} {
		testenv.DeleteQueueAtCleanup(t, q+s)
	}
	name, got := sink(t)
	f := handlerFile(t, fmt.Sprintf(`
		local sink = require "testsink"
		local calls = 0
		return function(rk, body, headers, info)
			calls = calls + 1
			local arr = headers.arr and table.concat(headers.arr, ",") or "-"
			sink.put(%q, table.concat({rk, body, tostring(headers.s), tostring(headers.n), arr,
				info.queue, info.exchange, tostring(info.redelivered), tostring(info.attempt), tostring(info.message_id),
				ngx and "ngx" or "nongx", tostring(calls)}, "|"))
		end`, name))
	runWorker(t, Options{Exchange: ex, Queue: q, Bindings: []string{"row_change.table-users.event-INSERT.#", "a.*"},
		Concurrency: 1, NewHandler: LuaFactory(LuaOptions{File: f})})
	publish(t, ch, ex, "row_change.table-users.event-UPDATE", "skip", nil)
	publish(t, ch, ex, "a.b.c", "skip", nil)
	publish(t, ch, ex, "row_change.table-users.event-INSERT", "one", amqp.Table{"s": "v", "n": int32(5), "arr": []any{"x", int64(2)}})
	publish(t, ch, ex, "a.b", "two", nil)
	want := []string{
		"row_change.table-users.event-INSERT|one|v|5|x,2|" + q + "|" + ex + "|false|1|m-one|ngx|1",
		"a.b|two|nil|nil|-|" + q + "|" + ex + "|false|1|m-two|ngx|2",
	}
	for _, w := range want {
		if g := recv(t, got); g != w {
			t.Fatalf("got  %s\nwant %s", g, w)
		}
	}
	select {
	case s := <-got:
		t.Fatalf("unbound message handled: %s", s)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestLuaRetryAndDeadLetter(t *testing.T) {
	t.Parallel()
	ch := testenv.Channel(t)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Name("wq")
	for _, s := range []string{"", RetryQueueSuffix, DeadQueueSuffix} {
		testenv.DeleteQueueAtCleanup(t, q+s)
	}
	name, got := sink(t)
	f := handlerFile(t, fmt.Sprintf(`
		local sink = require "testsink"
		return function(rk, body, headers, info)
			sink.put(%q, rk .. " " .. body .. " " .. info.attempt)
			if body == "error" then error("boom " .. info.attempt) end
			if body == "soft" then return nil, "soft failure" end
			if body == "flaky" and info.attempt < 2 then return false end
		end`, name))
	stats := &Stats{}
	runWorker(t, Options{Exchange: ex, Queue: q, Bindings: []string{"#"}, Concurrency: 2, MaxAttempts: 3,
		RetryDelay: 100 * time.Millisecond, Stats: stats, NewHandler: LuaFactory(LuaOptions{File: f})})
	publish(t, ch, ex, "k.err", "error", amqp.Table{"keep": "me"})
	publish(t, ch, ex, "k.flaky", "flaky", nil)
	publish(t, ch, ex, "k.soft", "soft", nil)
	seen := map[string]int{}
	for i := 0; i < 3+2+3; i++ {
		seen[recv(t, got)]++
	}
	for _, w := range []string{"k.err error 1", "k.err error 2", "k.err error 3", "k.flaky flaky 1", "k.flaky flaky 2",
		"k.soft soft 1", "k.soft soft 2", "k.soft soft 3"} {
		if seen[w] != 1 {
			t.Fatalf("want one %q, calls: %v", w, seen)
		}
	}
	dead := map[string]amqp.Delivery{}
	for len(dead) < 2 {
		d, ok := testenv.Get(t, ch, q+DeadQueueSuffix, 5*time.Second)
		if !ok {
			t.Fatalf("dead-letter queue has %d messages", len(dead))
		}
		dead[string(d.Body)] = d
	}
	d := dead["error"]
	if headerInt(d.Headers, HeaderRetryCount) != 3 || d.Headers[HeaderRoutingKey] != "k.err" || d.Headers["keep"] != "me" ||
		d.Headers[HeaderExchange] != ex || d.MessageId != "m-error" {
		t.Fatalf("dead headers %#v", d.Headers)
	}
	if e, _ := d.Headers[HeaderError].(string); e == "" || !contains(e, "boom 3") {
		t.Fatalf("x-last-error %q", e)
	}
	if e, _ := dead["soft"].Headers[HeaderError].(string); e != "soft failure" {
		t.Fatalf("soft error %q", e)
	}
	// the counters move just after the broker has the message: wait for them
	testenv.WaitFor(func() bool {
		return stats.Acked.Load() >= 1 && stats.DeadLettered.Load() >= 2 && stats.Retried.Load() >= 5
	})
	if stats.Acked.Load() != 1 || stats.DeadLettered.Load() != 2 || stats.Retried.Load() != 5 {
		t.Fatalf("acked %d dead %d retried %d", stats.Acked.Load(), stats.DeadLettered.Load(), stats.Retried.Load())
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestGracefulStopFinishesInFlight(t *testing.T) {
	t.Parallel()
	ch := testenv.Channel(t)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Name("wq")
	for _, s := range []string{"", RetryQueueSuffix, DeadQueueSuffix} {
		testenv.DeleteQueueAtCleanup(t, q+s)
	}
	name, got := sink(t)
	f := handlerFile(t, fmt.Sprintf(`
		local sink = require "testsink"
		return function(rk, body)
			sink.put(%q, "start " .. body)
			sink.sleep(400)
			sink.put(%q, "done " .. body)
		end`, name, name))
	stats := &Stats{}
	stop := runWorker(t, Options{Exchange: ex, Queue: q, Bindings: []string{"#"}, Concurrency: 2, Prefetch: 2,
		Stats: stats, NewHandler: LuaFactory(LuaOptions{File: f})})
	for i := 0; i < 6; i++ {
		publish(t, ch, ex, "k", fmt.Sprint(i), nil)
	}
	recv(t, got)
	recv(t, got) // two handlers are now sleeping
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	close(got)
	starts, dones := 0, 0
	for s := range got {
		if s[:4] == "star" {
			starts++
		} else {
			dones++
		}
	}
	starts += 2
	if starts != dones || int(stats.Acked.Load()) != dones {
		t.Fatalf("started %d, finished %d, acked %d", starts, dones, stats.Acked.Load())
	}
	// nothing lost: what was not handled is still queued
	qi, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if qi.Messages+dones != 6 {
		t.Fatalf("handled %d + queued %d != 6", dones, qi.Messages)
	}
}

func TestHandlerFileErrors(t *testing.T) {
	if _, err := NewLuaHandler(LuaOptions{File: handlerFile(t, "return 42")}, 0, 1); err == nil {
		t.Fatal("non-function accepted")
	}
	if _, err := NewLuaHandler(LuaOptions{File: handlerFile(t, "error('x')")}, 0, 1); err == nil {
		t.Fatal("erroring chunk accepted")
	}
	h, err := NewLuaHandler(LuaOptions{File: handlerFile(t, "return {handle = function(rk) if rk == 'x' then error({code=1}) end end}")}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Handle(context.Background(), &Message{RoutingKey: "y"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(context.Background(), &Message{RoutingKey: "x"}); err == nil {
		t.Fatal("table error not reported")
	}
}

func BenchmarkLuaHandle(b *testing.B) {
	dir := b.TempDir()
	f := filepath.Join(dir, "h.lua")
	os.WriteFile(f, []byte("return function(rk, body, h, info) if #body == 0 then error('empty') end end"), 0o644)
	h, err := NewLuaHandler(LuaOptions{File: f}, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	m := &Message{RoutingKey: "row_change.table-users.event-INSERT", Body: []byte(`{"id":1}`), Headers: amqp.Table{"x-event-id": int64(1)}}
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Handle(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// ngx.log from a handler file writes the file's base name as the prefix,
// as lua-nginx-module does for a *_by_lua_file chunk: no "@", no path; an
// error names the file's path as LuaJIT shows a "@path" chunk (no "@").
func TestLuaHandlerLogPrefix(t *testing.T) {
	var got []string
	_, err := NewLuaHandler(LuaOptions{File: handlerFile(t, "ngx.log(ngx.ERR, \"x\")\nreturn function() end"),
		Log: func(level int, msg string) { got = append(got, msg) }}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "[lua] handler.lua:1: x" {
		t.Fatalf("ngx.log from a handler file: %q", got)
	}
	f := handlerFile(t, "error('boom')")
	if _, err := NewLuaHandler(LuaOptions{File: f}, 0, 1); err == nil || !strings.HasPrefix(err.Error(), f+":1: boom") {
		t.Fatalf("error of a handler file: %v", err)
	}
}
