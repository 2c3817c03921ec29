// Package restylock implements require "resty.lock" (lua-resty-lock
// 0.09) on the shared dict Go API: a non-blocking add() of the key,
// retried with exponentially growing sleeps that release the worker VM.
package restylock

import (
	"math"
	"runtime"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/shdict"
	lua "github.com/yuin/gopher-lua"
)

const version = "0.09"

func init() {
	luabindings.RegisterModule("resty.lock", newModule)
}

// Lock is one resty.lock object.
type Lock struct {
	zone    *shdict.Zone
	key     string
	locked  bool
	timeout float64
	exptime float64
	step    float64
	ratio   float64
	maxStep float64
}

// sleep is ngx.sleep's wait; tests replace it.
var sleep = time.Sleep

// release frees a lock whose object was garbage collected while held,
// like the cdata __gc handler of the original.
func release(lk *Lock) {
	if lk.locked {
		lk.zone.Store(shdict.OpSet, lk.key, shdict.Value{}, 0, 0)
		lk.locked = false
	}
}

func newModule(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.CreateTable(0, 6)
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__index", m)
	m.RawSetString("_VERSION", lua.LString(version))
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		var z *shdict.Zone
		if name, ok := L.Get(2).(lua.LString); ok {
			z = shdict.Get(string(name))
		}
		if z == nil {
			L.Push(lua.LNil)
			L.Push(lua.LString("dictionary not found"))
			return 2
		}
		lk := &Lock{zone: z, exptime: 30, timeout: 5, step: 0.001, ratio: 2, maxStep: 0.5}
		var timeout, step lua.LValue = lua.LNil, lua.LNil
		if opts, ok := L.Get(3).(*lua.LTable); ok {
			timeout = L.GetField(opts, "timeout")
			step = L.GetField(opts, "step")
			if v, ok := number(L.GetField(opts, "exptime")); ok {
				lk.exptime = v
			}
			if v, ok := number(L.GetField(opts, "ratio")); ok {
				lk.ratio = v
			}
			if v, ok := number(L.GetField(opts, "max_step")); ok {
				lk.maxStep = v
			}
		}
		if t, ok := number(timeout); ok {
			lk.timeout = math.Min(t, lk.exptime)
			if s, ok := number(step); ok {
				lk.step = math.Min(s, lk.timeout)
			}
		} else if s, ok := number(step); ok {
			lk.step = s
		}
		runtime.SetFinalizer(lk, release)
		ud := L.NewUserData()
		ud.Value = lk
		ud.Metatable = mt
		L.Push(ud)
		return 1
	}))
	m.RawSetString("lock", L.NewFunction(func(L *lua.LState) int { return lock(vm, L) }))
	m.RawSetString("unlock", L.NewFunction(unlock))
	m.RawSetString("expire", L.NewFunction(expire))
	return m
}

func number(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		n := lua.LVAsNumber(x)
		return float64(n), true
	}
	return 0, false
}

func self(L *lua.LState) *Lock {
	v := L.Get(1)
	if ud, ok := v.(*lua.LUserData); ok {
		if lk, ok := ud.Value.(*Lock); ok {
			return lk
		}
	}
	L.RaiseError("attempt to index local 'self' (a %s value)", v.Type().String())
	return nil
}

func fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// add is dict:add(key, true, exptime) with resty.core's key handling.
func (lk *Lock) add(L *lua.LState, key lua.LValue) error {
	k, ok := key.(lua.LString)
	if !ok {
		k = lua.LString(L.ToStringMeta(key).String())
	}
	switch {
	case len(k) == 0:
		return errString("empty key")
	case len(k) > shdict.MaxKeyLen:
		return errString("key too long")
	}
	_, err := lk.zone.Store(shdict.OpAdd, string(k), shdict.Value{Type: shdict.TBoolean, Num: 1},
		int64(lk.exptime*1000), 0)
	if err == nil {
		lk.key, lk.locked = string(k), true
	}
	return err
}

type errString string

func (e errString) Error() string { return string(e) }

// sleepPhases are the phases where ngx.sleep may wait.
var sleepPhases = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite,
	luabindings.PhaseAccess, luabindings.PhaseContent, luabindings.PhaseTimer,
	luabindings.PhaseSSLClientHello, luabindings.PhaseSSLCert, luabindings.PhaseSSLSessionFetch}

func lock(vm *luabindings.VM, L *lua.LState) int {
	lk := self(L)
	key := L.Get(2)
	if !lua.LVAsBool(key) {
		return fail(L, "nil key")
	}
	if lk.locked {
		return fail(L, "locked")
	}
	err := lk.add(L, key)
	if err == nil {
		L.Push(lua.LNumber(0))
		return 1
	}
	if err != shdict.ErrExists {
		return fail(L, err.Error())
	}
	step, timeout, elapsed := lk.step, lk.timeout, 0.0
	for timeout > 0 {
		vm.CheckPhase(L, sleepPhases...)
		d := time.Duration(step * float64(time.Second))
		vm.Unlocked(func() { sleep(d) })
		elapsed += step
		timeout -= step
		err = lk.add(L, key)
		if err == nil {
			L.Push(lua.LNumber(elapsed))
			return 1
		}
		if err != shdict.ErrExists {
			return fail(L, err.Error())
		}
		if timeout <= 0 {
			break
		}
		step = math.Min(math.Min(math.Max(0.001, step*lk.ratio), timeout), lk.maxStep)
	}
	return fail(L, "timeout")
}

func unlock(L *lua.LState) int {
	lk := self(L)
	if !lk.locked {
		return fail(L, "unlocked")
	}
	lk.zone.Store(shdict.OpSet, lk.key, shdict.Value{}, 0, 0)
	lk.locked = false
	L.Push(lua.LNumber(1))
	return 1
}

func expire(L *lua.LState) int {
	lk := self(L)
	if !lk.locked {
		return fail(L, "unlocked")
	}
	t := lk.exptime
	if v := L.Get(2); v != lua.LNil {
		n, ok := number(v)
		if !ok {
			L.RaiseError("attempt to perform arithmetic on local 'exptime' (a %s value)", v.Type().String())
		}
		if n < 0 {
			L.RaiseError(`bad "exptime" argument`)
		}
		t = n
	}
	if _, err := lk.zone.Store(shdict.OpReplace, lk.key, shdict.Value{Type: shdict.TBoolean, Num: 1},
		int64(t*1000), 0); err != nil {
		return fail(L, err.Error())
	}
	L.Push(lua.LTrue)
	return 1
}
