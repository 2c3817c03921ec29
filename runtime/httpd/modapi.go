package httpd

import (
	"crypto/tls"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
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

// AddListedHeader adds a header of add_header. nginx keeps it in its list
// of header lines, so a Content-Length given there is also sent on a 204
// or 304, where the response itself has no length (on other statuses it
// sets the length, as AddHeader).
func (r *Request) AddListedHeader(name, value string) {
	if (r.status == 204 || r.status == 304) && strings.EqualFold(name, "Content-Length") {
		r.listedLen = append(r.listedLen, value)
		return
	}
	r.addOutHeader(name, value)
}

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

// RegisterVariablePrefix adds a family of built-in variables named
// prefix + suffix ($upstream_http_*): make gives the getter of a suffix.
func RegisterVariablePrefix(prefix string, make func(suffix string) VarGetter) {
	prefixVars = append(prefixVars, prefixVar{prefix, make})
}

type prefixVar struct {
	prefix string
	make   func(suffix string) VarGetter
}

var prefixVars []prefixVar

// HeaderName turns a variable suffix (x_real_ip) into a header name.
func HeaderName(s string) string { return headerName(s) }

// LocKind is what a location level is.
type LocKind = locKind

// The kinds of levels.
const (
	LocPrefix  = locPrefix
	LocExact   = locExact
	LocNoRegex = locNoRegex
	LocRegex   = locRegex
	LocNamed   = locNamed
	LocIf      = locIf
	LocServer  = locServer
	LocHTTP    = locHTTP
)

// Kind is the level's kind.
func (l *LocConf) Kind() LocKind { return l.kind }

// Name is a location's name (its prefix, exact URI, regex or @name).
func (l *LocConf) Name() string { return l.name }

// HasContent reports whether the level has a content handler of its own.
func (l *LocConf) HasContent() bool { return l.handler != nil }

// SetContent makes h the level's content handler; autoRedirect gives
// "location /dir/" the 301 for "/dir" (proxy_pass and the like).
func (b *builder) SetContent(h ContentHandler, autoRedirect bool) {
	b.loc.handler, b.loc.autoRedirect = h, autoRedirect
}

// LuaHandler is the code of a *_by_lua* directive.
type LuaHandler = luaHandler

// LuaHandler compiles the Lua code of directive d (kind names the chunk,
// "balancer_by_lua"; codeArg is the argument with the code or file).
func (b *builder) LuaHandler(d *conf.Directive, kind string, codeArg int) *LuaHandler {
	return b.luaHandlerFrom(d, kind, codeArg)
}

// RunLua runs h in phase holding a worker VM.
func (r *Request) RunLua(h *LuaHandler, phase luabindings.Phase) {
	r.withVM(func() { r.callPhaseLua(h, phase) })
}

// BalancerPeer is what ngx.balancer.set_current_peer set.
func (r *Request) BalancerPeer() string { return r.balancerPeer }

// Finalize ends the request with code (ngx_http_finalize_request): an
// error status gives its error page.
func (r *Request) Finalize(code int) { r.finalize(code) }

// Finalized reports whether the request was answered or finalized.
func (r *Request) Finalized() bool { return r.done }

// SetFinalized marks the request as answered by its content handler.
func (r *Request) SetFinalized() { r.done = true }

// Abort cuts the response after its header: no last chunk, the
// connection is closed.
func (r *Request) Abort() { r.abort() }

// Unlocked runs blocking work with the worker VM released if this
// request's Lua holds it.
func (r *Request) Unlocked(fn func()) { r.unlocked(fn) }

// Output passes a body chunk through the body filters; last marks the end.
func (r *Request) Output(chunk []byte, last bool) bool { return r.output(chunk, last) }

// SetContentType sets the response's Content-Type ("" for none).
func (r *Request) SetContentType(ct string) { r.contentType, r.ctSet = ct, true }

// URIChanged reports a URI changed in the request (rewrite ... break,
// ngx.req.set_uri): a proxy sends it whole.
func (r *Request) URIChanged() bool { return r.validURI }

// Logf writes an error log line with nginx's request context suffix.
func (r *Request) Logf(level int, format string, args ...any) { r.logf(level, format, args...) }

// SetLogUpstream names the upstream in the request's error log lines
// (", upstream: \"http://127.0.0.1:8080/uri?args\"").
func (r *Request) SetLogUpstream(schema, peer, uri, args string) {
	r.logUpSchema, r.logUpPeer, r.logUpURI, r.logUpArgs = schema, peer, uri, args
}

// HasErrorPage reports an error_page for code at the request's level.
func (r *Request) HasErrorPage(code int) bool { return r.loc.s.errorPages[code] != nil }

// RequestBody reads the whole request body (the one set by Lua if it was
// replaced); code is the status that ends the request when reading fails.
func (r *Request) RequestBody() (body []byte, code int) {
	if !r.bodyChanged {
		if code := r.loadBody(); code != 0 {
			return nil, code
		}
	}
	return r.reqBody(), 0
}

// EscapeURI escapes what nginx's ngx_escape_uri(NGX_ESCAPE_URI) escapes.
func EscapeURI(p string) string { return escapePath(p) }

// EscapedURI is the current URI escaped for sending, with its args.
func (r *Request) EscapedURI() string {
	u := escapePath(r.uri)
	if r.args != "" {
		u += "?" + r.args
	}
	return u
}

// B2S is a string view of b (no copy; b must not change while it is used).
func B2S(b []byte) string { return b2s(b) }

// HasVariables reports whether the value refers to variables (nginx's
// ngx_http_script_variables_count > 0).
func (c *cvalue) HasVariables() bool { return c.parts != nil }

// Main is the main request (r itself unless r is a subrequest).
func (r *Request) Main() *Request {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// Parent is the request that issued subrequest r, nil for a main request.
func (r *Request) Parent() *Request { return r.parent }

// InternalRedirect restarts the request at uri ("@name": the named
// location), as ngx_http_internal_redirect and ngx_http_named_location;
// the request is complete when it returns.
func (r *Request) InternalRedirect(uri, args string) {
	r.done = false
	r.internalRedirect(uri, args)
	r.done = true
}

// SetContentTypeByExten sets the response type from the URI's extension
// and the types{} of the location (default_type without a match), as
// ngx_http_set_content_type; a type already set is kept.
func (r *Request) SetContentTypeByExten() {
	if r.contentType != "" {
		return
	}
	seg := r.uri[strings.LastIndexByte(r.uri, '/')+1:]
	if i := strings.LastIndexByte(seg, '.'); i >= 0 {
		r.contentType = r.mimeType(seg)
	} else {
		r.contentType = r.loc.s.defaultType
	}
	r.ctSet = true
}

// WriteBelowFilters appends p to r's response under the module body
// filters: a subrequest's output, which went through the subrequest's own
// filters, joins the parent's response as nginx's postpone filter hands it
// to the lower filters. The header is sent first if it was not.
func (r *Request) WriteBelowFilters(p []byte) bool {
	if r.eof || r.aborted {
		return false
	}
	r.sendHeader()
	if r.aborted || len(p) == 0 || r.method == "HEAD" && r.subOut == nil {
		return !r.aborted
	}
	r.bodySent += int64(len(p))
	if r.streaming {
		r.writeChunk(p)
	} else {
		r.body = append(r.body, p...)
	}
	return true
}

// SetHandler makes h the content handler of the level (clcf->handler);
// an "if" block without one keeps its location's.
func (l *LocConf) SetHandler(h ContentHandler) { l.handler = h }

// Runtime is the configuration the request runs in.
func (r *Request) Runtime() *Runtime { return r.rt }

// ServerName is the request's server's first server_name ("" for none).
func (r *Request) ServerName() string { return r.srv.primaryName() }

// RequestURI is the request target as the client sent it.
func (r *Request) RequestURI() string { return r.requestURI }

// BodyStream hands the request body, unread, to a module that forwards
// it as it arrives (proxy_request_buffering off): declared is its length,
// -1 for a chunked body (the reader decodes it and stops past
// client_max_body_size with ErrBodyTooLarge). ok is false when the body
// was read, replaced or discarded already, or in a subrequest: then Body
// and RequestBody have it. The body is gone for the rest of the request.
func (r *Request) BodyStream() (rd io.Reader, declared int64, ok bool) {
	if r.parent != nil || r.bodyChanged || r.bodyDiscard {
		return nil, 0, false
	}
	b := r.openBody(r.bodyTimeout())
	if b == nil {
		return nil, 0, false
	}
	r.keepaliveOff = true // what the forwarder leaves unread is not drained
	declared = int64(r.fc.Request.Header.ContentLength())
	if declared < 0 {
		declared = -1
	}
	return b, declared, true
}

// MergeValue is nginx's ngx_conf_merge_value for a module's location
// settings: an unset value (negative) takes the enclosing level's, and
// def when that is unset too.
func MergeValue[T ~int | ~int8 | ~int64](v *T, parent, def T) {
	if *v < 0 {
		*v = parent
	}
	if *v < 0 {
		*v = def
	}
}

// NotModified is ngx_http_not_modified_filter's test of a response with
// Last-Modified mod (zero: none) and ETag etag ("" for none).
func (r *Request) NotModified(mod time.Time, etag string) bool {
	if r.fc.Request.Header.Peek("If-None-Match") != nil && etag == "" {
		return false
	}
	if r.fc.Request.Header.Peek("If-None-Match") == nil && mod.IsZero() {
		return false
	}
	return r.notModified(mod, etag)
}

// Literal is a directive value without variables.
func Literal(s string) *Value { return &cvalue{raw: s, lit: s} }

// Arg is ngx_http_arg: the value of the first argument name in args.
func Arg(args, name string) (string, bool) { return argValue(args, name) }

// Names is the server's server_name list: exact names (lowercased),
// leading wildcards ("*.example.com" and ".example.com" as
// ".example.com", the latter also in exact), trailing wildcards
// ("www.example.*" as "www.example.") and regexes.
func (s *Server) Names() (exact, wildStart, wildEnd []string, regexes []*regexp.Regexp) {
	return s.names, s.wildStart, s.wildEnd, s.regexes
}
