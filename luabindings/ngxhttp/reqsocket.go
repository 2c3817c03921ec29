package ngxhttp

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/goresty/goresty/luabindings"
	// lua-resty-websocket's protocol module builds frames in ffi char
	// buffers; the ffi subset it needs comes with the request sockets.
	_ "github.com/goresty/goresty/luabindings/ffi"
	"github.com/goresty/goresty/luabindings/socket"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

// ngx.req.socket (body reader and raw full-duplex socket) and
// ngx.send_headers, as lua-nginx-module's ngx_http_lua_req_socket.

var reqSocketPhases = []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseServerRewrite,
	luabindings.PhaseAccess, luabindings.PhaseContent}

// rawSocketKey marks a request whose raw socket was taken.
type rawSocketKey struct{}

const errRawAcquired = "raw request socket acquired"

func init() {
	// "ngx.reqsocket" sorts after "ngx.output": the output functions
	// exist when it wraps them.
	luabindings.Register("ngx.reqsocket", func(vm *luabindings.VM, ngx *lua.LTable) {
		L := vm.L
		req := subTable(L, ngx, "req")
		req.RawSetString("socket", L.NewFunction(func(L *lua.LState) int { return reqSocket(vm, L) }))
		ngx.RawSetString("send_headers", L.NewFunction(func(L *lua.LState) int {
			vm.CheckPhase(L, reqSocketPhases...)
			_, r := request(vm, L)
			r.SendHeaders()
			L.Push(lua.LNumber(1))
			return 1
		}))
		for _, name := range []string{"say", "print", "flush", "eof"} {
			if f, ok := ngx.RawGetString(name).(*lua.LFunction); ok && f.GFunction != nil {
				ngx.RawSetString(name, L.NewFunction(rawAware(vm, f.GFunction)))
			}
		}
	})
}

// rawAware makes an output function fail with "raw request socket
// acquired" once the raw socket was taken (it answers "seen eof" then,
// as the response counts as ended).
func rawAware(vm *luabindings.VM, fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		top := L.GetTop()
		n := fn(L)
		if n == 2 && L.Get(-2) == lua.LNil {
			if c := vm.Current(); c != nil && c.Value(rawSocketKey{}) != nil {
				L.SetTop(top)
				L.Push(lua.LNil)
				L.Push(lua.LString(errRawAcquired))
			}
		}
		return n
	}
}

func reqSocket(vm *luabindings.VM, L *lua.LState) int {
	raw := false
	switch n := L.GetTop(); n {
	case 0:
	case 1:
		raw = lua.LVAsBool(L.Get(1))
	default:
		// lua-nginx-module 0.10.23's wording (later: "expecting 0 or 1 argument")
		L.RaiseError("expecting zero arguments, but got %d", n)
	}
	if c := vm.Current(); c != nil && c.Req == nil && c.Phase != luabindings.PhaseInit {
		// a timer's or init_worker's fake request is the main request:
		// the context check refuses it
		vm.CheckPhase(L, reqSocketPhases...)
	}
	c, r := request(vm, L)
	if !r.IsMain() {
		L.RaiseError("attempt to read the request body in a subrequest")
	}
	if r.HTTP2() {
		L.RaiseError("http v2 not supported yet") // lua-nginx-module's refusal
	}
	vm.CheckPhase(L, reqSocketPhases...)
	if raw {
		if r.RawBuffering() {
			return pushNilErr(L, "http 1.0 buffering")
		}
		if c.Value(rawSocketKey{}) != nil {
			return pushNilErr(L, "duplicate call")
		}
		c.SetValue(rawSocketKey{}, true)
		conn, pre := r.TakeRawConn()
		L.Push(socket.NewDownstream(vm, L, c, conn, pre, true))
		return 1
	}
	body, err := r.BodySocket()
	if err != "" {
		return pushNilErr(L, err)
	}
	L.Push(socket.NewDownstream(vm, L, c, bodyConn{body}, nil, false))
	return 1
}

func pushNilErr(L *lua.LState, err string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(err))
	return 2
}

// bodyConn is the request body as a connection: the body socket reads
// it as it arrives, then sees the end ("closed"). A client that goes
// away before its body ended is "client aborted", as lua-nginx-module's
// body socket reports it.
type bodyConn struct{ body httpd.StreamedBody }

func (b bodyConn) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = socket.ErrClientAborted
	}
	return n, err
}

func (bodyConn) Write([]byte) (int, error)           { return 0, net.ErrClosed }
func (bodyConn) Close() error                        { return nil }
func (bodyConn) LocalAddr() net.Addr                 { return nil }
func (bodyConn) RemoteAddr() net.Addr                { return nil }
func (b bodyConn) SetDeadline(t time.Time) error     { return b.body.SetReadDeadline(t) }
func (b bodyConn) SetReadDeadline(t time.Time) error { return b.body.SetReadDeadline(t) }
func (bodyConn) SetWriteDeadline(time.Time) error    { return nil }
