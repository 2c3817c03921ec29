// Package semaphore implements lua-resty-core's ngx.semaphore module.
// A semaphore belongs to one worker VM; its waiters are requests or timers
// of that VM, each waiting with the VM released.
package semaphore

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.RegisterModule("ngx.semaphore", load)
}

// Phases in which wait may block (NGX_HTTP_LUA_CONTEXT_YIELDABLE).
var yieldable = [...]luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite,
	luabindings.PhaseAccess, luabindings.PhaseContent, luabindings.PhaseTimer,
	luabindings.PhaseSSLClientHello, luabindings.PhaseSSLCert, luabindings.PhaseSSLSessionFetch}

type waiter struct {
	ch      chan struct{}
	granted bool
}

type sema struct {
	mu        sync.Mutex
	resources int
	waiters   []*waiter // FIFO: the longest waiting is resumed first
}

func (s *sema) post(n int) {
	s.mu.Lock()
	s.resources += n
	for s.resources > 0 && len(s.waiters) > 0 {
		w := s.waiters[0]
		s.waiters[0] = nil
		s.waiters = s.waiters[1:]
		s.resources--
		w.granted = true
		close(w.ch)
	}
	s.mu.Unlock()
}

// count is resources minus waiters, as ngx_http_lua_ffi_sema_count.
func (s *sema) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resources - len(s.waiters)
}

type module struct {
	vm *luabindings.VM
	mt *lua.LTable
}

func load(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := &module{vm: vm}
	mod := L.NewTable()
	mod.RawSetString("version", lua.LNumber(1025))
	mod.RawSetString("new", L.NewFunction(m.new))
	mod.RawSetString("wait", L.NewFunction(m.wait))
	mod.RawSetString("post", L.NewFunction(m.post))
	mod.RawSetString("count", L.NewFunction(m.count))
	m.mt = L.NewTable()
	m.mt.RawSetString("__index", mod)
	return mod
}

func (m *module) new(L *lua.LState) int {
	n := 0
	if v, ok := toNumber(L.Get(1)); ok {
		n = int(v)
	}
	if n < 0 {
		L.RaiseError("no negative number")
	}
	obj := L.CreateTable(0, 1)
	ud := L.NewUserData()
	ud.Value = &sema{resources: n}
	obj.RawSetString("sem", ud)
	obj.Metatable = m.mt
	L.Push(obj)
	return 1
}

// toNumber is Lua's tonumber for numbers and numeric strings.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		str := strings.TrimSpace(string(x))
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			return f, true
		}
		if i, err := strconv.ParseInt(str, 0, 64); err == nil {
			return float64(i), true
		}
	}
	return 0, false
}

func self(L *lua.LState) *sema {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetString("sem").(*lua.LUserData); ok {
			if s, ok := ud.Value.(*sema); ok {
				return s
			}
		}
	}
	L.RaiseError("not a semaphore instance")
	return nil
}

func (m *module) wait(L *lua.LState) int {
	s := self(L)
	c := m.vm.Current()
	if c == nil || c.Phase == luabindings.PhaseInit {
		L.RaiseError("no request found")
	}
	secs, ok := toNumber(L.Get(2))
	if !ok {
		L.RaiseError("attempt to perform arithmetic on a nil value")
	}
	ms := int(secs * 1000)
	if secs*1000 < 0 {
		L.RaiseError("no negative number")
	}
	allowed := false
	for _, p := range yieldable {
		if c.Phase == p {
			allowed = true
			break
		}
	}
	if !allowed {
		L.Push(lua.LNil)
		L.Push(lua.LString("API disabled in the context of " + c.Phase.Directive()))
		return 2
	}
	s.mu.Lock()
	if len(s.waiters) == 0 && s.resources > 0 {
		s.resources--
		s.mu.Unlock()
		L.Push(lua.LTrue)
		return 1
	}
	if ms == 0 {
		s.mu.Unlock()
		return timeout(L)
	}
	w := &waiter{ch: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()

	granted := false
	m.vm.Unlocked(func() {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		select {
		case <-w.ch:
			t.Stop()
			granted = true
			return
		case <-t.C:
		}
		s.mu.Lock()
		if w.granted {
			granted = true
		} else {
			for i, x := range s.waiters {
				if x == w {
					s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
					break
				}
			}
		}
		s.mu.Unlock()
	})
	if !granted {
		return timeout(L)
	}
	L.Push(lua.LTrue)
	return 1
}

func timeout(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString("timeout"))
	return 2
}

func (m *module) post(L *lua.LState) int {
	s := self(L)
	n := 1
	if v := L.Get(2); v != lua.LNil && v != lua.LFalse {
		f, ok := toNumber(v)
		if !ok {
			L.RaiseError("attempt to compare nil with number")
		}
		n = int(f)
		if f < 1 {
			L.RaiseError("positive number required")
		}
	}
	s.post(n)
	L.Push(lua.LTrue)
	return 1
}

func (m *module) count(L *lua.LState) int {
	s := self(L)
	L.Push(lua.LNumber(s.count()))
	return 1
}
