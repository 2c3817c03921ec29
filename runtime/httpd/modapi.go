package httpd

import (
	"crypto/tls"
	"regexp"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/conf"
)

// This file is what modules (the packages under runtime/httpd) use of
// the core, beside the request API of api.go.

// Value is a compiled directive argument: literal text with variables.
type Value = cvalue

// Eval is the value for a request.
func (c *cvalue) Eval(r *Request) string { return c.eval(r) }

// AppendEval appends the value for a request to buf, each variable's
// value passed through esc with whether it was found (the access log's
// escape= and "-" for a missing value); literal text is appended as it is.
func (c *cvalue) AppendEval(buf []byte, r *Request, esc func(buf []byte, v string, found bool) []byte) []byte {
	if c.parts == nil {
		return append(buf, c.lit...)
	}
	for _, p := range c.parts {
		if p.v == nil {
			buf = append(buf, p.lit...)
			continue
		}
		v, ok := p.v.value(r)
		buf = esc(buf, v, ok)
	}
	return buf
}

// Raw is the argument as written.
func (c *cvalue) Raw() string { return c.raw }

// VarGetter reads a variable: its value and whether it is found (nginx's
// "not found" reads as nil from Lua and as "" in config strings).
type VarGetter = varGetter

// RegisterVariable adds a built-in variable (ngx_http_add_variable at
// preconfiguration); modules call it from init.
func RegisterVariable(name string, get VarGetter) {
	if builtins[name] != nil {
		panic("httpd: variable $" + name + " registered twice")
	}
	builtins[name] = get
}

// CompileRegex compiles an nginx (PCRE) regex with Go's engine.
func CompileRegex(p string) (*regexp.Regexp, error) { return compileRegex(p) }

// Value compiles a directive argument that may hold variables.
func (b *builder) Value(s string) *Value { return b.value(s) }

// Loc is the level being configured (http, server, location or if).
func (b *builder) Loc() *LocConf { return b.loc }

// Runtime is the configuration being built.
func (b *builder) Runtime() *Runtime { return b.rt }

// Server is the server{} being configured, nil outside one.
func (b *builder) Server() *Server { return b.srv }

// Context is the context of the directives being run.
func (b *builder) Context() conf.Context { return b.ctx }

// Run applies the directives of a block in context ctx.
func (b *builder) Run(ds []*conf.Directive, ctx conf.Context) error { return b.run(ds, ctx) }

// DefineVariable defines a variable of this configuration computed per
// request (map, geo, split_clients).
func (b *builder) DefineVariable(name string, get VarGetter) {
	b.vars.getters[strings.ToLower(name)] = get
}

// Path resolves a path relative to the prefix.
func (rt *Runtime) Path(p string) string { return rt.path(p) }

// Loc is the configuration the request runs in (its location or "if").
func (r *Request) Loc() *LocConf { return r.loc }

// Loc is the server's own level.
func (s *Server) Loc() *LocConf { return s.loc }

// Position is where the level was opened in the configuration.
func (l *LocConf) Position() (file string, line int) { return l.file, l.line }

// SetTLS gives every "listen ... ssl" address the TLS configuration fn
// makes from its servers (in configuration order).
func (rt *Runtime) SetTLS(fn func(servers []*Server) (*tls.Config, error)) error {
	for _, addr := range rt.Addrs() {
		g := rt.groups[addr]
		if !g.ssl {
			continue
		}
		c, err := fn(g.servers)
		if err != nil {
			return err
		}
		g.tls = c
	}
	return nil
}

// SetCaptures stores $0..$n from a regexp submatch index slice of s.
func (r *Request) SetCaptures(s string, m []int) { r.setCaptures(s, m) }

// AddHeader adds a response header (Content-Type and Content-Length set
// the response's type and length).
func (r *Request) AddHeader(name, value string) { r.addOutHeader(name, value) }

// ClearHeader removes every value of a response header.
func (r *Request) ClearHeader(name string) { r.clearHeader(name) }

// ClearHeaderPrefix removes the response headers whose names start with
// prefix (case-insensitive), as headers-more's "X-Foo-*".
func (r *Request) ClearHeaderPrefix(prefix string) {
	j := 0
	for _, o := range r.out {
		if !(len(o.name) >= len(prefix) && strings.EqualFold(o.name[:len(prefix)], prefix)) {
			r.out[j] = o
			j++
		}
	}
	r.out = r.out[:j]
}

// HasHeader reports whether the response has a header (Content-Type and
// Content-Length aside).
func (r *Request) HasHeader(name string) bool {
	for _, h := range r.out {
		if strings.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

// ContentLength is the response length known so far, -1 when unknown.
func (r *Request) ContentLength() int64 { return r.contentLen }

// SetContentLength sets the response length (-1: unknown, as after a
// filter that changes the body).
func (r *Request) SetContentLength(n int64) { r.contentLen = n }

// ContentType is the response's Content-Type so far.
func (r *Request) ContentType() string { return r.contentType }

// Atoi reads a non-negative integer argument with nginx's message for a
// bad one.
func (b *builder) Atoi(d *conf.Directive, s string) (int, error) { return atoiArg(d, s) }

// SetContent makes h the content handler of the location being built.
func (b *builder) SetContent(h ContentHandler) { b.loc.handler = h }

// Name is the location's name as written after its modifier ("/api/",
// "^/re$", "@named"); an if block has its location's, the server level "".
func (l *LocConf) Name() string { return l.name }

// ServerName is the request's server's first server_name ("" for none).
func (r *Request) ServerName() string { return r.srv.primaryName() }

// Upstream is what the request's proxying did: the proxy_pass host (an
// upstream block's name or host:port), the peer address(es) tried, the
// last upstream status and the time spent on the upstream ("" addr:
// none).
func (r *Request) Upstream() (host, addr string, status int, took time.Duration) {
	return r.proxyHost, r.upAddr, r.upStatus, r.upTime
}

// Finalize ends the request with code (an error code gets its error page,
// error_page applies), as ngx_http_finalize_request does.
func (r *Request) Finalize(code int) { r.finalize(code) }
