package httpd

import (
	"github.com/goresty/goresty/runtime/conf"
)

// This file is the module interface, nginx's ngx_http_module_t and
// ngx_command_t: a module declares its directives with named handlers,
// its per-location settings (create and merge, as create_loc_conf and
// merge_loc_conf), and hooks itself into the request phases and the
// header and body filter chains. The core runs the hooks and knows no
// module's settings: they live in a slot of every LocConf, found with
// Module.Conf (ngx_http_get_module_loc_conf).

// Phase is a request phase with module handlers, in nginx's order.
// Finding the location (find-config) and running its content handler
// (content) are the core's own steps between them.
type Phase uint8

const (
	PostReadPhase      Phase = iota // before the server's rewrite directives
	ServerRewritePhase              // the server level's rewrite directives
	RewritePhase                    // the location's rewrite directives, rewrite_by_lua
	PreAccessPhase                  // realip (location level), limit_req, limit_conn
	AccessPhase                     // allow/deny, access_by_lua
	PreContentPhase                 // try_files (nginx's precontent phase)
	// ContentPhase: the handlers of a location without a content handler
	// of its own (index, autoindex, gzip_static, static), tried in turn
	// until one does not decline; with none left the core answers 403
	// for a URI ending in "/" ("directory index ... is forbidden") and
	// 404 otherwise, as ngx_http_core_content_phase.
	ContentPhase
	LogPhase // after the response was sent
	numPhases
)

// Status is what a phase or content handler tells the core.
type Status uint8

const (
	// Declined: go on with the next handler (NGX_DECLINED).
	Declined Status = iota
	// Done: the request was answered or finalized; processing stops.
	Done
	// Restart: the URI changed (rewrite ... last, ngx.exec, set_uri with
	// jump): the core counts a redirect and finds the location again.
	Restart
	// Granted: an access-phase handler allows the request (NGX_OK): with
	// "satisfy any" the other access handlers are skipped.
	Granted
	// Forbidden and Unauthorized: an access-phase handler denies the
	// request (NGX_HTTP_FORBIDDEN, NGX_HTTP_UNAUTHORIZED, a challenge
	// header already added); the core answers with the status unless,
	// with "satisfy any", another access handler grants.
	Forbidden
	Unauthorized
)

// PhaseHandler is a module's handler in a phase.
type PhaseHandler func(r *Request) Status

// HeaderFilter sees the response header once, before the first body byte.
type HeaderFilter func(r *Request)

// BodyFilter sees every chunk of the body; last marks the end.
type BodyFilter func(r *Request, chunk []byte, last bool) ([]byte, bool)

// ContentHandler answers the requests of a location (proxy_pass,
// content_by_lua); a location without one serves static files.
type ContentHandler interface {
	Content(r *Request) Status
}

// defaultTyper is a content handler that decides whether default_type
// applies to a response without a Content-Type (lua_use_default_type).
type defaultTyper interface {
	UseDefaultType(r *Request) bool
}

// Command is one directive: its specs (contexts and arity, checked by the
// parser; several when they differ per context) and its handler.
type Command struct {
	Specs []conf.Spec
	Set   func(b *Builder, d *conf.Directive) error
	// Name is the directive a handler is given for when it has no specs
	// of its own (the block directives of runtime/conf's Structural).
	Name string
	// Only: the handler applies in these contexts only, beside another
	// module's handler of the same name (the upstream block's "server").
	Only conf.Context
}

// Directive is a Command for handler set and its specs.
func Directive(set func(b *Builder, d *conf.Directive) error, specs ...conf.Spec) Command {
	return Command{Specs: specs, Set: set}
}

// Variable is a built-in variable a module provides.
type Variable struct {
	Name string
	Get  VarGetter
}

// Module is an http module.
type Module struct {
	Name     string
	Commands []Command
	// Variables are the module's built-in variables.
	Variables []Variable
	// Accepted are directives that only tune nginx internals: parsed and
	// validated, with no effect a client can see.
	Accepted []conf.Spec
	// CreateLocConf makes the module's settings of one level (http,
	// server, location, if) with every field unset.
	CreateLocConf func() any
	// MergeLocConf fills what child leaves unset from parent, and applies
	// the module's defaults to what both leave unset (the http level is
	// merged with a fresh CreateLocConf).
	MergeLocConf func(parent, child any)
	// Hooks registers the module's phase handlers and filters, once.
	Hooks func(h *Hooks)
	// CreateMainConf makes the module's configuration-wide state (log
	// formats, zones, ...), found with MainConf.
	CreateMainConf func() any
	// Configured runs when a configuration was read and merged
	// (postconfiguration): resolve names, load certificates, ...
	Configured func(rt *Runtime) error
	// Reload runs when next replaces prev in a running process, before
	// it serves (nginx's shared memory zones outlive the cycle): keep what
	// must survive, or refuse the new configuration.
	Reload func(prev, next *Runtime) error
	// Closed runs when a configuration is released, after its last
	// request (close files).
	Closed func(rt *Runtime)
	// ReleaseReqCtx gets the module's per-request state back when the
	// request ends (to pool it).
	ReleaseReqCtx func(v any)
	// Reopen opens the configuration's files again (-s reopen, SIGUSR1).
	Reopen func(rt *Runtime) error

	index int // slot in LocConf.confs; -1 without settings
}

