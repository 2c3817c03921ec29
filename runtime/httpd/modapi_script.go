package httpd

import (
	"errors"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
)

// This file is what the rewrite module (runtime/httpd/rewrite) and the
// modules that add to its scripts (set_by_lua) use of the core.

// ScriptStep is code another module adds to the rewrite script of a level,
// as NDK's set_var handlers (set_by_lua) join ngx_http_rewrite_module's
// codes: false ends the request with 500; a step that answered the request
// (Finalized) ends the script.
type ScriptStep func(r *Request) bool

var scriptAppender func(b *Builder, s ScriptStep)

// Script makes fn the taker of the steps other modules add to the script
// of the level being configured (the rewrite module's).
func (*Hooks) Script(fn func(b *Builder, s ScriptStep)) { scriptAppender = fn }

// AddScriptStep appends s to the rewrite script of the level being
// configured.
func (b *builder) AddScriptStep(s ScriptStep) error {
	if scriptAppender == nil {
		return errors.New("the rewrite module is not built in")
	}
	scriptAppender(b, s)
	return nil
}

// SetVariableSlot declares the user variable name as "set $name" does
// (reading as "" until assigned) and gives its slot for SetVariable.
func (b *builder) SetVariableSlot(name string) int { return b.vars.declare(name) }

// IsBuiltinVariable reports whether name is a built-in variable (or of a
// built-in family such as $arg_*).
func IsBuiltinVariable(name string) bool { return builtinVar(strings.ToLower(name)) != nil }

// SetVariable sets the user variable of slot.
func (r *Request) SetVariable(slot int, v string) { r.setVar(slot, v) }

// IfBlock opens an "if" level inside the level being configured and runs
// the directives of d's block in it.
func (b *builder) IfBlock(d *conf.Directive) (*LocConf, error) {
	parent := b.loc
	l := b.newLoc(locIf, parent, d)
	l.name = parent.name
	parent.ifs = append(parent.ifs, l)
	b.loc = l
	ctx := conf.LocationIf
	if parent.kind == locServer {
		ctx = conf.ServerIf
	}
	err := b.run(d.Block, ctx)
	b.loc = parent
	return l, err
}

// EnterIf makes the "if" level l, whose condition held, the request's
// configuration.
func (r *Request) EnterIf(l *LocConf) { r.loc = l }

// Rewrite sets the URI from a rewrite: the request counts as internal and
// a proxy sends the changed URI whole.
func (r *Request) Rewrite(uri string) {
	r.uri = uri
	r.validURI = true
	r.internal = true // nginx counts rewritten requests as internal
}

// Server is the server{} the request is served by.
func (r *Request) Server() *Server { return r.srv }

// DefaultType is the level's default_type.
func (r *Request) DefaultType() string { return r.loc.s.defaultType }

// SendResponse answers code with body as its own response of type ct
// (ngx_http_send_response).
func (r *Request) SendResponse(code int, body []byte, ct string) {
	r.status = code
	r.sendStatic(code, body, ct)
}

// SendEmpty answers code without a body: its own empty response for a
// status under 400 (typed with default_type), the error page otherwise.
func (r *Request) SendEmpty(code int) {
	if code < 400 {
		r.contentType, r.ctSet, r.contentLen = r.loc.s.defaultType, true, 0
	}
	r.finalize(code)
}

// SendRedirect answers code with Location loc, a path made absolute as
// nginx does for its own redirects (absolute_redirect,
// server_name_in_redirect, port_in_redirect).
func (r *Request) SendRedirect(code int, loc string) { r.redirect(code, loc) }

// IsAbsoluteURL reports an http:// or https:// URL.
func IsAbsoluteURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func isAbsoluteURL(s string) bool { return IsAbsoluteURL(s) }
