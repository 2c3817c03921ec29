package resty

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// resty.jwt-validators: validators are Go closures exposed as Lua
// functions, so claim specs may mix them with user-written
// function(val, claim, jwt_json) validators. When resty.jwt runs a
// built-in validator it calls the Go closure directly, without the Lua
// stack and without encoding jwt_json.

const jwtValidatorsVersion = "0.2.3"

const (
	msgNilValidator       = "Cannot create validator for nil %s."
	msgWrongTypeValidator = "Cannot create validator for non-%s %s."
	msgEmptyTableValidtor = "Cannot create validator for empty table %s."
	msgWrongTableType     = "Cannot create validator for non-%s table %s."
	msgRequiredClaim      = "'%s' claim is required."
	msgWrongTypeClaim     = "'%s' is malformed.  Expected to be a %s."
	msgMissingClaim       = "Missing one of claims - [ %s ]."
)

// jwtState is the per-VM state shared by resty.jwt and
// resty.jwt-validators (the system leeway and clock).
type jwtState struct {
	vm     *luabindings.VM
	leeway float64
	clock  *lua.LFunction // nil: wall clock, like ngx.now
}

const jwtStateKey = "goresty.resty.jwt.state"

func getJWTState(vm *luabindings.VM, L *lua.LState) *jwtState {
	reg := L.G.Registry
	if ud, ok := reg.RawGetString(jwtStateKey).(*lua.LUserData); ok {
		return ud.Value.(*jwtState)
	}
	st := &jwtState{vm: vm}
	ud := L.NewUserData()
	ud.Value = st
	reg.RawSetString(jwtStateKey, ud)
	return st
}

// valError is a value raised by a validator (error(...) in Lua).
type valError struct{ obj lua.LValue }

func (e *valError) Error() string { return luaToString(e.obj) }

func verrf(format string, args ...any) error {
	return &valError{lua.LString(fmt.Sprintf(format, args...))}
}

func toValError(err error) error {
	if ae, ok := err.(*lua.ApiError); ok {
		return &valError{ae.Object}
	}
	if _, ok := err.(*valError); ok {
		return err
	}
	return &valError{lua.LString(err.Error())}
}

// vcall is one validator invocation: the claim name and a lazily built
// jwt_json for user validators.
type vcall struct {
	L     *lua.LState
	st    *jwtState
	claim lua.LValue
	json  func() lua.LValue
}

type validatorFn func(c *vcall, val lua.LValue) (lua.LValue, error)

// builtinValidator recovers the Go validator behind a Lua function made
// by newValidator.
func builtinValidator(f *lua.LFunction) validatorFn {
	if f.IsG && len(f.Upvalues) == 1 {
		if ud, ok := f.Upvalues[0].Value().(*lua.LUserData); ok {
			if vf, ok := ud.Value.(validatorFn); ok {
				return vf
			}
		}
	}
	return nil
}

func newValidator(L *lua.LState, st *jwtState, fn validatorFn) *lua.LFunction {
	ud := L.NewUserData()
	ud.Value = fn
	return L.NewClosure(func(L *lua.LState) int {
		jv := L.Get(3)
		c := &vcall{L: L, st: st, claim: L.Get(2), json: func() lua.LValue { return jv }}
		r, err := fn(c, L.Get(1))
		if err != nil {
			raiseValue(L, err)
		}
		L.Push(r)
		return 1
	}, ud)
}

func raiseValue(L *lua.LState, err error) {
	if ve, ok := err.(*valError); ok {
		L.Error(ve.obj, 0)
	}
	L.Error(lua.LString(err.Error()), 0)
}

// call runs any validator function: built-ins directly, Lua ones
// protected, with errors returned as *valError.
func (c *vcall) call(f *lua.LFunction, val lua.LValue) (lua.LValue, error) {
	if vf := builtinValidator(f); vf != nil {
		return vf(c, val)
	}
	return c.pcall(f, val, c.claim, c.json())
}

func (c *vcall) pcall(f *lua.LFunction, args ...lua.LValue) (lua.LValue, error) {
	L := c.L
	L.Push(f)
	for _, a := range args {
		L.Push(a)
	}
	if err := L.PCall(len(args), 1, nil); err != nil {
		return nil, toValError(err)
	}
	r := L.Get(-1)
	L.Pop(1)
	return r, nil
}

func (c *vcall) now() (float64, error) {
	if c.st.clock == nil {
		return float64(time.Now().UnixMilli()) / 1000, nil
	}
	r, err := c.pcall(c.st.clock)
	if err != nil {
		return 0, err
	}
	n, ok := r.(lua.LNumber)
	if !ok {
		return 0, verrf("attempt to perform arithmetic on a %s value", r.Type().String())
	}
	return float64(n), nil
}