// Conf is the module's settings of a level; the hot path asserts it to
// the module's own pointer type.
func (m *Module) Conf(l *LocConf) any { return l.confs[m.index] }

// MainConf is the module's configuration-wide state in rt.
func (m *Module) MainConf(rt *Runtime) any { return rt.mainConfs[m.index] }

// ReqCtx is the module's per-request state (ngx_http_get_module_ctx),
// nil until SetReqCtx; it is cleared when the request ends.
func (m *Module) ReqCtx(r *Request) any {
	if m.index < len(r.modCtx) {
		return r.modCtx[m.index]
	}
	return nil
}

// SetReqCtx stores the module's per-request state.
func (m *Module) SetReqCtx(r *Request, v any) {
	for len(r.modCtx) <= m.index {
		r.modCtx = append(r.modCtx, nil)
	}
	r.modCtx[m.index] = v
}

var (
	modules       []*Module
	phaseHandlers [numPhases][]PhaseHandler
	headerFilters []HeaderFilter // in the order they run
	bodyFilters   []BodyFilter
)

// Register adds a module: its directives, its settings slot and its
// hooks. Modules register from init functions; the runtime/httpd/modules
// package lists them in nginx's order.
func Register(m *Module) {
	m.index = len(modules)
	modules = append(modules, m)
	for _, c := range m.Commands {
		if c.Only != 0 {
			conf.Register(c.Specs...)
			ctxHandlers[c.Specs[0].Name] = append(ctxHandlers[c.Specs[0].Name], ctxHandler{c.Only, c.Set})
			continue
		}
		if len(c.Specs) == 0 {
			setHandler(c.Name, c.Set)
			continue
		}
		directive(c.Set, c.Specs...)
	}
	for _, v := range m.Variables {
		RegisterVariable(v.Name, v.Get)
	}
	if len(m.Accepted) > 0 {
		accepted(m.Accepted...)
	}
	if m.Hooks != nil {
		m.Hooks(&Hooks{})
	}
}

// Hooks is how a module joins the request path.
type Hooks struct{}

// Phase appends h to the handlers of phase p: handlers run in the order
// the modules registered.
func (*Hooks) Phase(p Phase, h PhaseHandler) { phaseHandlers[p] = append(phaseHandlers[p], h) }

// PhaseFirst puts h before the phase's other handlers (lua-nginx-module's
// log handler goes first so that the access log sees what it set).
func (*Hooks) PhaseFirst(p Phase, h PhaseHandler) {
	phaseHandlers[p] = append([]PhaseHandler{h}, phaseHandlers[p]...)
}

// HeaderFilter puts f at the top of the header filter chain, as nginx's
// ngx_http_top_header_filter: the module registered last runs first.
func (*Hooks) HeaderFilter(f HeaderFilter) {
	headerFilters = append([]HeaderFilter{f}, headerFilters...)
}

// BodyFilter puts f at the top of the body filter chain.
func (*Hooks) BodyFilter(f BodyFilter) {
	bodyFilters = append([]BodyFilter{f}, bodyFilters...)
}

// createConfs gives a new level every module's empty settings.
func createConfs() []any {
	confs := make([]any, len(modules))
	for i, m := range modules {
		if m.CreateLocConf != nil {
			confs[i] = m.CreateLocConf()
		}
	}
	return confs
}

func createMainConfs() []any {
	confs := make([]any, len(modules))
	for i, m := range modules {
		if m.CreateMainConf != nil {
			confs[i] = m.CreateMainConf()
		}
	}
	return confs
}

// configured runs the modules' postconfiguration.
func (rt *Runtime) configured() error {
	for _, m := range modules {
		if m.Configured != nil {
			if err := m.Configured(rt); err != nil {
				return err
			}
		}
	}
	return nil
}

// reloaded runs the modules' Reload hooks.
func reloaded(prev, next *Runtime) error {
	for _, m := range modules {
		if m.Reload != nil {
			if err := m.Reload(prev, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeConfs merges every module's settings of child from parent (nil:
// the http level, merged with the defaults).
func mergeConfs(parent, child *LocConf) {
	for i, m := range modules {
		if m.MergeLocConf == nil {
			continue
		}
		var p any
		if parent != nil {
			p = parent.confs[i]
		} else {
			p = m.CreateLocConf()
		}
		m.MergeLocConf(p, child.confs[i])
	}
}

// runPhase runs a phase's handlers until one does not decline.
func (r *Request) runPhase(p Phase) Status {
	for _, h := range phaseHandlers[p] {
		if s := h(r); s != Declined {
			return s
		}
	}
	return Declined
}
