package conf

import (
	"sort"
	"sync"
)

// Context is a bitmask of the places a directive may appear, like nginx's
// NGX_MAIN_CONF / NGX_HTTP_SRV_CONF / ... command type bits.
type Context uint32

const (
	Main        Context = 1 << iota // top level of nginx.conf
	Events                          // events { }
	HTTP                            // http { }
	Server                          // http { server { } }
	Location                        // location { }
	ServerIf                        // if { } inside server
	LocationIf                      // if { } inside location
	Upstream                        // upstream { }
	Types                           // types { }
	Map                             // map { }
	LimitExcept                     // limit_except { }

	// Raw, as a Spec.Child, means the block's entries are free-form
	// (`text/html html htm;`, `~^/a 1;`): they are kept as Directives but
	// not looked up in the registry; `{` is an error in them, as in nginx's
	// custom cf->handler blocks.
	Raw

	// AnyContext is every context (nginx's NGX_ANY_CONF).
	AnyContext = Main | Events | HTTP | Server | Location | ServerIf | LocationIf |
		Upstream | Types | Map | LimitExcept
)

var contextNames = []struct {
	c    Context
	name string
}{
	{Main, "main"}, {Events, "events"}, {HTTP, "http"}, {Server, "server"},
	{Location, "location"}, {ServerIf, "if in server"}, {LocationIf, "if in location"},
	{Upstream, "upstream"}, {Types, "types"}, {Map, "map"}, {LimitExcept, "limit_except"},
	{Raw, "raw"},
}

func (c Context) String() string {
	s := ""
	for _, n := range contextNames {
		if c&n.c != 0 {
			if s != "" {
				s += "|"
			}
			s += n.name
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// Arity says how many arguments (after the name, before a block) a directive
// takes, with nginx's NGX_CONF_TAKE* semantics. Bits combine by OR.
// The zero Arity means NoArgs.
type Arity uint32

const (
	NoArgs Arity = 1 << iota
	Take1
	Take2
	Take3
	Take4
	Take5
	Take6
	Take7
	OneMore // at least one
	TwoMore // at least two
	Flag    // exactly one, "on" or "off" (case-insensitive, as ngx_conf_set_flag_slot)
	AnyArgs // no check at all (NGX_CONF_ANY)

	Take12   = Take1 | Take2
	Take13   = Take1 | Take3
	Take23   = Take2 | Take3
	Take123  = Take1 | Take2 | Take3
	Take1234 = Take1 | Take2 | Take3 | Take4
)

// maxArgs is NGX_CONF_MAX_ARGS: name plus seven arguments.
const maxArgs = 8

// Spec declares one directive, like an entry of an nginx module's
// ngx_command_t table.
type Spec struct {
	Name  string
	Ctx   Context // where it may appear
	Args  Arity   // argument count, not counting a *_by_lua_block body
	Block bool    // takes a { } block (NGX_CONF_BLOCK)
	Child Context // context of the block's children; Raw (possibly OR'ed with Types/Map) for free-form entries
}

// argsOK mirrors the argument-count test of ngx_conf_handler; n counts the
// arguments without the name.
func (a Arity) argsOK(n int) bool {
	if a == 0 {
		a = NoArgs
	}
	switch {
	case a&AnyArgs != 0:
		return true
	case a&Flag != 0:
		return n == 1
	case a&OneMore != 0:
		return n >= 1
	case a&TwoMore != 0:
		return n >= 2
	case n+1 > maxArgs:
		return false
	default:
		return a&(NoArgs<<uint(n)) != 0
	}
}

// Registry is a directive table. Runtime modules fill the package default
// one from init() with Register; tests can use their own.
type Registry struct {
	mu    sync.RWMutex
	specs map[string][]Spec
}

// NewRegistry returns an empty table ("include" is always understood).
func NewRegistry() *Registry {
	return &Registry{specs: make(map[string][]Spec)}
}

// Register adds directives. The same name may be registered several times
// with other contexts (nginx has `if` in server and in location with
// different child contexts); the first registration whose Ctx matches wins.
func (r *Registry) Register(specs ...Spec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range specs {
		r.specs[s.Name] = append(r.specs[s.Name], s)
	}
}

// Lookup returns the registrations of name, in registration order.
func (r *Registry) Lookup(name string) []Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.specs[name]
}

// Names returns every registered directive name, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.specs))
	for n := range r.specs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Default is the process-wide table used by Register and Load.
var Default = NewRegistry()

// Register adds specs to the Default registry.
func Register(specs ...Spec) { Default.Register(specs...) }

// Structural are the block directives that open nginx's contexts. They are
// registered in Default by this package because the Context grammar lives
// here; modules register everything else (including `server` inside
// upstream, which is a different, non-block directive).
var Structural = []Spec{
	{Name: "events", Ctx: Main, Args: NoArgs, Block: true, Child: Events},
	{Name: "http", Ctx: Main, Args: NoArgs, Block: true, Child: HTTP},
	{Name: "server", Ctx: HTTP, Args: NoArgs, Block: true, Child: Server},
	{Name: "location", Ctx: Server | Location, Args: Take12, Block: true, Child: Location},
	{Name: "if", Ctx: Server, Args: OneMore, Block: true, Child: ServerIf},
	{Name: "if", Ctx: Location, Args: OneMore, Block: true, Child: LocationIf},
	{Name: "upstream", Ctx: HTTP, Args: Take1, Block: true, Child: Upstream},
	{Name: "types", Ctx: HTTP | Server | Location, Args: NoArgs, Block: true, Child: Types | Raw},
	{Name: "map", Ctx: HTTP, Args: Take2, Block: true, Child: Map | Raw},
	{Name: "limit_except", Ctx: Location, Args: OneMore, Block: true, Child: LimitExcept},
}

func init() { Default.Register(Structural...) }
