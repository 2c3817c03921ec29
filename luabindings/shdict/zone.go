// Package shdict implements lua_shared_dict zones (ngx.shared.DICT): a
// store shared by every worker VM of the process, following
// lua-nginx-module's ngx_http_lua_shdict.c (LRU queue, lazy expiry,
// forced eviction, lists) and lua-resty-core's shdict.lua (return values
// and error strings).
package shdict

import (
	"errors"
	"sort"
	"sync"
	"time"
)

// ValueType numbers follow the Lua type tags nginx stores.
type ValueType uint8

const (
	TNil     ValueType = 0
	TBoolean ValueType = 1
	TNumber  ValueType = 3
	TString  ValueType = 4
	TList    ValueType = 5
)

// Value is a stored scalar. Booleans keep 0 or 1 in Num.
type Value struct {
	Type ValueType
	Str  string
	Num  float64
}

func (v Value) size() int {
	switch v.Type {
	case TString:
		return len(v.Str)
	case TNumber:
		return 8
	case TBoolean:
		return 1
	}
	return 0
}

// Store operations (NGX_HTTP_LUA_SHDICT_*).
type Op uint8

const (
	OpSet     Op = 0
	OpAdd     Op = 1
	OpReplace Op = 2
	OpSafe    Op = 4
)

// Errors with the exact strings OpenResty returns.
var (
	ErrExists      = errors.New("exists")
	ErrNotFound    = errors.New("not found")
	ErrNoMemory    = errors.New("no memory")
	ErrNotNumber   = errors.New("not a number")
	ErrNotList     = errors.New("value not a list")
	ErrIsList      = errors.New("value is a list")
	ErrNilAddValue = errors.New("attempt to add or replace nil values")
	ErrKeyTooLong  = errors.New("key too long")
)

// MaxKeyLen is the longest key nginx accepts.
const MaxKeyLen = 65535

// nowMs is the clock (milliseconds); tests replace it.
var nowMs = func() int64 { return time.Now().UnixMilli() }

type entry struct {
	key        string
	val        Value
	list       []Value // list items are list[lhead:], head first
	lhead      int
	flags      uint32
	expires    int64 // ms since epoch, 0 = never
	size       int   // slab bytes of the node
	prev, next *entry
}

func (e *entry) listSize(i int) int { return listNodeOverhead + e.list[i].size() }

func (e *entry) llen() int { return len(e.list) - e.lhead }

// pushFront and popFront keep list operations O(1) amortised at both ends.
func (e *entry) pushFront(v Value) {
	if e.lhead == 0 {
		n := len(e.list)
		grow := n + 4
		nl := make([]Value, grow+n, grow+n+4)
		copy(nl[grow:], e.list)
		e.list, e.lhead = nl, grow
	}
	e.lhead--
	e.list[e.lhead] = v
}

func (e *entry) popFront() Value {
	v := e.list[e.lhead]
	e.list[e.lhead] = Value{}
	e.lhead++
	if e.lhead >= 32 && e.lhead*2 >= len(e.list) {
		n := copy(e.list, e.list[e.lhead:])
		clear(e.list[n:])
		e.list, e.lhead = e.list[:n], 0
	}
	return v
}

func (e *entry) popBack() Value {
	v := e.list[len(e.list)-1]
	e.list[len(e.list)-1] = Value{}
	e.list = e.list[:len(e.list)-1]
	return v
}

// Zone is one lua_shared_dict.
type Zone struct {
	Name string
	size int64

	mu   sync.Mutex
	m    map[string]*entry
	lru  entry // sentinel: lru.next is the most recently used
	slab slab
}

func newZone(name string, size int64) *Zone {
	z := &Zone{Name: name, size: size, m: make(map[string]*entry), slab: newSlab(size)}
	z.lru.next, z.lru.prev = &z.lru, &z.lru
	// the zone's own bookkeeping lives in the slab too
	z.slab.alloc(zoneCtxSize)
	z.slab.alloc(logCtxBase + len(name))
	return z
}