// luaToString is tostring() for messages (%.14g numbers).
func luaToString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return fmtNumber(float64(x))
	}
	return v.String()
}

func typeName(v lua.LValue) string { return v.Type().String() }

// checkFn compares a claim value with the validator's check value.
type checkFn func(c *vcall, val, check lua.LValue) (lua.LValue, error)

func equalityCheck(c *vcall, val, check lua.LValue) (lua.LValue, error) {
	return lua.LBool(c.L.Equal(val, check)), nil
}

func matchCheck(_ *vcall, val, pattern lua.LValue) (lua.LValue, error) {
	start, _, err := lua.PatternFind(string(val.(lua.LString)), string(pattern.(lua.LString)), 0)
	if err != nil {
		return nil, verrf("%s", err.Error())
	}
	return lua.LBool(start >= 0), nil
}

func containsCheck(c *vcall, vals, check lua.LValue) (lua.LValue, error) {
	found := false
	vals.(*lua.LTable).ForEach(func(_, v lua.LValue) {
		if !found && c.L.Equal(v, check) {
			found = true
		}
	})
	return lua.LBool(found), nil
}

func numberCheck(cmp func(a, b float64) bool) checkFn {
	return func(_ *vcall, val, check lua.LValue) (lua.LValue, error) {
		return lua.LBool(cmp(float64(val.(lua.LNumber)), float64(check.(lua.LNumber)))), nil
	}
}

func luaCheckFn(f *lua.LFunction) checkFn {
	return func(c *vcall, val, check lua.LValue) (lua.LValue, error) {
		return c.pcall(f, val, check)
	}
}

// creation-time argument errors, raised like error(msg, 0)
func createErr(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(fmt.Sprintf(format, args...)), 0)
}

func requiredValidator() validatorFn {
	return func(c *vcall, val lua.LValue) (lua.LValue, error) {
		if val == lua.LNil {
			return nil, verrf(msgRequiredClaim, luaToString(c.claim))
		}
		return lua.LTrue, nil
	}
}

func chainValidator(fns ...validatorFn) validatorFn {
	return func(c *vcall, val lua.LValue) (lua.LValue, error) {
		for _, f := range fns {
			r, err := f(c, val)
			if err != nil {
				return nil, err
			}
			if r == lua.LFalse {
				return lua.LFalse, nil
			}
		}
		return lua.LTrue, nil
	}
}

func optCheckValidator(checkVal lua.LValue, fn checkFn, checkType string) validatorFn {
	return func(c *vcall, val lua.LValue) (lua.LValue, error) {
		if val == lua.LNil {
			return lua.LTrue, nil
		}
		if typeName(val) != checkType {
			return nil, verrf(msgWrongTypeClaim, luaToString(c.claim), checkType)
		}
		return fn(c, val, checkVal)
	}
}

// date validators: is_not_before / is_not_expired / is_at
func dateValidator(cmp func(val, now, leeway float64) bool, what string) validatorFn {
	return func(c *vcall, val lua.LValue) (lua.LValue, error) {
		if val == lua.LNil {
			return lua.LTrue, nil
		}
		n, ok := val.(lua.LNumber)
		if !ok || float64(n) < 0 {
			return nil, verrf(msgWrongTypeClaim, luaToString(c.claim), "positive numeric value")
		}
		now, err := c.now()
		if err != nil {
			return nil, err
		}
		if !cmp(float64(n), now, c.st.leeway) {
			return nil, verrf("'%s' claim %s %s", luaToString(c.claim), what, httpTime(float64(n)))
		}
		return lua.LTrue, nil
	}
}

var (
	isNotBefore  = dateValidator(func(v, now, l float64) bool { return v <= now+l }, "not valid until")
	isNotExpired = dateValidator(func(v, now, l float64) bool { return v > now-l }, "expired at")
	isAt         = dateValidator(func(v, now, l float64) bool { return v >= now-l && v <= now+l }, "is only valid at")
)

// httpTime is ngx.http_time.
func httpTime(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		sec = 0
	}
	return time.Unix(int64(sec), 0).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

func init() {
	luabindings.RegisterModule("resty.jwt-validators", loadJWTValidators)
}

