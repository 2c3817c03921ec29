package shdict

import (
	"strconv"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("shared", install)
}

// install builds ngx.shared from the configured zones: each dict is a
// table {[1] = zone userdata} sharing one metatable whose __index holds
// the methods, as lua-nginx-module does.
func install(vm *luabindings.VM, ngx *lua.LTable) {
	L := vm.L
	list := zoneList()
	shared := L.CreateTable(0, len(list))
	mt := L.CreateTable(0, len(methods)+1)
	for name, fn := range methods {
		mt.RawSetString(name, L.NewFunction(fn))
	}
	mt.RawSetString("__index", mt)
	for _, z := range list {
		t := L.CreateTable(1, 0)
		ud := L.NewUserData()
		ud.Value = z
		t.RawSetInt(1, ud)
		t.Metatable = mt
		shared.RawSetString(z.Name, t)
	}
	ngx.RawSetString("shared", shared)
}

var methods = map[string]lua.LGFunction{
	"get":           get,
	"get_stale":     getStale,
	"set":           storeFn(OpSet),
	"safe_set":      storeFn(OpSet | OpSafe),
	"add":           storeFn(OpAdd),
	"safe_add":      storeFn(OpAdd | OpSafe),
	"replace":       storeFn(OpReplace),
	"delete":        deleteFn,
	"incr":          incr,
	"flush_all":     flushAll,
	"ttl":           ttl,
	"expire":        expire,
	"capacity":      capacity,
	"free_space":    freeSpace,
	"lpush":         pushFn(true, "lpush"),
	"rpush":         pushFn(false, "rpush"),
	"lpop":          popFn(true, "lpop"),
	"rpop":          popFn(false, "rpop"),
	"llen":          llen,
	"flush_expired": flushExpired,
	"get_keys":      getKeys,
}

// --- error helpers ---

func callerIsLua(L *lua.LState) bool {
	dbg, ok := L.GetStack(1)
	if !ok {
		return false
	}
	fn, err := L.GetInfo("f", dbg, lua.LNil)
	if err != nil {
		return false
	}
	f, ok := fn.(*lua.LFunction)
	return ok && !f.IsG
}

// raiseCaller is error(msg, 2) from resty.core's Lua functions: the
// message carries the position of the calling Lua code.
func raiseCaller(L *lua.LState, msg string) {
	if callerIsLua(L) {
		L.RaiseError("%s", msg)
	}
	L.Error(lua.LString(msg), 0)
}

// raiseC is luaL_error from a C function: no position.
func raiseC(L *lua.LState, msg string) {
	L.Error(lua.LString(msg), 0)
}

// argError is luaL_argerror for the C methods, called as d:method(...)
// (the self argument is not counted then).
func argError(L *lua.LState, n int, fname, msg string) {
	if callerIsLua(L) {
		n--
		if n == 0 {
			raiseC(L, "calling '"+fname+"' on bad self ("+msg+")")
		}
	} else {
		fname = "?"
	}
	raiseC(L, "bad argument #"+strconv.Itoa(n)+" to '"+fname+"' ("+msg+")")
}

func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// --- argument helpers ---

func checkZone(L *lua.LState) *Zone {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
			if z, ok := ud.Value.(*Zone); ok && z != nil {
				return z
			}
		}
	}
	raiseCaller(L, `bad "zone" argument`)
	return nil
}

// keyArg validates a key like resty.core: nil key, tostring() of
// non-strings, empty key, key too long. It returns "" and pushes
// nil, err when the key is bad.
func keyArg(L *lua.LState, n int) (string, bool) {
	var key string
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
		return failKey(L, "nil key")
	case lua.LString:
		key = string(v)
	default:
		key = L.ToStringMeta(v).String()
	}
	return checkKeyLen(L, key)
}

func checkKeyLen(L *lua.LState, key string) (string, bool) {
	if len(key) == 0 {
		return failKey(L, "empty key")
	}
	if len(key) > MaxKeyLen {
		return failKey(L, "key too long")
	}
	return key, true
}

func failKey(L *lua.LState, msg string) (string, bool) {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return "", false
}

// cKeyArg is the key check of the C list methods (luaL_checklstring).
func cKeyArg(L *lua.LState, fname string) (string, bool) {
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
		return failKey(L, "nil key")
	case lua.LString:
		return checkKeyLen(L, string(v))
	case lua.LNumber:
		return checkKeyLen(L, v.String())
	}
	argError(L, 2, fname, "string expected, got "+typeName(L, 2))
	return "", false
}

func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		f, err := strconv.ParseFloat(string(x), 64)
		if err == nil {
			return f, true
		}
		if len(x) > 2 && x[0] == '0' && (x[1] == 'x' || x[1] == 'X') {
			if u, err := strconv.ParseUint(string(x[2:]), 16, 64); err == nil {
				return float64(u), true
			}
		}
	}
	return 0, false
}

