package amqpx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Async publishes in the background from a bounded buffer, so callers
// (Lua hooks in any phase) never block. Each of its publisher goroutines
// owns a confirm channel; batches are retried until confirmed.
type Async struct {
	buf    chan Message
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// Counters.
	Queued, Confirmed, Dropped, Retried atomic.Int64
}

// NewAsync starts workers publishers to url with a buffer of size messages.
func NewAsync(url string, size, workers int, logf Logf) *Async {
	if size <= 0 {
		size = 10000
	}
	if workers <= 0 {
		workers = 2
	}
	a := &Async{buf: make(chan Message, size)}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	for i := 0; i < workers; i++ {
		a.wg.Add(1)
		go a.run(&Publisher{URL: url, Logf: logf}, orLog(logf))
	}
	return a
}

// TryPublish queues m; false means the buffer is full.
func (a *Async) TryPublish(m Message) bool {
	select {
	case a.buf <- m:
		a.Queued.Add(1)
		return true
	default:
		a.Dropped.Add(1)
		return false
	}
}

// Close stops accepting work, gives the publishers up to wait to drain
// the buffer and stops them.
func (a *Async) Close(wait time.Duration) {
	deadline := time.Now().Add(wait)
	for len(a.buf) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	a.cancel()
	a.wg.Wait()
}

func (a *Async) run(p *Publisher, logf Logf) {
	defer a.wg.Done()
	defer p.Close()
	batch := make([]Message, 0, 128)
	b := Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}
	for {
		select {
		case <-a.ctx.Done():
			return
		case m := <-a.buf:
			batch = append(batch[:0], m)
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case m := <-a.buf:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		for attempts := 0; len(batch) > 0; attempts++ {
			acked, err := p.PublishBatch(a.ctx, batch)
			rest := batch[:0]
			for i := range batch {
				if acked != nil && acked[i] {
					a.Confirmed.Add(1)
				} else {
					rest = append(rest, batch[i])
				}
			}
			batch = rest
			if len(batch) == 0 {
				b.Reset()
				break
			}
			if a.ctx.Err() != nil {
				logf("amqp: publisher stopped with %d unconfirmed messages", len(batch))
				return
			}
			d := b.Next()
			logf("amqp: publishing %d messages failed: %v; retrying in %s", len(batch), err, d)
			a.Retried.Add(int64(len(batch)))
			Sleep(a.ctx, d)
		}
	}
}
