package socket

import (
	"net"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// Request sockets (ngx.req.socket): the same cosocket over the client
// connection, with lua-nginx-module's reduced method sets.

var (
	reqSocketMetaKey    = "goresty.req_socket_mt"
	rawReqSocketMetaKey = "goresty.raw_req_socket_mt"
)

// NewDownstream returns a request socket object over conn owned by c.
// pre is data received before Lua got the connection (unread request
// body); it is read first. A body reader (raw false) has receive,
// receiveany, receiveuntil, settimeout and settimeouts; a raw socket
// adds send. Light threads of the same request may use it too.
func NewDownstream(vm *luabindings.VM, L *lua.LState, c *luabindings.Ctx, conn net.Conn, pre []byte, raw bool) *lua.LTable {
	s := &tcpSock{vm: vm, owner: c, cfg: ConfigOf(vm), conn: conn, raw: conn}
	if len(pre) > 0 {
		s.rbuf = append(make([]byte, 0, len(pre)+s.cfg.bufSize()), pre...)
	}
	t := L.CreateTable(1, 0)
	ud := L.NewUserData()
	ud.Value = s
	t.RawSetInt(1, ud)
	t.Metatable = downstreamMeta(vm, L, raw)
	return t
}

func downstreamMeta(vm *luabindings.VM, L *lua.LState, raw bool) *lua.LTable {
	key := reqSocketMetaKey
	if raw {
		key = rawReqSocketMetaKey
	}
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if mt, ok := reg.RawGetString(key).(*lua.LTable); ok {
		return mt
	}
	a := &tcpAPI{vm: vm}
	fns := map[string]lua.LGFunction{
		"receive":      a.receive,
		"receiveany":   a.receiveany,
		"receiveuntil": a.receiveuntil,
		"settimeout":   a.settimeout,
		"settimeouts":  a.settimeouts,
	}
	if raw {
		fns["send"] = a.send
	}
	mt := L.NewTable()
	for name, fn := range fns {
		mt.RawSetString(name, L.NewFunction(shareWithThreads(vm, fn)))
	}
	mt.RawSetString("__index", mt)
	a.meta = mt
	reg.RawSetString(key, mt)
	return mt
}

// shareWithThreads lets every entity of the owning request (its light
// threads) use the socket: OpenResty checks the request, not the thread.
func shareWithThreads(vm *luabindings.VM, fn lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok {
			if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
				if s, ok := ud.Value.(*tcpSock); ok {
					if c := vm.Current(); c != nil && c != s.owner && sameRequest(c, s.owner) {
						s.owner = c
					}
				}
			}
		}
		return fn(L)
	}
}