func pushValue(L *lua.LState, v Value) {
	switch v.Type {
	case TString:
		L.Push(lua.LString(v.Str))
	case TNumber:
		L.Push(lua.LNumber(v.Num))
	case TBoolean:
		L.Push(lua.LBool(v.Num != 0))
	default:
		L.Push(lua.LNil)
	}
}

func pushErr(L *lua.LState, first lua.LValue, err error) int {
	L.Push(first)
	L.Push(lua.LString(err.Error()))
	return 2
}

// --- methods ---

func get(L *lua.LState) int { return getImpl(L, false) }

func getStale(L *lua.LState) int { return getImpl(L, true) }

func getImpl(L *lua.LState, stale bool) int {
	z := checkZone(L)
	key, ok := keyArg(L, 2)
	if !ok {
		return 2
	}
	v, flags, isStale, err := z.Get(key, stale)
	if err != nil {
		return pushErr(L, lua.LNil, err)
	}
	if v.Type == TNil {
		L.Push(lua.LNil)
		return 1
	}
	pushValue(L, v)
	if flags != 0 {
		L.Push(lua.LNumber(int32(flags)))
	} else if !stale {
		return 1
	} else {
		L.Push(lua.LNil)
	}
	if stale {
		L.Push(lua.LBool(isStale))
		return 3
	}
	return 2
}

func storeFn(op Op) lua.LGFunction {
	return func(L *lua.LState) int {
		z := checkZone(L)
		var exptime int64
		switch e := L.Get(4).(type) {
		case *lua.LNilType:
		case lua.LBool:
			if e {
				raiseCaller(L, "attempt to compare boolean with number")
			}
		case lua.LNumber:
			if e < 0 {
				raiseCaller(L, `bad "exptime" argument`)
			}
			exptime = int64(float64(e) * 1000)
		default:
			raiseCaller(L, "attempt to compare "+e.Type().String()+" with number")
		}
		var flags uint32
		switch f := L.Get(5).(type) {
		case *lua.LNilType:
		case lua.LBool:
			if f {
				raiseC(L, "cannot convert 'boolean' to 'int'")
			}
		case lua.LNumber:
			flags = uint32(int32(int64(f)))
		default:
			if n, ok := toNumber(f); ok {
				flags = uint32(int32(int64(n)))
			} else {
				raiseC(L, "cannot convert '"+f.Type().String()+"' to 'int'")
			}
		}
		key, ok := keyArg(L, 2)
		if !ok {
			return 2
		}
		return store(L, z, op, key, L.Get(3), exptime, flags)
	}
}

func store(L *lua.LState, z *Zone, op Op, key string, lv lua.LValue, exptime int64, flags uint32) int {
	var v Value
	switch x := lv.(type) {
	case lua.LString:
		v = Value{Type: TString, Str: string(x)}
	case lua.LNumber:
		v = Value{Type: TNumber, Num: float64(x)}
	case *lua.LNilType:
	case lua.LBool:
		v = Value{Type: TBoolean}
		if x {
			v.Num = 1
		}
	default:
		L.Push(lua.LNil)
		L.Push(lua.LString("bad value type"))
		return 2
	}
	forcible, err := z.Store(op, key, v, exptime, flags)
	if err != nil {
		L.Push(lua.LFalse)
		L.Push(lua.LString(err.Error()))
	} else {
		L.Push(lua.LTrue)
		L.Push(lua.LNil)
	}
	L.Push(lua.LBool(forcible))
	return 3
}

func deleteFn(L *lua.LState) int {
	z := checkZone(L)
	key, ok := keyArg(L, 2)
	if !ok {
		return 2
	}
	return store(L, z, OpSet, key, lua.LNil, 0, 0)
}

func incr(L *lua.LState) int {
	z := checkZone(L)
	key, ok := keyArg(L, 2)
	if !ok {
		return 2
	}
	delta, ok := toNumber(L.Get(3))
	if !ok {
		raiseC(L, "cannot convert 'nil' to 'double'")
	}
	var init float64
	hasInit := lua.LVAsBool(L.Get(4))
	if hasInit {
		if init, ok = toNumber(L.Get(4)); !ok {
			raiseCaller(L, "bad init arg: number expected, got "+L.Get(4).Type().String())
		}
	}
	var initTTL int64
	if ttlv := L.Get(5); ttlv != lua.LNil {
		t, ok := toNumber(ttlv)
		if !ok {
			raiseCaller(L, "bad init_ttl arg: number expected, got "+ttlv.Type().String())
		}
		if t < 0 {
			raiseCaller(L, `bad "init_ttl" argument`)
		}
		if !hasInit {
			raiseCaller(L, `must provide "init" when providing "init_ttl"`)
		}
		initTTL = int64(t * 1000)
	}
	v, forcible, err := z.Incr(key, delta, hasInit, init, initTTL)
	if err != nil {
		return pushErr(L, lua.LNil, err)
	}
	L.Push(lua.LNumber(v))
	if !hasInit {
		return 1
	}
	L.Push(lua.LNil)
	L.Push(lua.LBool(forcible))
	return 3
}

