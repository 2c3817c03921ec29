// Package amqp is the built-in Lua module "goresty.amqp": publishing to
// RabbitMQ from any phase without blocking. publish() only queues into a
// bounded buffer; background publishers with their own confirm channels
// deliver it (at-least-once while the process lives).
package amqp

import (
	"sync"
	"time"

	"github.com/goresty/goresty/events/amqpx"
	"github.com/goresty/goresty/luabindings"
	amqp091 "github.com/rabbitmq/amqp091-go"
	lua "github.com/yuin/gopher-lua"
)

var (
	mu  sync.RWMutex
	pub *amqpx.Async
)

// DefaultBufferSize is used when Configure gets a size <= 0.
const DefaultBufferSize = 10000

// Configure sets the broker for every VM (the nginx.conf directive
// `amqp_url URL;`). An empty url disables publishing. Calling it again
// replaces the publisher, draining the old one for up to a second.
func Configure(url string, bufferSize int) {
	mu.Lock()
	old := pub
	pub = nil
	if url != "" {
		if bufferSize <= 0 {
			bufferSize = DefaultBufferSize
		}
		pub = amqpx.NewAsync(url, bufferSize, 2, nil)
	}
	mu.Unlock()
	if old != nil {
		old.Close(time.Second)
	}
}

// Shutdown drains the buffer for up to wait and stops publishing.
func Shutdown(wait time.Duration) {
	mu.Lock()
	old := pub
	pub = nil
	mu.Unlock()
	if old != nil {
		old.Close(wait)
	}
}

// Stats reports queued, confirmed, dropped (buffer full) and retried counts.
func Stats() (queued, confirmed, dropped, retried int64) {
	mu.RLock()
	defer mu.RUnlock()
	if pub == nil {
		return
	}
	return pub.Queued.Load(), pub.Confirmed.Load(), pub.Dropped.Load(), pub.Retried.Load()
}

func init() {
	luabindings.RegisterModule("goresty.amqp", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		t := L.NewTable()
		t.RawSetString("publish", L.NewFunction(publish))
		t.RawSetString("_VERSION", lua.LString("0.1"))
		return t
	})
}

// publish(exchange, routing_key, body [, opts]) -> true | nil, err
// opts: headers (table), persistent (default true), content_type,
// message_id, mandatory.
func publish(L *lua.LState) int {
	m := amqpx.Message{Exchange: L.CheckString(1), RoutingKey: L.CheckString(2), Body: []byte(L.CheckString(3)), Persistent: true}
	if opts, ok := L.Get(4).(*lua.LTable); ok {
		if h, ok := opts.RawGetString("headers").(*lua.LTable); ok {
			m.Headers = table(h)
		}
		if v := opts.RawGetString("persistent"); v != lua.LNil {
			m.Persistent = lua.LVAsBool(v)
		}
		if v, ok := opts.RawGetString("content_type").(lua.LString); ok {
			m.ContentType = string(v)
		}
		if v, ok := opts.RawGetString("message_id").(lua.LString); ok {
			m.MessageID = string(v)
		}
		m.Mandatory = lua.LVAsBool(opts.RawGetString("mandatory"))
	} else if L.Get(4) != lua.LNil {
		L.ArgError(4, "table expected")
	}
	mu.RLock()
	p := pub
	mu.RUnlock()
	if p == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("amqp_url not configured"))
		return 2
	}
	if !p.TryPublish(m) {
		L.Push(lua.LNil)
		L.Push(lua.LString("buffer full"))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// table converts a Lua headers table: strings, numbers (integers stay
// integers), booleans, sequences and nested tables.
func table(t *lua.LTable) amqp091.Table {
	out := amqp091.Table{}
	t.ForEach(func(k, v lua.LValue) {
		if ks, ok := k.(lua.LString); ok {
			if x := value(v); x != nil {
				out[string(ks)] = x
			}
		}
	})
	return out
}

func value(v lua.LValue) any {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		if f := float64(x); f == float64(int64(f)) {
			return int64(f)
		}
		return float64(x)
	case lua.LBool:
		return bool(x)
	case *lua.LTable:
		if n := x.Len(); n > 0 {
			a := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				a = append(a, value(x.RawGetInt(i)))
			}
			return a
		}
		return table(x)
	}
	return nil
}
