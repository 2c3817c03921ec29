package httpd

import (
	"encoding/base64"
	"github.com/goresty/goresty/runtime/conf"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// This file is the part of the request API that the access and limit
// modules (realip, limit_req, limit_conn, auth_*) use.

// clientAddr is a client address a module put in place of the
// connection's (realip's ngx_http_realip_set_addr), for one request.
type clientAddr struct {
	ip   net.IP
	addr string
	port string
}

// client is the address realip set for the request or its main request.
func (r *Request) client() *clientAddr {
	for p := r; p != nil; p = p.parent {
		if p.realClient != nil {
			return p.realClient
		}
	}
	return nil
}

// clientIP is the client's IP address (realip's when set).
func (r *Request) clientIP() net.IP {
	if c := r.client(); c != nil {
		return c.ip
	}
	return r.fc.RemoteIP()
}

// ConnAddr is the connection's own peer: its IP (nil for a unix-domain
// client), the address text ($remote_addr before realip) and the port.
func (r *Request) ConnAddr() (ip net.IP, addr, port string) {
	switch a := r.fc.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP, a.IP.String(), strconv.Itoa(a.Port)
	case *net.UnixAddr:
		return nil, "unix:", ""
	}
	return r.fc.RemoteIP(), r.fc.RemoteIP().String(), ""
}

// ConnLogText is what nginx's error log names for the connection of the
// request outside it (a timer it started): the peer's address text and
// the listening address.
func (r *Request) ConnLogText() (client, listen string) {
	_, client, _ = r.ConnAddr()
	return client, r.listenAddr
}

// ClientIP is the client's IP address ($remote_addr), nil for a
// unix-domain client.
func (r *Request) ClientIP() net.IP {
	if c := r.client(); c != nil {
		return c.ip
	}
	if _, ok := r.fc.RemoteAddr().(*net.UnixAddr); ok {
		return nil
	}
	return r.fc.RemoteIP()
}

// SetClientAddr replaces the client address of the request ($remote_addr,
// $remote_port, the error log's "client:", allow/deny) until it ends;
// port 0 leaves $remote_port empty.
func (r *Request) SetClientAddr(ip net.IP, port int) {
	c := &clientAddr{ip: ip, addr: ip.String()}
	if port > 0 && port < 65536 {
		c.port = strconv.Itoa(port)
	}
	r.realClient = c
}

// HasClientAddr reports whether a module replaced the client address.
func (r *Request) HasClientAddr() bool { return r.client() != nil }

// Warnf records a configuration warning about d, as ngx_conf_log_error
// at NGX_LOG_WARN ("... in FILE:LINE" in the error log and on -t).
func (b *builder) Warnf(d *conf.Directive, format string, args ...any) {
	b.confLog(LogWarn, d, sprintf(format, args...))
}

// BasicAuth is ngx_http_auth_basic_user: the user and password of an
// "Authorization: Basic" header (ok false when there is none, it is not
// Basic, or it does not decode to a non-empty user, a colon and a
// password). $remote_user is the user.
func (r *Request) BasicAuth() (user, pass string, ok bool) {
	v := r.fc.Request.Header.Peek("Authorization")
	if len(v) < 6 || !strings.EqualFold(string(v[:6]), "Basic ") {
		return "", "", false
	}
	enc := strings.TrimLeft(string(v[6:]), " ")
	if i := strings.IndexByte(enc, '='); i >= 0 {
		enc = enc[:i] // nginx decodes up to the padding and ignores the rest
	}
	if enc == "" || len(enc)%4 == 1 {
		return "", "", false
	}
	dec, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	i := strings.IndexByte(string(dec), ':')
	if i <= 0 {
		return "", "", false
	}
	return string(dec[:i]), string(dec[i+1:]), true
}

// ConfPath is a path relative to the directory of the configuration file
// (nginx's conf_prefix, as auth_basic_user_file reads it).
func (rt *Runtime) ConfPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(rt.confPath), p)
}

// DeclareVariable declares a variable that a module assigns per request
// with SetVarByName (auth_request_set), as "set" declares one; until
// assigned it reads as not found (nil in Lua), where set's reads as "".
func (b *builder) DeclareVariable(name string) {
	name = strings.ToLower(name)
	b.vars.declare(name)
	if b.vars.uninitNil == nil {
		b.vars.uninitNil = map[string]bool{}
	}
	b.vars.uninitNil[name] = true
}

// Subrequest runs a GET subrequest to uri with no body (the client's
// headers) to completion and passes it to done before it is released:
// nginx's ngx_http_subrequest as auth_request makes it, sharing r's
// variables (sr->variables = r->variables). Its Lua takes a
// worker VM of its own unless r's Lua holds one.
func (r *Request) Subrequest(uri string, done func(s *Request)) {
	done(r.subrequest(uri, &CaptureOptions{ShareAllVars: true}))
}

// SetContentHandler makes h the content handler of the level being
// configured (stub_status).
func (b *builder) SetContentHandler(h ContentHandler) { b.loc.handler = h }

// Send answers with a complete body (nginx's ngx_http_send_header plus
// one last buffer): the status, type and length are set, HEAD gets no body.
func (r *Request) Send(code int, contentType string, body []byte) {
	r.sendStatic(code, body, contentType)
}