var (
	zonesMu sync.RWMutex
	zones   = map[string]*Zone{}
)

// Configure sets the process's zones (name -> size in bytes). A zone
// that already exists with the same size keeps its data, as nginx keeps
// shared memory across reloads; others are created empty.
func Configure(cfg map[string]int64) {
	zonesMu.Lock()
	defer zonesMu.Unlock()
	next := make(map[string]*Zone, len(cfg))
	for name, size := range cfg {
		if z, ok := zones[name]; ok && z.size == size {
			next[name] = z
			continue
		}
		next[name] = newZone(name, size)
	}
	zones = next
}

// Get returns the named zone or nil.
func Get(name string) *Zone {
	zonesMu.RLock()
	defer zonesMu.RUnlock()
	return zones[name]
}

func zoneList() []*Zone {
	zonesMu.RLock()
	defer zonesMu.RUnlock()
	l := make([]*Zone, 0, len(zones))
	for _, z := range zones {
		l = append(l, z)
	}
	sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	return l
}

// --- LRU queue and slab bookkeeping (z.mu held) ---

func (z *Zone) toHead(e *entry) {
	if z.lru.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	z.insertHead(e)
}

func (z *Zone) insertHead(e *entry) {
	e.prev, e.next = &z.lru, z.lru.next
	z.lru.next.prev = e
	z.lru.next = e
}

func (z *Zone) remove(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(z.m, e.key)
	for i := e.lhead; i < len(e.list); i++ {
		z.slab.free(e.listSize(i))
	}
	e.list, e.lhead = nil, 0
	z.slab.free(e.size)
}

const (
	found = iota
	expired
	missing
)

// lookup is ngx_http_lua_shdict_lookup: a valid hit moves to the head.
func (z *Zone) lookup(key string, now int64) (*entry, int) {
	e := z.m[key]
	if e == nil {
		return nil, missing
	}
	if e.expires != 0 && e.expires-now <= 0 {
		return e, expired
	}
	z.toHead(e)
	return e, found
}

// expire is ngx_http_lua_shdict_expire: n == 1 frees up to two expired
// entries at the LRU tail; n == 0 frees the tail entry by force and then
// up to two expired ones.
func (z *Zone) expire(n int, now int64) int {
	freed := 0
	for n < 3 {
		e := z.lru.prev
		if e == &z.lru {
			return freed
		}
		if n != 0 {
			if e.expires == 0 || e.expires-now > 0 {
				return freed
			}
		}
		n++
		z.remove(e)
		freed++
	}
	return freed
}

// allocEvicting allocates n bytes, evicting from the LRU tail like the
// "overriding non-expired items due to memory shortage" path.
func (z *Zone) allocEvicting(n int, now int64) (ok, forcible bool) {
	if z.slab.alloc(n) {
		return true, false
	}
	for i := 0; i < 30; i++ {
		if z.expire(0, now) == 0 {
			break
		}
		forcible = true
		if z.slab.alloc(n) {
			return true, forcible
		}
	}
	return false, forcible
}

func expiresAt(now, ms int64) int64 {
	if ms > 0 {
		return now + ms
	}
	return 0
}

// --- operations ---

// Capacity is the configured size in bytes.
func (z *Zone) Capacity() int64 { return z.size }

// FreeSpace is the number of bytes in free slab pages.
func (z *Zone) FreeSpace() int64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	return int64(z.slab.freePages) * pageSize
}

// Get reads a key. With stale, an expired entry not yet removed is
// returned too, with isStale set. A missing key gives Value{Type: TNil}.
func (z *Zone) Get(key string, stale bool) (v Value, flags uint32, isStale bool, err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	if !stale {
		z.expire(1, now)
	}
	e, st := z.lookup(key, now)
	if st == missing || st == expired && !stale {
		return Value{}, 0, false, nil
	}
	if e.val.Type == TList {
		return Value{}, 0, false, ErrIsList
	}
	return e.val, e.flags, st == expired, nil
}

