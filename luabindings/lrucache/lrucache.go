// Package lrucache implements resty.lrucache and resty.lrucache.pureffi
// (lua-resty-lrucache 0.13 API): a per-VM LRU cache of arbitrary Lua
// values with optional per-item TTL and user flags. Caches are never
// shared between VMs.
package lrucache

import (
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

const version = "0.13"

func init() {
	luabindings.RegisterModule("resty.lrucache", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		return newModule(L, false)
	})
	luabindings.RegisterModule("resty.lrucache.pureffi", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		return newModule(L, true)
	})
}

// now is ngx.now(): seconds with millisecond precision; tests replace it.
var now = func() float64 { return float64(time.Now().UnixMilli()) / 1000 }

type node struct {
	key        lua.LValue
	val        lua.LValue
	expire     float64 // -1: never
	flags      uint32
	prev, next *node
}

// Cache is one lrucache instance.
type Cache struct {
	items    map[lua.LValue]*node
	head     node // sentinel: head.next is the most recently used
	max      int
	capacity lua.LNumber
	strKeys  bool // pureffi converts keys with tostring()
}

func newCache(size lua.LNumber, strKeys bool) *Cache {
	c := &Cache{max: int(size), capacity: size, strKeys: strKeys}
	hint := c.max
	if hint > 1024 {
		hint = 1024
	}
	c.items = make(map[lua.LValue]*node, hint)
	c.head.next, c.head.prev = &c.head, &c.head
	return c
}

func (c *Cache) unlink(n *node) {
	n.prev.next, n.next.prev = n.next, n.prev
}

func (c *Cache) pushFront(n *node) {
	n.prev, n.next = &c.head, c.head.next
	c.head.next.prev = n
	c.head.next = n
}

// Get returns the value, or (nil, stale value) when expired; a hit of
// either kind becomes the most recently used.
func (c *Cache) Get(key lua.LValue) (val, stale lua.LValue, flags uint32, ok bool) {
	n := c.items[key]
	if n == nil || n.val == lua.LNil {
		return lua.LNil, lua.LNil, 0, false
	}
	c.unlink(n)
	c.pushFront(n)
	if n.expire >= 0 && n.expire < now() {
		return lua.LNil, n.val, n.flags, true
	}
	return n.val, lua.LNil, n.flags, true
}

// Set stores key, to expire after ttl seconds when hasTTL. When full, the least
// recently used item is evicted, expired or not.
func (c *Cache) Set(key, val lua.LValue, ttl float64, hasTTL bool, flags uint32) {
	n := c.items[key]
	if n == nil {
		if len(c.items) >= c.max {
			n = c.head.prev
			c.unlink(n)
			delete(c.items, n.key)
		} else {
			n = &node{}
		}
		n.key = key
		c.items[key] = n
	} else {
		c.unlink(n)
	}
	c.pushFront(n)
	n.val = val
	n.expire = -1
	if hasTTL {
		n.expire = now() + ttl
	}
	n.flags = flags
}

// Delete removes key and reports whether it was present.
func (c *Cache) Delete(key lua.LValue) bool {
	n := c.items[key]
	if n == nil {
		return false
	}
	c.unlink(n)
	delete(c.items, key)
	return true
}

func (c *Cache) FlushAll() {
	clear(c.items)
	c.head.next, c.head.prev = &c.head, &c.head
}

func (c *Cache) Count() int { return len(c.items) }

