package amqp

import (
	"testing"
	"time"

	"github.com/goresty/goresty/events/testenv"
	"github.com/goresty/goresty/luabindings"
	amqp091 "github.com/rabbitmq/amqp091-go"
	lua "github.com/yuin/gopher-lua"
)

func run(t *testing.T, code string) {
	t.Helper()
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseLog}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatal(err)
	}
}

// One test owns the process-wide configuration, step by step.
func TestPublish(t *testing.T) {
	Configure("", 0)
	run(t, `local amqp = require "goresty.amqp"
		local ok, err = amqp.publish("x", "k", "b")
		assert(ok == nil and err == "amqp_url not configured", tostring(err))
		assert(not pcall(amqp.publish, "x"), "missing args must raise")
		assert(not pcall(amqp.publish, "x", "k", "b", 5), "non-table opts must raise")`)

	ch := testenv.Channel(t)
	ex := testenv.Exchange(t, ch, false)
	q := testenv.Queue(t, ch, false, ex, "user.#")
	Configure(testenv.AMQP(), 100)
	defer Shutdown(time.Second)
	run(t, `local amqp = require "goresty.amqp"
		assert(amqp.publish("`+ex+`", "user.signup", '{"id":1,"x":"a|b"}',
			{headers = {tenant = "t1", n = 3, list = {"a", "b"}}, content_type = "application/json", message_id = "e1"}))
		assert(amqp.publish("`+ex+`", "user.other", "plain", {persistent = false}))`)
	// two background publishers: the messages may arrive in either order
	got := map[string]amqp091.Delivery{}
	for i := 0; i < 2; i++ {
		d, ok := testenv.Get(t, ch, q, 5*time.Second)
		if !ok {
			t.Fatalf("message %d not delivered", i+1)
		}
		got[d.RoutingKey] = d
	}
	d := got["user.signup"]
	if string(d.Body) != `{"id":1,"x":"a|b"}` || d.ContentType != "application/json" || d.MessageId != "e1" || d.DeliveryMode != 2 {
		t.Fatalf("%+v", d)
	}
	if d.Headers["tenant"] != "t1" || d.Headers["n"] != int64(3) || len(d.Headers["list"].([]any)) != 2 {
		t.Fatalf("headers %#v", d.Headers)
	}
	d = got["user.other"]
	if string(d.Body) != "plain" || d.DeliveryMode == 2 {
		t.Fatalf("%+v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, confirmed, _, _ := Stats(); confirmed != 2 && time.Now().Before(deadline); _, confirmed, _, _ = Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	if _, confirmed, _, _ := Stats(); confirmed != 2 {
		t.Fatalf("confirmed %d", confirmed)
	}

	// A broker that does not answer: publish never blocks, the bounded
	// buffer fills and publish reports it.
	Configure("amqp://guest:guest@127.0.0.1:1/", 10)
	run(t, `local amqp = require "goresty.amqp"
		local full
		for i = 1, 1000 do
			local ok, err = amqp.publish("x", "k", "b")
			if not ok then full = err break end
		end
		assert(full == "buffer full", tostring(full))`)
	if _, _, dropped, _ := Stats(); dropped != 1 {
		t.Fatalf("dropped %d", dropped)
	}
}

func BenchmarkPublishQueue(b *testing.B) {
	Configure("amqp://guest:guest@127.0.0.1:1/", 1<<21)
	defer Shutdown(0)
	vm := luabindings.NewVM(0, 1, b.TempDir(), nil)
	defer vm.Close()
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	vm.DoString(c, "t", `local amqp = require "goresty.amqp"; function f() amqp.publish("ex", "k", "body", {headers = {a = "b"}}) end`)
	fn := vm.L.GetGlobal("f")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vm.Exec(c, fn.(*lua.LFunction)); err != nil {
			b.Fatal(err)
		}
	}
}