// Store is ngx_http_lua_ffi_shdict_store: set, add, replace and their
// safe variants; a TNil value deletes. exptime is in milliseconds.
func (z *Zone) Store(op Op, key string, v Value, exptime int64, flags uint32) (forcible bool, err error) {
	if len(key) > MaxKeyLen {
		return false, ErrKeyTooLong
	}
	if v.Type == TNil && op&(OpAdd|OpReplace) != 0 {
		return false, ErrNilAddValue
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	z.expire(1, now)
	e, st := z.lookup(key, now)
	switch {
	case op&OpReplace != 0:
		if st != found {
			return false, ErrNotFound
		}
	case op&OpAdd != 0:
		if st == found {
			return false, ErrExists
		}
	}
	if e != nil {
		if v.Type != TNil && e.val.Type != TList && v.size() == e.val.size() {
			// same size: the node is reused in place
			z.toHead(e)
			e.val, e.flags, e.expires = v, flags, expiresAt(now, exptime)
			return false, nil
		}
		z.remove(e)
	}
	if v.Type == TNil {
		return false, nil
	}
	n := nodeSize(len(key), v.size())
	var ok bool
	if op&OpSafe != 0 {
		if !z.slab.alloc(n) {
			return false, ErrNoMemory
		}
	} else if ok, forcible = z.allocEvicting(n, now); !ok {
		return forcible, ErrNoMemory
	}
	e = &entry{key: key, val: v, flags: flags, expires: expiresAt(now, exptime), size: n}
	z.m[key] = e
	z.insertHead(e)
	return forcible, nil
}

// Incr adds delta to a number; a missing (or expired) key is created as
// init+delta when hasInit, with initTTL milliseconds to live.
func (z *Zone) Incr(key string, delta float64, hasInit bool, init float64, initTTL int64) (val float64, forcible bool, err error) {
	if len(key) > MaxKeyLen {
		return 0, false, ErrKeyTooLong
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	z.expire(1, now)
	e, st := z.lookup(key, now)
	if st == found {
		if e.val.Type != TNumber {
			return 0, false, ErrNotNumber
		}
		e.val.Num += delta
		return e.val.Num, false, nil
	}
	if !hasInit {
		return 0, false, ErrNotFound
	}
	num := delta + init
	if st == expired {
		if e.val.Type != TList && e.val.size() == 8 {
			z.toHead(e)
			e.val, e.flags, e.expires = Value{Type: TNumber, Num: num}, 0, expiresAt(now, initTTL)
			return num, false, nil
		}
		z.remove(e)
	}
	n := nodeSize(len(key), 8)
	ok, forcible := z.allocEvicting(n, now)
	if !ok {
		return 0, forcible, ErrNoMemory
	}
	e = &entry{key: key, val: Value{Type: TNumber, Num: num}, expires: expiresAt(now, initTTL), size: n}
	z.m[key] = e
	z.insertHead(e)
	return num, forcible, nil
}

// Push adds a string or number to the head (left) or tail of a list and
// returns the new length. entryFailed reports a failure to allocate the
// list entry itself (OpenResty returns false rather than nil then).
func (z *Zone) Push(key string, left bool, v Value) (n int, entryFailed bool, err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	z.expire(1, now)
	e, st := z.lookup(key, now)
	switch st {
	case expired:
		if e.val.Type != TList {
			z.remove(e)
			e = nil
			break
		}
		// reuse the expired list, emptied
		e.expires = 0
		for i := e.lhead; i < len(e.list); i++ {
			z.slab.free(e.listSize(i))
		}
		e.list, e.lhead = nil, 0
		z.toHead(e)
	case found:
		if e.val.Type != TList {
			return 0, false, ErrNotList
		}
	}
	if e == nil {
		size := listEntrySize(len(key))
		if !z.slab.alloc(size) {
			return 0, true, ErrNoMemory
		}
		e = &entry{key: key, val: Value{Type: TList}, size: size}
		z.m[key] = e
		z.insertHead(e)
	}
	if !z.slab.alloc(listNodeOverhead + v.size()) {
		if e.llen() == 0 {
			z.remove(e)
		}
		return 0, false, ErrNoMemory
	}
	if left {
		e.pushFront(v)
	} else {
		e.list = append(e.list, v)
	}
	return e.llen(), false, nil
}

// Pop removes the head (left) or tail item of a list. A missing key
// gives Value{Type: TNil}.
func (z *Zone) Pop(key string, left bool) (Value, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	z.expire(1, now)
	e, st := z.lookup(key, now)
	if st != found {
		return Value{}, nil
	}
	if e.val.Type != TList {
		return Value{}, ErrNotList
	}
	var v Value
	if left {
		v = e.popFront()
	} else {
		v = e.popBack()
	}
	z.slab.free(listNodeOverhead + v.size())
	if e.llen() == 0 {
		z.remove(e)
	}
	return v, nil
}

// Llen is the length of a list (0 when missing).
func (z *Zone) Llen(key string) (int, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	z.expire(1, now)
	e, st := z.lookup(key, now)
	if st != found {
		return 0, nil
	}
	if e.val.Type != TList {
		return 0, ErrNotList
	}
	return e.llen(), nil
}

// TTL is the remaining time to live in milliseconds (0 = no expiry;
// negative for an expired entry not removed yet).
func (z *Zone) TTL(key string) (ms int64, ok bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	e := z.m[key]
	if e == nil {
		return 0, false
	}
	if e.expires == 0 {
		return 0, true
	}
	return e.expires - nowMs(), true
}

// SetExpire sets a key's time to live in milliseconds (<= 0: never).
func (z *Zone) SetExpire(key string, ms int64) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	e := z.m[key]
	if e == nil {
		return false
	}
	e.expires = expiresAt(nowMs(), ms)
	return true
}

// FlushAll marks every entry expired; like nginx it frees only a few of
// them right away, the rest go lazily or with FlushExpired.
func (z *Zone) FlushAll() {
	z.mu.Lock()
	defer z.mu.Unlock()
	for e := z.lru.next; e != &z.lru; e = e.next {
		e.expires = 1
	}
	z.expire(0, nowMs())
}

// FlushExpired frees expired entries, at most max of them (0 = all), and
// returns how many were freed.
func (z *Zone) FlushExpired(max int) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	freed := 0
	for e := z.lru.prev; e != &z.lru; {
		prev := e.prev
		if e.expires != 0 && e.expires <= now {
			z.remove(e)
			freed++
			if max != 0 && freed == max {
				break
			}
		}
		e = prev
	}
	return freed
}

// Keys lists unexpired keys from the least recently used, at most max
// of them (0 = all).
func (z *Zone) Keys(max int) []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	now := nowMs()
	n := len(z.m)
	if max > 0 && max < n {
		n = max
	}
	keys := make([]string, 0, n)
	for e := z.lru.prev; e != &z.lru; e = e.prev {
		if e.expires == 0 || e.expires > now {
			keys = append(keys, e.key)
			if max != 0 && len(keys) == max {
				break
			}
		}
	}
	return keys
}

// Zones lists the process's zones by name (for metrics).
func Zones() []*Zone { return zoneList() }

// Snapshot is the current set of zones, for Restore.
func Snapshot() map[string]*Zone {
	zonesMu.RLock()
	defer zonesMu.RUnlock()
	m := make(map[string]*Zone, len(zones))
	for k, v := range zones {
		m[k] = v
	}
	return m
}

// Restore makes m the set of zones again: the runtime puts back the
// served configuration's zones after a rejected configuration replaced
// them, so that they, and their data, carry over to the next reload.
func Restore(m map[string]*Zone) {
	zonesMu.Lock()
	defer zonesMu.Unlock()
	zones = m
}
