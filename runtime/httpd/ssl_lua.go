package httpd

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/ngxssl"
	"github.com/goresty/goresty/runtime/conf"
	lua "github.com/yuin/gopher-lua"
)

// The Lua SSL phases (ngx_http_lua_ssl_client_helloby.c,
// ngx_http_lua_ssl_certby.c, ngx_http_lua_ssl_session_storeby.c): Lua run
// on the connection during the TLS handshake, in a fake request. The
// client hello handler is the default server's (the server name is not
// resolved yet), the certificate handler the one of the server the SNI
// selects, the session store handler the default server's.

func init() {
	const hS = conf.HTTP | conf.Server
	luaDirective("ssl_client_hello_by_lua", hS, func(b *builder, h *luaHandler) error { b.loc.s.sslHello = h; return nil })
	luaDirective("ssl_certificate_by_lua", hS, func(b *builder, h *luaHandler) error { b.loc.s.sslCert = h; return nil })
	luaDirective("ssl_session_store_by_lua", conf.HTTP, func(b *builder, h *luaHandler) error { b.loc.s.sslStore = h; return nil })

	// the cosockets' TLS client settings: one set per configuration (the
	// sockets of a worker share them), the last given wins
	directive(func(b *builder, d *conf.Directive) error {
		path := b.rt.ConfPath(d.Args[0])
		data, err := os.ReadFile(path)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(data) {
			return conf.Errorf(d, "SSL_CTX_load_verify_locations(\"%s\") failed", path)
		}
		b.rt.lua.sslTrusted = pool
		return nil
	}, conf.Spec{Name: "lua_ssl_trusted_certificate", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		var lo, hi uint16
		for _, a := range d.Args {
			v, ok := sslProtocolVersions[a]
			if !ok {
				return conf.Errorf(d, "invalid value \"%s\"", a)
			}
			if lo == 0 || v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
		b.rt.lua.sslMinVersion, b.rt.lua.sslMaxVersion = lo, hi
		return nil
	}, conf.Spec{Name: "lua_ssl_protocols", Ctx: hSL, Args: conf.OneMore})
	accepted(
		conf.Spec{Name: "lua_ssl_verify_depth", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "lua_ssl_ciphers", Ctx: hSL, Args: conf.Take1},
	)
}

var sslProtocolVersions = map[string]uint16{"SSLv2": 0x200, "SSLv3": 0x300, "TLSv1": tls.VersionTLS10,
	"TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}

// sslPhase is one of the handshake phases as nginx logs it.
type sslPhase struct {
	phase    luabindings.Phase
	reusable string // "ssl cert: connection reusable: 0"
	tag      string // "ssl_certificate_by_lua: "
	cb       string // "cert cb"
	failure  string // the OpenSSL error a failure gives
}

var (
	sslHelloPhase = &sslPhase{luabindings.PhaseSSLClientHello, "ssl client hello", "ssl_client_hello_by_lua: ",
		"client hello cb", "error:0A0000EA:SSL routines::callback failed"}
	sslCertPhase = &sslPhase{luabindings.PhaseSSLCert, "ssl cert", "ssl_certificate_by_lua: ",
		"cert cb", "error:0A000179:SSL routines::cert cb error"}
	sslStorePhase = &sslPhase{luabindings.PhaseSSLSessionStore, "ssl session store", "ssl_session_store_by_lua*: ",
		"sess new cb", ""}
)

// hasSSLLua reports whether a server of g runs Lua in the handshake.
func (g *listenGroup) hasSSLLua() bool {
	for _, s := range g.servers {
		if st := &s.loc.s; st.sslHello != nil || st.sslCert != nil || st.sslStore != nil {
			return true
		}
	}
	return false
}

// addrText is an address as nginx's logs show it ("unix:" for a unix
// client).
func addrText(a net.Addr, client bool) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		if client {
			return a.IP.String()
		}
		return a.String()
	case *net.UnixAddr:
		if client {
			return "unix:"
		}
		return "unix:" + a.Name
	case nil:
		return ""
	}
	return a.String()
}

