package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	amqp "github.com/rabbitmq/amqp091-go"
	lua "github.com/yuin/gopher-lua"
)

// LuaOptions configure Lua handlers.
type LuaOptions struct {
	// File is a Lua chunk returning the handler function
	// function(routing_key, body, headers, info), or a table with a
	// handle field holding it.
	File string
	// PackagePath is prepended to package.path (";"-separated templates);
	// the handler file's directory is always searched first.
	PackagePath string
	Prefix      string
	// Log receives ngx.log output (ngx level numbering).
	Log func(level int, msg string)
}

// LuaFactory builds one VM per concurrency slot, each running the handler
// file once. The VMs are the same runtime as the HTTP hooks: every
// registered binding (cjson, ngx.*, resty.*) is installed.
func LuaFactory(lo LuaOptions) Factory {
	return func(slot, slots int) (Handler, error) { return NewLuaHandler(lo, slot, slots) }
}

// LuaHandler runs a Lua handler function on its own VM.
type LuaHandler struct {
	vm *luabindings.VM
	fn *lua.LFunction
}

// NewLuaHandler loads lo.File into a fresh VM.
func NewLuaHandler(lo LuaOptions, slot, slots int) (*LuaHandler, error) {
	code, err := os.ReadFile(lo.File)
	if err != nil {
		return nil, err
	}
	prefix := lo.Prefix
	if prefix == "" {
		prefix = filepath.Dir(lo.File)
	}
	vm := luabindings.NewVM(slot, slots, prefix, lo.Log)
	path := filepath.Join(filepath.Dir(lo.File), "?.lua")
	if lo.PackagePath != "" {
		path += ";" + strings.TrimSuffix(lo.PackagePath, ";")
	}
	pkg := vm.L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(path+";"+lua.LVAsString(pkg.RawGetString("path"))))

	vm.Lock(nil)
	fn, err := vm.L.Load(strings.NewReader(string(code)), lo.File) // shown as LuaJIT shows "@path": no "@"
	vm.Unlock()
	if err != nil {
		vm.Close()
		return nil, err
	}
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseTimer}
	rets, err := vm.Exec(c, fn)
	if err != nil {
		vm.Close()
		return nil, err
	}
	h := &LuaHandler{vm: vm}
	if len(rets) > 0 {
		switch v := rets[0].(type) {
		case *lua.LFunction:
			h.fn = v
		case *lua.LTable:
			h.fn, _ = v.RawGetString("handle").(*lua.LFunction)
		}
	}
	if h.fn == nil {
		vm.Close()
		return nil, fmt.Errorf("%s must return a handler function (or a table with a handle function)", lo.File)
	}
	return h, nil
}

// Close releases the VM.
func (h *LuaHandler) Close() { h.vm.Close() }

// Handle calls handler(routing_key, body, headers, info). Raising an error,
// returning false, or returning nil plus an error value fails the message.
func (h *LuaHandler) Handle(_ context.Context, m *Message) error {
	c := &luabindings.Ctx{VM: h.vm, Phase: luabindings.PhaseTimer}
	h.vm.Lock(c)
	defer h.vm.Unlock()
	L := h.vm.L
	info := L.CreateTable(0, 10)
	info.RawSetString("routing_key", lua.LString(m.RoutingKey))
	info.RawSetString("exchange", lua.LString(m.Exchange))
	info.RawSetString("queue", lua.LString(m.Queue))
	info.RawSetString("delivery_tag", lua.LNumber(m.DeliveryTag))
	info.RawSetString("redelivered", lua.LBool(m.Redelivered))
	info.RawSetString("attempt", lua.LNumber(m.Attempt))
	if m.MessageID != "" {
		info.RawSetString("message_id", lua.LString(m.MessageID))
	}
	if m.ContentType != "" {
		info.RawSetString("content_type", lua.LString(m.ContentType))
	}
	if !m.Timestamp.IsZero() {
		info.RawSetString("timestamp", lua.LNumber(m.Timestamp.Unix()))
	}
	rets, err := h.vm.Call(c, h.fn, lua.LString(m.RoutingKey), lua.LString(m.Body), luaTable(L, m.Headers), info)
	if err != nil {
		var le *lua.ApiError
		if errors.As(err, &le) {
			return errors.New(lua.LVAsString(le.Object))
		}
		return err
	}
	if len(rets) > 0 && rets[0] == lua.LFalse {
		if len(rets) > 1 && rets[1] != lua.LNil {
			return errors.New(lua.LVAsString(rets[1]))
		}
		return errors.New("handler returned false")
	}
	if len(rets) > 1 && rets[0] == lua.LNil && rets[1] != lua.LNil {
		return errors.New(lua.LVAsString(rets[1]))
	}
	return nil
}

// luaTable converts AMQP header values: strings, numbers and booleans as
// such, arrays as sequences, nested tables as tables, timestamps as epoch
// seconds, byte arrays as strings.
func luaTable(L *lua.LState, t amqp.Table) *lua.LTable {
	lt := L.CreateTable(0, len(t))
	for k, v := range t {
		lt.RawSetString(k, luaValue(L, v))
	}
	return lt
}

func luaValue(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case string:
		return lua.LString(x)
	case []byte:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case int8:
		return lua.LNumber(x)
	case uint8:
		return lua.LNumber(x)
	case int16:
		return lua.LNumber(x)
	case uint16:
		return lua.LNumber(x)
	case int32:
		return lua.LNumber(x)
	case uint32:
		return lua.LNumber(x)
	case int:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case float32:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case time.Time:
		return lua.LNumber(x.Unix())
	case amqp.Decimal:
		return lua.LString(fmt.Sprintf("%de-%d", x.Value, x.Scale))
	case []any:
		a := L.CreateTable(len(x), 0)
		for _, e := range x {
			a.Append(luaValue(L, e))
		}
		return a
	case amqp.Table:
		return luaTable(L, x)
	}
	return lua.LNil
}
