package httpd

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
)

// handler builds the runtime configuration for one directive, like the
// "set" callback of an nginx command.
type handler func(b *builder, d *conf.Directive) error

var handlers = map[string]handler{}

// directive declares a directive (its contexts and arity, checked by the
// parser) and the function that applies it.
func directive(h handler, specs ...conf.Spec) {
	conf.Register(specs...)
	if h != nil {
		if handlers[specs[0].Name] != nil && !acceptedOnly[specs[0].Name] {
			panic("httpd: two handlers for directive " + specs[0].Name)
		}
		handlers[specs[0].Name] = h
		delete(acceptedOnly, specs[0].Name)
	}
}

// accepted declares directives that only tune nginx internals: they are
// parsed and validated but change nothing a client can see.
func accepted(specs ...conf.Spec) {
	conf.Register(specs...)
	for _, s := range specs {
		// a directive implemented in another context keeps its handler
		if handlers[s.Name] == nil {
			handlers[s.Name] = noop
			acceptedOnly[s.Name] = true
		}
	}
}

func noop(*builder, *conf.Directive) error { return nil }

// flagSetting declares an on|off directive kept in a settings field
// (merged down the levels like the others).
func flagSetting(name string, ctx conf.Context, field func(s *settings) *int8) {
	directive(func(b *builder, d *conf.Directive) error {
		*field(&b.loc.s) = flag(d)
		return nil
	}, conf.Spec{Name: name, Ctx: ctx, Args: conf.Flag})
}

// ctxHandlers are handlers of a name that apply only in some contexts
// (the upstream module's "server" beside the core's server{} block), as
// nginx picks a command by its name and its context type.
var ctxHandlers = map[string][]ctxHandler{}

type ctxHandler struct {
	ctx conf.Context
	h   handler
}

// acceptedOnly are the names whose handler is the no-op of accepted().
var acceptedOnly = map[string]bool{}

// Builder is what a directive handler builds the configuration with.
type Builder = builder

type builder struct {
	rt    *Runtime
	http  *LocConf
	srv   *Server
	loc   *LocConf
	ctx   conf.Context
	vars  *varTable
	luaID int
	// main-context directives that may appear once (-g included)
	seen map[string]bool
}

// confLog records a message about directive d (ngx_conf_log_error at a
// level that does not stop start-up): the error log gets it once open.
func (b *builder) confLog(level int, d *conf.Directive, msg string) {
	b.rt.confMsgs = append(b.rt.confMsgs, confMsg{level, msg + " in " + d.Pos()})
}

type confMsg struct {
	level int
	text  string
}