func loadJWTValidators(vm *luabindings.VM, L *lua.LState) lua.LValue {
	st := getJWTState(vm, L)
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString(jwtValidatorsVersion))
	set := func(name string, f lua.LGFunction) { m.RawSetString(name, L.NewFunction(f)) }
	push := func(L *lua.LState, fn validatorFn) int {
		L.Push(newValidator(L, st, fn))
		return 1
	}
	// define registers opt_<name> and the required <name>.
	define := func(name string, build func(L *lua.LState) validatorFn) {
		set("opt_"+name, func(L *lua.LState) int { return push(L, build(L)) })
		set(name, func(L *lua.LState) int { return push(L, chainValidator(requiredValidator(), build(L))) })
	}
	checkArg := func(L *lua.LState, fnIdx int) *lua.LFunction {
		f := L.Get(fnIdx)
		if f == lua.LNil {
			createErr(L, msgNilValidator, "check_function")
		}
		lf, ok := f.(*lua.LFunction)
		if !ok {
			createErr(L, msgWrongTypeValidator, "function", "check_function")
		}
		return lf
	}
	fnValidator := func(f *lua.LFunction) validatorFn {
		if vf := builtinValidator(f); vf != nil {
			return vf
		}
		return func(c *vcall, val lua.LValue) (lua.LValue, error) { return c.call(f, val) }
	}

	set("chain", func(L *lua.LState) int {
		var fns []validatorFn
		for i := 1; i <= L.GetTop() && L.Get(i) != lua.LNil; i++ {
			f, ok := L.Get(i).(*lua.LFunction)
			if !ok {
				createErr(L, msgWrongTypeValidator, "function", "chain_function")
			}
			fns = append(fns, fnValidator(f))
		}
		return push(L, chainValidator(fns...))
	})
	set("required", func(L *lua.LState) int {
		if v := L.Get(1); v != lua.LNil {
			f, ok := v.(*lua.LFunction)
			if !ok {
				createErr(L, msgWrongTypeValidator, "function", "chain_function")
			}
			return push(L, chainValidator(requiredValidator(), fnValidator(f)))
		}
		return push(L, requiredValidator())
	})
	set("require_one_of", func(L *lua.LState) int {
		keys := L.Get(1)
		if keys == lua.LNil {
			createErr(L, msgNilValidator, "claim_keys")
		}
		kt, ok := keys.(*lua.LTable)
		if !ok {
			createErr(L, msgWrongTypeValidator, "table", "claim_keys")
		}
		if k, _ := kt.Next(lua.LNil); k == lua.LNil {
			createErr(L, msgEmptyTableValidtor, "claim_keys")
		}
		var names []string
		for i := 1; ; i++ {
			v := kt.RawGetInt(i)
			if v == lua.LNil {
				break
			}
			s, ok := v.(lua.LString)
			if !ok {
				createErr(L, msgWrongTableType, "string", "claim_keys")
			}
			names = append(names, string(s))
		}
		return push(L, func(c *vcall, val lua.LValue) (lua.LValue, error) {
			t, ok := val.(*lua.LTable)
			if !ok {
				return nil, verrf(msgWrongTypeClaim, luaToString(c.claim), "table")
			}
			p, ok := t.RawGetString("payload").(*lua.LTable)
			if !ok {
				return nil, verrf(msgWrongTypeClaim, luaToString(c.claim)+".payload", "table")
			}
			for _, n := range names {
				if p.RawGetString(n) != lua.LNil {
					return lua.LTrue, nil
				}
			}
			return nil, verrf(msgMissingClaim, strings.Join(names, ", "))
		})
	})

	// check(check_val, check_function, name, check_type)
	buildCheck := func(L *lua.LState) validatorFn {
		name := "check_val"
		if v, ok := L.Get(3).(lua.LString); ok {
			name = string(v)
		}
		checkVal := L.Get(1)
		if checkVal == lua.LNil {
			createErr(L, msgNilValidator, name)
		}
		f := checkArg(L, 2)
		checkType := typeName(checkVal)
		if v, ok := L.Get(4).(lua.LString); ok {
			checkType = string(v)
		}
		return optCheckValidator(checkVal, luaCheckFn(f), checkType)
	}
	define("check", buildCheck)
	define("equals", func(L *lua.LState) validatorFn {
		v := L.Get(1)
		if v == lua.LNil {
			createErr(L, msgNilValidator, "check_val")
		}
		return optCheckValidator(v, equalityCheck, typeName(v))
	})
	define("matches", func(L *lua.LState) validatorFn {
		p, ok := L.Get(1).(lua.LString)
		if !ok {
			createErr(L, msgWrongTypeValidator, "string", "pattern")
		}
		return optCheckValidator(p, matchCheck, "string")
	})

	// any_of(check_values, check_function, name, check_type, table_type)
	anyOf := func(L *lua.LState, values lua.LValue, fn checkFn, name, checkType, tableType string) validatorFn {
		if values == lua.LNil {
			createErr(L, msgNilValidator, name)
		}
		vt, ok := values.(*lua.LTable)
		if !ok {
			createErr(L, msgWrongTypeValidator, "table", name)
		}
		if k, _ := vt.Next(lua.LNil); k == lua.LNil {
			createErr(L, msgEmptyTableValidtor, name)
		}
		if tableType == "" {
			tableType = typeName(vt.RawGetInt(1))
		}
		for i := 1; ; i++ {
			v := vt.RawGetInt(i)
			if v == lua.LNil {
				break
			}
			if typeName(v) != tableType {
				createErr(L, msgWrongTableType, tableType, name)
			}
		}
		if checkType == "" {
			checkType = tableType
		}
		return optCheckValidator(vt, func(c *vcall, val, _ lua.LValue) (lua.LValue, error) {
			for i := 1; ; i++ {
				v := vt.RawGetInt(i)
				if v == lua.LNil {
					return lua.LFalse, nil
				}
				r, err := fn(c, val, v)
				if err != nil {
					return nil, err
				}
				if lua.LVAsBool(r) {
					return lua.LTrue, nil
				}
			}
		}, checkType)
	}
	optStr := func(L *lua.LState, i int, def string) string {
		if v, ok := L.Get(i).(lua.LString); ok {
			return string(v)
		}
		return def
	}
	define("any_of", func(L *lua.LState) validatorFn {
		name := optStr(L, 3, "check_values")
		values := L.Get(1)
		anyOfPrecheck(L, values, name)
		return anyOf(L, values, luaCheckFn(checkArg(L, 2)), name, optStr(L, 4, ""), optStr(L, 5, ""))
	})
	define("equals_any_of", func(L *lua.LState) validatorFn {
		return anyOf(L, L.Get(1), equalityCheck, "check_values", "", "")
	})
	define("matches_any_of", func(L *lua.LState) validatorFn {
		return anyOf(L, L.Get(1), matchCheck, "patterns", "string", "string")
	})
	define("contains_any_of", func(L *lua.LState) validatorFn {
		return anyOf(L, L.Get(1), containsCheck, optStr(L, 2, "check_values"), "table", "string")
	})
	numeric := func(name string, cmp func(a, b float64) bool) {
		define(name, func(L *lua.LState) validatorFn {
			v, ok := L.Get(1).(lua.LNumber)
			if !ok {
				createErr(L, msgWrongTypeValidator, "number", "check_val")
			}
			return optCheckValidator(v, numberCheck(cmp), "number")
		})
	}
	numeric("greater_than", func(a, b float64) bool { return a > b })
	numeric("greater_than_or_equal", func(a, b float64) bool { return a >= b })
	numeric("less_than", func(a, b float64) bool { return a < b })
	numeric("less_than_or_equal", func(a, b float64) bool { return a <= b })

	set("set_system_leeway", func(L *lua.LState) int {
		n, ok := L.Get(1).(lua.LNumber)
		if !ok || float64(n) < 0 {
			createErr(L, "leeway must be a non-negative number")
		}
		st.leeway = float64(n)
		return 0
	})
	set("set_system_clock", func(L *lua.LState) int {
		f, ok := L.Get(1).(*lua.LFunction)
		if !ok {
			createErr(L, "clock must be a function")
		}
		L.Push(f)
		L.Call(0, 1)
		t, ok := L.Get(-1).(lua.LNumber)
		L.Pop(1)
		if !ok || float64(t) < 0 {
			createErr(L, "clock function must return a non-negative number")
		}
		st.clock = f
		return 0
	})
	define("is_not_before", func(*lua.LState) validatorFn { return isNotBefore })
	define("is_not_expired", func(*lua.LState) validatorFn { return isNotExpired })
	define("is_at", func(*lua.LState) validatorFn { return isAt })
	return m
}

// anyOfPrecheck validates check_values before check_function, in
// upstream's order, so that any_of reports the table problem first.
func anyOfPrecheck(L *lua.LState, values lua.LValue, name string) {
	if values == lua.LNil {
		createErr(L, msgNilValidator, name)
	}
	vt, ok := values.(*lua.LTable)
	if !ok {
		createErr(L, msgWrongTypeValidator, "table", name)
	}
	if k, _ := vt.Next(lua.LNil); k == lua.LNil {
		createErr(L, msgEmptyTableValidtor, name)
	}
}