func newModule(L *lua.LState, pureffi bool) *lua.LTable {
	m := L.CreateTable(0, 10)
	methods := map[string]lua.LGFunction{
		"get":       get,
		"set":       set,
		"delete":    del,
		"count":     count,
		"capacity":  capacityFn,
		"get_keys":  getKeys,
		"flush_all": flushAll,
	}
	for name, fn := range methods {
		m.RawSetString(name, L.NewFunction(fn))
	}
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", m)
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		size := L.Get(1)
		n, ok := size.(lua.LNumber)
		if !ok {
			L.RaiseError("attempt to compare %s with number", size.Type().String())
		}
		if pureffi {
			if lf := L.Get(2); lf != lua.LNil {
				if _, ok := lf.(lua.LNumber); !ok {
					L.RaiseError("attempt to compare number with %s", lf.Type().String())
				}
			}
		}
		if n < 1 {
			L.Push(lua.LNil)
			L.Push(lua.LString("size too small"))
			return 2
		}
		ud := L.NewUserData()
		ud.Value = newCache(n, pureffi)
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	m.RawSetString("_VERSION", lua.LString(version))
	return m
}

func self(L *lua.LState) *Cache {
	v := L.Get(1)
	if ud, ok := v.(*lua.LUserData); ok {
		if c, ok := ud.Value.(*Cache); ok {
			return c
		}
	}
	L.RaiseError("attempt to index local 'self' (a %s value)", v.Type().String())
	return nil
}

// key converts the key argument; pureffi caches use tostring() keys.
func key(L *lua.LState, c *Cache) lua.LValue {
	k := L.Get(2)
	if c.strKeys {
		if _, ok := k.(lua.LString); !ok {
			return L.ToStringMeta(k)
		}
	}
	return k
}

func get(L *lua.LState) int {
	c := self(L)
	val, stale, flags, ok := c.Get(key(L, c))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(val)
	L.Push(stale)
	L.Push(lua.LNumber(flags))
	return 3
}

func set(L *lua.LState) int {
	c := self(L)
	k := key(L, c)
	switch kk := k.(type) {
	case *lua.LNilType:
		L.RaiseError("table index is nil")
	case lua.LNumber:
		if kk != kk {
			L.RaiseError("table index is NaN")
		}
	}
	var ttl float64
	tv := L.Get(4)
	hasTTL := lua.LVAsBool(tv)
	if hasTTL {
		switch t := tv.(type) {
		case lua.LNumber:
			ttl = float64(t)
		case lua.LString:
			// arithmetic coerces numeric strings
			f, err := strconv.ParseFloat(strings.TrimSpace(string(t)), 64)
			if err != nil {
				L.RaiseError("attempt to perform arithmetic on local 'ttl' (a string value)")
			}
			ttl = f
		default:
			L.RaiseError("attempt to perform arithmetic on local 'ttl' (a %s value)", t.Type().String())
		}
	}
	var flags uint32
	if f, ok := L.Get(5).(lua.LNumber); ok && f >= 0 {
		flags = uint32(int64(f))
	}
	c.Set(k, L.Get(3), ttl, hasTTL, flags)
	return 0
}

func del(L *lua.LState) int {
	c := self(L)
	k := key(L, c)
	if k == lua.LNil {
		L.RaiseError("table index is nil")
	}
	L.Push(lua.LBool(c.Delete(k)))
	return 1
}

func count(L *lua.LState) int {
	L.Push(lua.LNumber(self(L).Count()))
	return 1
}

func capacityFn(L *lua.LState) int {
	L.Push(self(L).capacity)
	return 1
}

// getKeys lists keys from the most recently used; max 0 or nil means
// all. An optional table is reused, with a nil after the last key.
func getKeys(L *lua.LState) int {
	c := self(L)
	max := c.Count()
	if m, ok := L.Get(2).(lua.LNumber); ok && m != 0 {
		max = int(m)
	}
	res, ok := L.Get(3).(*lua.LTable)
	if !ok {
		n := max
		if n > c.Count() {
			n = c.Count()
		}
		if n < 0 {
			n = 0
		}
		res = L.CreateTable(n, 0)
	}
	i := 0
	for n := c.head.next; n != &c.head && i < max; n = n.next {
		i++
		res.RawSetInt(i, n.key)
	}
	res.RawSetInt(i+1, lua.LNil)
	L.Push(res)
	return 1
}

func flushAll(L *lua.LState) int {
	self(L).FlushAll()
	return 0
}