// sslHandshakeConfig is the TLS configuration of one connection of g
// whose handshake runs Lua: the client hello and certificate handlers
// run here, before the server hello; the session store handler once the
// handshake is done.
func (rt *Runtime) sslHandshakeConfig(g *listenGroup, base *tls.Config, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	st := &ngxssl.Conn{ServerName: hello.ServerName, SupportedVersions: hello.SupportedVersions}
	listen := g.addr
	if c := hello.Conn; c != nil {
		st.Local, st.Remote = c.LocalAddr(), c.RemoteAddr()
	}
	client := addrText(st.Remote, true)
	debug := rt.errlog != nil && rt.errlog.Enabled(LogDebug)
	if debug {
		rt.errlog.Write(LogDebug, 0, "reusable connection: 0")
	}
	if h := g.def.loc.s.sslHello; h != nil {
		if !rt.runSSLLua(st, h, sslHelloPhase, client, listen, debug) {
			return nil, errors.New("ssl_client_hello_by_lua failed")
		}
	}
	cfg := base
	srv := g.find(hello.ServerName)
	if h := srv.loc.s.sslCert; h != nil {
		if !rt.runSSLLua(st, h, sslCertPhase, client, listen, debug) {
			return nil, errors.New("ssl_certificate_by_lua failed")
		}
		cert, err := st.Certificate()
		if err != nil {
			return nil, err
		}
		if cert != nil {
			cfg = cfg.Clone()
			cfg.Certificates = nil
			if cert.PrivateKey != nil {
				cfg.Certificates = []tls.Certificate{*cert}
			}
		}
	}
	store := g.def.loc.s.sslStore
	if store != nil || debug {
		if cfg == base {
			cfg = cfg.Clone()
		}
		if store != nil {
			cfg.SessionTicketsDisabled = true
		}
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if debug {
				rt.errlog.Write(LogDebug, 0, "SSL_do_handshake: 1")
			}
			if cs.DidResume || store == nil {
				return nil
			}
			st.Version = cs.Version
			if cs.Version >= tls.VersionTLS13 {
				if debug {
					rt.errlog.Write(LogDebug, 0, "ssl_session_store_by_lua*: skipped since TLS version >= 1.3 ("+
						strconv.FormatInt(int64(cs.Version), 16)+")")
				}
				return nil
			}
			rt.runSSLLua(st, store, sslStorePhase, client, listen, debug)
			return nil
		}
	}
	return cfg, nil
}

// runSSLLua runs one handshake phase's Lua and reports whether the
// handshake goes on.
func (rt *Runtime) runSSLLua(st *ngxssl.Conn, h *luaHandler, p *sslPhase, client, listen string, debug bool) bool {
	logCtx := ", context: " + p.phase.Directive()
	if client != "" {
		logCtx += ", client: " + client
	}
	if listen != "" {
		logCtx += ", server: " + listen
	}
	if debug {
		rt.errlog.Write(LogDebug, 0, p.reusable+": connection reusable: 0")
	}
	c := &luabindings.Ctx{Phase: p.phase, LogCtx: logCtx}
	c.SetValue(ngxssl.Key{}, st)
	w := rt.workers[rt.pool.Lock(c)]
	vm := w.vm
	fn, msg := w.sslFunction(rt, h)
	rc := 0
	if fn == nil {
		rt.errlog.Write(LogErr, 0, msg+logCtx)
		rc = 500
	} else {
		_, err := vm.Call(c, fn)
		switch {
		case p == sslStorePhase:
			// a plain protected call whose outcome leaves the handshake alone
			if err != nil && !errors.Is(err, luabindings.ErrExit) {
				rt.errlog.Write(LogErr, 0, "failed to run session_store_by_lua*: "+luaErrorText(err)+logCtx)
				rc = -1
			}
		case err != nil && !errors.Is(err, luabindings.ErrExit):
			rt.errlog.Write(LogErr, 0, "lua entry thread aborted: runtime error: "+luaThreadErrorText(err)+logCtx)
			rc = 500
		case c.ExitSet:
			rc = c.ExitCode
		}
	}
	yielded := c.Blocked > 0
	vm.Unlock()
	for _, f := range OnRequestEnd {
		f(c)
	}
	ok := rc != -1 && rc < 300
	code := 0
	if ok && p != sslStorePhase {
		code = 1
	}
	if debug {
		if yielded {
			rt.errlog.Write(LogDebug, 0, p.tag+p.cb+" exit code: "+strconv.Itoa(code))
		} else {
			rt.errlog.Write(LogDebug, 0, p.tag+"handler return value: "+strconv.Itoa(rc)+", "+p.cb+" exit code: "+strconv.Itoa(code))
		}
	}
	if p == sslStorePhase {
		return true
	}
	if !ok {
		rt.errlog.Write(LogInfo, 0, "SSL_do_handshake() failed (SSL: "+p.failure+") while SSL handshaking"+
			", client: "+client+", server: "+listen)
	}
	return ok
}

// sslFunction is the function of a handshake phase's handler.
func (w *worker) sslFunction(rt *Runtime, h *luaHandler) (*lua.LFunction, string) {
	if h.file == nil {
		if h.loadErr != nil {
			return nil, "failed to load inlined Lua code: " + h.loadErr.Error()
		}
		for len(w.fns) <= h.id {
			w.fns = append(w.fns, nil)
		}
		fn := w.fns[h.id]
		if fn == nil {
			fn = w.vm.L.NewFunctionFromProto(h.proto)
			w.fns[h.id] = fn
		}
		return fn, ""
	}
	path := h.fileRaw
	if !filepath.IsAbs(path) {
		path = rt.path(path)
	}
	fc := w.fileChunk(path)
	if fc.missing {
		msg, _ := fileOpenError(path, fc.err)
		return nil, "failed to load external Lua file \"" + path + "\": " + msg
	}
	if fc.err != nil {
		return nil, "failed to load external Lua file \"" + path + "\": " + fc.err.Error()
	}
	return fc.fn, ""
}
