package limitreq

import (
	"container/list"
	"sync"
	"time"

	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/httpd"
)

// Zone is a limit_req_zone: the state of each key, shared by every
// worker of the process and kept across reloads while its size and key
// stay the same (nginx's shared memory zone).
type Zone struct {
	name    string
	size    int64
	keyText string

	mu    sync.Mutex
	nodes map[string]*node
	queue list.List // most recently used first
	used  int64     // bytes nginx's slab allocator would hold
}

// node is one key's bucket: excess in 1/1000 requests at last (ms).
type node struct {
	key    string
	excess int64
	last   int64
	count  int // lookups in progress that will account later
	elem   *list.Element
	cost   int64
}

func newZone(name string, size int64, key string) *Zone {
	return &Zone{name: name, size: size, keyText: key, nodes: map[string]*node{}}
}

var epoch = time.Now()

// nowMsec is nginx's ngx_current_msec: monotonic milliseconds, counted
// from a day before the process started as the system's uptime would be
// (a new state looked up without accounting has its last leak at 0, long
// ago: nginx charges it nothing).
func nowMsec() int64 { return int64(time.Since(epoch)/time.Millisecond) + 86400000 }

// Results of a lookup (nginx's return codes).
const (
	rcDeclined = iota
	rcOK
	rcAgain
	rcBusy
	rcError
)

// nodeCost is what nginx's slab allocator takes for a state with a key
// of n bytes: the rbtree node and the state rounded up to a power of two.
func nodeCost(n int) int64 {
	c := int64(8)
	for c < int64(80+n) {
		c <<= 1
	}
	return c
}

// capacity is the part of the zone the slab allocator hands out (its
// page descriptors and the zone's header take the rest).
func (z *Zone) capacity() int64 { return z.size - 3*4096 }

func elapsed(now, last int64) int64 {
	ms := now - last
	if ms < -60000 {
		return 1
	}
	if ms < 0 {
		return 0
	}
	return ms
}

// lookup is ngx_http_limit_req_lookup.
func (z *Zone) lookup(r *httpd.Request, rate int64, key string, burst int64, account bool) (int, int64, *node) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMsec()
	if lr := z.nodes[key]; lr != nil {
		z.queue.MoveToFront(lr.elem)
		ms := elapsed(now, lr.last)
		excess := lr.excess - rate*ms/1000 + 1000
		if excess < 0 {
			excess = 0
		}
		if excess > burst {
			return rcBusy, excess, nil
		}
		if account {
			lr.excess = excess
			if ms != 0 {
				lr.last = now
			}
			return rcOK, excess, nil
		}
		lr.count++
		return rcAgain, excess, lr
	}
	cost := nodeCost(len(key))
	z.expire(now, rate, 1)
	if z.used+cost > z.capacity() {
		z.expire(now, rate, 0)
		if z.used+cost > z.capacity() {
			r.Logf(errlog.Alert, "could not allocate node in limit_req zone \"%s\"", z.name)
			return rcError, 0, nil
		}
	}
	lr := &node{key: key, cost: cost}
	lr.elem = z.queue.PushFront(lr)
	z.nodes[key] = lr
	z.used += cost
	if account {
		lr.last = now
		return rcOK, 0, nil
	}
	lr.count = 1
	return rcAgain, 0, lr
}

// expire is ngx_http_limit_req_expire: n == 1 removes up to two states
// idle for a minute with nothing left to leak; n == 0 first removes the
// oldest state whatever it holds.
func (z *Zone) expire(now, rate int64, n int) {
	for ; n < 3; n++ {
		e := z.queue.Back()
		if e == nil {
			return
		}
		lr := e.Value.(*node)
		if lr.count != 0 {
			return
		}
		if n != 0 {
			ms := now - lr.last
			if ms < 0 {
				ms = -ms
			}
			if ms < 60000 {
				return
			}
			if lr.excess-rate*ms/1000 > 0 {
				return
			}
		}
		z.queue.Remove(e)
		delete(z.nodes, lr.key)
		z.used -= lr.cost
	}
}

// accountNode accounts a state looked up earlier (the
// ngx_http_limit_req_account loop) and returns its excess.
func (z *Zone) accountNode(rate int64, lr *node) int64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMsec()
	ms := elapsed(now, lr.last)
	excess := lr.excess - rate*ms/1000 + 1000
	if excess < 0 {
		excess = 0
	}
	if ms != 0 {
		lr.last = now
	}
	lr.excess = excess
	lr.count--
	return excess
}

func (z *Zone) release(lr *node) {
	z.mu.Lock()
	lr.count--
	z.mu.Unlock()
}