func flushAll(L *lua.LState) int {
	checkZone(L).FlushAll()
	return 0
}

func ttl(L *lua.LState) int {
	z := checkZone(L)
	key, ok := keyArg(L, 2)
	if !ok {
		return 2
	}
	ms, found := z.TTL(key)
	if !found {
		return pushErr(L, lua.LNil, ErrNotFound)
	}
	L.Push(lua.LNumber(float64(ms) / 1000))
	return 1
}

func expire(L *lua.LState) int {
	z := checkZone(L)
	ev := L.Get(3)
	if !lua.LVAsBool(ev) {
		raiseCaller(L, `bad "exptime" argument`)
	}
	key, ok := keyArg(L, 2)
	if !ok {
		return 2
	}
	e, ok := toNumber(ev)
	if !ok {
		raiseCaller(L, "attempt to perform arithmetic on local 'exptime' (a "+ev.Type().String()+" value)")
	}
	if !z.SetExpire(key, int64(e*1000)) {
		return pushErr(L, lua.LNil, ErrNotFound)
	}
	L.Push(lua.LTrue)
	return 1
}

func capacity(L *lua.LState) int {
	L.Push(lua.LNumber(checkZone(L).Capacity()))
	return 1
}

func freeSpace(L *lua.LState) int {
	L.Push(lua.LNumber(checkZone(L).FreeSpace()))
	return 1
}

// cZone is the zone check of the C methods (no position in errors).
func cZone(L *lua.LState, nargs int, what string) *Zone {
	if n := L.GetTop(); n != nargs {
		raiseC(L, "expecting "+what+", but only seen "+strconv.Itoa(n))
	}
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
			if z, ok := ud.Value.(*Zone); ok && z != nil {
				return z
			}
		}
	}
	raiseC(L, `bad "zone" argument`)
	return nil
}

func pushFn(left bool, fname string) lua.LGFunction {
	return func(L *lua.LState) int {
		z := cZone(L, 3, "3 arguments")
		key, ok := cKeyArg(L, fname)
		if !ok {
			return 2
		}
		var v Value
		switch x := L.Get(3).(type) {
		case lua.LString:
			v = Value{Type: TString, Str: string(x)}
		case lua.LNumber:
			v = Value{Type: TNumber, Num: float64(x)}
		default:
			return pushErr(L, lua.LNil, errBadValue)
		}
		n, entryFailed, err := z.Push(key, left, v)
		if err != nil {
			if entryFailed {
				return pushErr(L, lua.LFalse, err)
			}
			return pushErr(L, lua.LNil, err)
		}
		L.Push(lua.LNumber(n))
		return 1
	}
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errBadValue = constErr("bad value type")

func popFn(left bool, fname string) lua.LGFunction {
	return func(L *lua.LState) int {
		z := cZone(L, 2, "2 arguments")
		key, ok := cKeyArg(L, fname)
		if !ok {
			return 2
		}
		v, err := z.Pop(key, left)
		if err != nil {
			return pushErr(L, lua.LNil, err)
		}
		pushValue(L, v)
		return 1
	}
}

func llen(L *lua.LState) int {
	z := cZone(L, 2, "2 arguments")
	key, ok := cKeyArg(L, "llen")
	if !ok {
		return 2
	}
	n, err := z.Llen(key)
	if err != nil {
		return pushErr(L, lua.LNil, err)
	}
	L.Push(lua.LNumber(n))
	return 1
}

// maxArgZone checks the (zone [, max]) arguments of flush_expired and
// get_keys.
func maxArgZone(L *lua.LState, fname string, def int) (*Zone, int) {
	n := L.GetTop()
	if n != 1 && n != 2 {
		raiseC(L, "expecting 1 or 2 argument(s), but saw "+strconv.Itoa(n))
	}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		argError(L, 1, fname, "table expected, got "+typeName(L, 1))
	}
	var z *Zone
	if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
		z, _ = ud.Value.(*Zone)
	}
	if z == nil {
		raiseC(L, "bad user data for the ngx_shm_zone_t pointer")
	}
	max := def
	if n == 2 {
		f, ok := toNumber(L.Get(2))
		if !ok {
			argError(L, 2, fname, "number expected, got "+typeName(L, 2))
		}
		max = int(f)
	}
	return z, max
}

func flushExpired(L *lua.LState) int {
	z, max := maxArgZone(L, "flush_expired", 0)
	L.Push(lua.LNumber(z.FlushExpired(max)))
	return 1
}

func getKeys(L *lua.LState) int {
	z, max := maxArgZone(L, "get_keys", 1024)
	if max < 0 {
		max = 0
	}
	keys := z.Keys(max)
	t := L.CreateTable(len(keys), 0)
	for i, k := range keys {
		t.RawSetInt(i+1, lua.LString(k))
	}
	L.Push(t)
	return 1
}