// once fails like nginx's slot handlers when a single-valued directive
// of the main context comes twice.
func (b *builder) once(d *conf.Directive) error {
	if b.seen[d.Name] {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	b.seen[d.Name] = true
	return nil
}

func (b *builder) run(ds []*conf.Directive, ctx conf.Context) error {
	saved := b.ctx
	b.ctx = ctx
	defer func() { b.ctx = saved }()
	for _, d := range ds {
		h := handlers[d.Name]
		for _, c := range ctxHandlers[d.Name] {
			if c.ctx&ctx != 0 {
				h = c.h
			}
		}
		if h == nil {
			return conf.Errorf(d, "unknown directive \"%s\"", d.Name)
		}
		if err := h(b, d); err != nil {
			if _, ok := err.(*conf.Error); ok {
				return err
			}
			return conf.Errorf(d, "%s", err.Error())
		}
	}
	return nil
}

// value compiles a directive argument that may hold variables.
func (b *builder) value(s string) *cvalue { return compileValue(b.vars, s) }

func (b *builder) newLoc(kind locKind, parent *LocConf, d *conf.Directive) *LocConf {
	l := &LocConf{kind: kind, parent: parent, srv: b.srv, s: newSettings(), confs: createConfs()}
	if d != nil {
		l.file, l.line = d.File, d.Line
	}
	return l
}

// setHandler gives a directive declared elsewhere (conf.Structural) its handler.
func setHandler(name string, h handler) {
	if handlers[name] != nil {
		panic("httpd: two handlers for directive " + name)
	}
	handlers[name] = h
}

func blockEvents(b *builder, d *conf.Directive) error { return b.run(d.Block, conf.Events) }

func blockHTTP(b *builder, d *conf.Directive) error {
	if b.http != nil {
		return conf.Errorf(d, "\"http\" directive is duplicate")
	}
	b.http = b.newLoc(locHTTP, nil, d)
	b.loc = b.http
	b.rt.http = b.http
	return b.run(d.Block, conf.HTTP)
}

func blockServer(b *builder, d *conf.Directive) error {
	s := &Server{}
	b.srv = s
	s.loc = b.newLoc(locServer, b.http, d)
	s.loc.named = map[string]*LocConf{}
	b.loc = s.loc
	if err := b.run(d.Block, conf.Server); err != nil {
		return err
	}
	if len(s.listens) == 0 {
		s.listens = []listen{{addr: "0.0.0.0:80"}}
	}
	if len(s.names) == 0 && len(s.wildStart) == 0 && len(s.wildEnd) == 0 && len(s.regexes) == 0 {
		s.names = []string{""}
	}
	b.rt.servers = append(b.rt.servers, s)
	b.srv, b.loc = nil, b.http
	return nil
}

func blockLocation(b *builder, d *conf.Directive) error {
	parent := b.loc
	var l *LocConf
	name := d.Args[0]
	mod := ""
	if len(d.Args) == 2 {
		mod, name = d.Args[0], d.Args[1]
	} else if strings.HasPrefix(name, "=") && len(name) > 1 {
		mod, name = "=", name[1:]
	} else if strings.HasPrefix(name, "~*") && len(name) > 2 {
		mod, name = "~*", name[2:]
	} else if strings.HasPrefix(name, "^~") && len(name) > 2 {
		mod, name = "^~", name[2:]
	} else if strings.HasPrefix(name, "~") && len(name) > 1 {
		mod, name = "~", name[1:]
	}
	switch mod {
	case "":
		if strings.HasPrefix(name, "@") {
			if parent.kind != locServer {
				return conf.Errorf(d, "named location \"%s\" can be on the server level only", name)
			}
			l = b.newLoc(locNamed, parent, d)
			b.srv.loc.named[name[1:]] = l
		} else {
			l = b.newLoc(locPrefix, parent, d)
			parent.static = append(parent.static, l)
		}
	case "=":
		l = b.newLoc(locExact, parent, d)
		parent.static = append(parent.static, l)
	case "^~":
		l = b.newLoc(locNoRegex, parent, d)
		parent.static = append(parent.static, l)
	case "~", "~*":
		l = b.newLoc(locRegex, parent, d)
		pat := name
		if mod == "~*" {
			pat = "(?i)" + pat
		}
		re, err := compileRegex(pat)
		if err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
		l.re = re
		parent.regex = append(parent.regex, l)
	default:
		return conf.Errorf(d, "invalid location modifier \"%s\"", mod)
	}
	if parent.kind == locExact || parent.kind == locNamed {
		return conf.Errorf(d, "location \"%s\" cannot be inside the exact location \"%s\"", name, parent.name)
	}
	if l.kind != locRegex && l.kind != locNamed {
		// two exact, or two inclusive (prefix, ^~), locations of one name
		for _, o := range parent.static {
			if o != l && o.name == name && (o.kind == locExact) == (l.kind == locExact) {
				return conf.Errorf(d, "duplicate location \"%s\"", name)
			}
		}
	}
	if parent.kind == locPrefix || parent.kind == locNoRegex {
		if l.kind != locRegex && !strings.HasPrefix(name, parent.name) {
			return conf.Errorf(d, "location \"%s\" is outside location \"%s\"", name, parent.name)
		}
	}
	l.name = name
	b.loc = l
	err := b.run(d.Block, conf.Location)
	b.loc = parent
	return err
}

// compileRegex compiles an nginx (PCRE) regex with Go's engine.
func compileRegex(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	return re, nil
}

// finalizeLocs merges settings down the tree and applies defaults.
func (b *builder) finalizeLocs() {
	b.http.s.defaults()
	mergeConfs(nil, b.http)
	for _, s := range b.rt.servers {
		s.loc.s.merge(&b.http.s)
		mergeConfs(b.http, s.loc)
		inheritHandlers(s.loc, b.http)
		mergeChildren(s.loc)
		for _, n := range s.loc.named {
			n.s.merge(&s.loc.s)
			mergeConfs(s.loc, n)
			inheritHandlers(n, s.loc)
			mergeChildren(n)
		}
	}
}

func mergeChildren(l *LocConf) {
	for _, set := range [][]*LocConf{l.static, l.regex, l.ifs} {
		for _, c := range set {
			c.s.merge(&l.s)
			mergeConfs(l, c)
			inheritHandlers(c, l)
			mergeChildren(c)
		}
	}
}

// inheritHandlers copies the Lua phase handlers lua-nginx-module merges
// from the enclosing level; "if" blocks also inherit the content handler.
func inheritHandlers(c, p *LocConf) {
	if c.rewriteLua == nil {
		c.rewriteLua = p.rewriteLua
	}
	if c.accessLua == nil {
		c.accessLua = p.accessLua
	}
	if c.headerFilterLua == nil {
		c.headerFilterLua = p.headerFilterLua
	}
	if c.bodyFilterLua == nil {
		c.bodyFilterLua = p.bodyFilterLua
	}
	if c.logLua == nil {
		c.logLua = p.logLua
	}
	if c.kind == locIf && c.handler == nil {
		c.handler = p.handler
	}
}

// path resolves a path relative to the prefix.
func (rt *Runtime) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(rt.prefix, p)
}

func atoiArg(d *conf.Directive, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive", s, d.Name)
	}
	return n, nil
}
