package httpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
	"github.com/valyala/fasthttp"
	lua "github.com/yuin/gopher-lua"
)

// Log levels re-exported for brevity inside the package.
const (
	LogErr    = errlog.Err
	LogWarn   = errlog.Warn
	LogNotice = errlog.Notice
	LogInfo   = errlog.Info
	LogDebug  = errlog.Debug
)

// LuaSettings are the lua_* directives that tune the Lua runtime.
type LuaSettings struct {
	maxPendingTimers, maxRunningTimers       int
	connectTimeout, sendTimeout, readTimeout time.Duration
	keepaliveTimeout                         time.Duration
	poolSize, regexCacheMax                  int
}

// Runtime is one loaded configuration: what a reload replaces.
type Runtime struct {
	prefix, confPath string
	cfg              *conf.Config

	http           *LocConf
	servers        []*Server
	groups         map[string]*listenGroup
	upstreams      map[string]*Upstream
	pendingProxies []*proxyPass
	vars           *varTable

	workerCount   int
	daemon        bool
	idleTimeout   time.Duration // keepalive_timeout at http level
	headerBuf     int           // large_client_header_buffers size at http level
	headerBufs    int           // and their number
	readTimeout   time.Duration // client_header_timeout / client_body_timeout
	writeTimeout  time.Duration // send_timeout
	single        bool          // master_process off
	pidPath       string
	errorLogPath  string
	errorLogLevel int
	errlog        *errlog.Log
	confMsgs      []confMsg // warnings and alerts of the configuration
	env           []envVar

	initLua, initWorkerLua *luaHandler
	luaPath, luaCPath      string
	codeCache              bool
	sharedDicts            map[string]int64
	lua                    LuaSettings

	serverTokens string // "goresty/VERSION"
	amqpURL      string
	amqpBuffer   int
	mainConfs    []any // the modules' configuration-wide state (Module.MainConf)

	workers []*worker
	pool    *luabindings.Pool // hands requests to a free worker
	// limitRunning: some lua_max_running_time is set, the VMs check it
	limitRunning bool
	clients      map[string]*fasthttp.HostClient
	clientsMu    sync.Mutex
	exiting      atomic.Bool
	inflight     atomic.Int64 // requests being served by this configuration
}

// Hooks let packages that build on the runtime take part in start-up
// without an import cycle (shared dicts, socket defaults, ...).
var (
	// BeforeVMs runs after the configuration is built, before Lua VMs exist.
	BeforeVMs []func(rt *Runtime) error
	// OnVM runs for every new worker VM before init_by_lua.
	OnVM []func(rt *Runtime, vm *luabindings.VM)
)

// Options are what the command line adds to a configuration.
type Options struct {
	// Globals are -g directives, read before the file in the main context.
	Globals string
	// ErrorLog is -e: the error log when the main context names none
	// ("stderr" allowed; relative to the prefix).
	ErrorLog string
}

// Load parses and builds a configuration without starting anything.
func Load(prefix, confPath string) (*Runtime, error) {
	return LoadWith(prefix, confPath, Options{})
}

// LoadWith is Load with command-line options.
func LoadWith(prefix, confPath string, o Options) (*Runtime, error) {
	prefix, _ = filepath.Abs(prefix)
	if !filepath.IsAbs(confPath) {
		confPath = filepath.Join(prefix, confPath)
	}
	rt := &Runtime{prefix: prefix, confPath: confPath, workerCount: 1, codeCache: true,
		upstreams: map[string]*Upstream{}, sharedDicts: map[string]int64{},
		mainConfs: createMainConfs(), clients: map[string]*fasthttp.HostClient{}, vars: newVarTable(),
		errorLogLevel: errlog.Err, serverTokens: "goresty/" + Version, daemon: true}
	rt.lua = LuaSettings{maxPendingTimers: 1024, maxRunningTimers: 256, connectTimeout: 60 * time.Second,
		sendTimeout: 60 * time.Second, readTimeout: 60 * time.Second, keepaliveTimeout: 60 * time.Second,
		poolSize: 30, regexCacheMax: 1024}
	cfg, err := conf.LoadWithGlobals(confPath, o.Globals)
	if err != nil {
		return nil, err
	}
	rt.cfg = cfg
	b := &builder{rt: rt, vars: rt.vars}
	if err := b.run(cfg.Main, conf.Main); err != nil {
		return nil, err
	}
	if b.http == nil {
		b.http = b.newLoc(locHTTP, nil, nil)
		rt.http = b.http
	}
	if name := rt.vars.resolve(); name != "" {
		return nil, &conf.Error{Msg: fmt.Sprintf("unknown \"%s\" variable", name)}
	}
	rt.resolveProxies()
	b.finalizeLocs()
	if err := rt.buildGroups(); err != nil {
		return nil, err
	}
	rt.setBodyLimits()
	if err := rt.configured(); err != nil {
		return nil, err
	}
	if rt.errorLogPath == "" {
		rt.errorLogPath = DefaultErrorLog(prefix, o.ErrorLog)
	}
	return rt, nil
}

// DefaultErrorLog is the error log used before a configuration is read
// and when it names none: -e (elog) or logs/error.log, under the prefix.
func DefaultErrorLog(prefix, elog string) string {
	switch {
	case elog == "":
		return filepath.Join(prefix, "logs/error.log")
	case elog == "stderr" || filepath.IsAbs(elog):
		return elog
	}
	return filepath.Join(prefix, elog)
}

// Daemon reports "daemon on" (nginx's default).
func (rt *Runtime) Daemon() bool { return rt.daemon }

// Prefix is the server prefix (-p).
func (rt *Runtime) Prefix() string { return rt.prefix }

// Config is the parsed configuration (for -T).
func (rt *Runtime) Config() *conf.Config { return rt.cfg }

// PidPath is where the pid file goes ("" for none).
func (rt *Runtime) PidPath() string {
	if rt.pidPath == "" {
		return filepath.Join(rt.prefix, "logs/nginx.pid")
	}
	return rt.pidPath
}

// SharedDicts are the lua_shared_dict zones (name to size).
func (rt *Runtime) SharedDicts() map[string]int64 { return rt.sharedDicts }

// ErrorLog is the process error log.
func (rt *Runtime) ErrorLog() *errlog.Log { return rt.errlog }

// Workers is the number of Lua workers.
func (rt *Runtime) Workers() int { return rt.workerCount }

// LuaSettings returns the lua_socket_* and timer settings.
func (rt *Runtime) LuaSettings() LuaSettings { return rt.lua }

func (rt *Runtime) buildGroups() error {
	rt.groups = map[string]*listenGroup{}
	for _, s := range rt.servers {
		for _, l := range s.listens {
			g := rt.groups[l.addr]
			if g == nil {
				g = &listenGroup{addr: l.addr}
				rt.groups[l.addr] = g
			}
			g.servers = append(g.servers, s)
			g.ssl = g.ssl || l.ssl
			if l.defaultSrv {
				if g.def != nil && g.def != s {
					return &conf.Error{Msg: fmt.Sprintf("a duplicate default server for %s", l.addr)}
				}
				g.def = s
			}
		}
	}
	for _, g := range rt.groups {
		if g.def == nil {
			g.def = g.servers[0]
		}
	}
	return nil
}

// Addrs lists the listen addresses, sorted.
func (rt *Runtime) Addrs() []string {
	var out []string
	for a := range rt.groups {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// OpenLogs opens the error log named by the configuration.
func (rt *Runtime) OpenLogs() error {
	l, err := errlog.Open(rt.errorLogPath, rt.errorLogLevel)
	if err != nil {
		return err
	}
	rt.errlog = l
	for _, m := range rt.confMsgs {
		l.Write(m.level, 0, m.text)
	}
	return nil
}

// ConfigMessages are the configuration's warnings and alerts as nginx
// prints them on stderr ("[alert] MSG in FILE:LINE").
func (rt *Runtime) ConfigMessages() []string {
	var out []string
	for _, m := range rt.confMsgs {
		out = append(out, "["+errlog.LevelName(m.level)+"] "+m.text)
	}
	return out
}

// StartLua makes the worker VMs and runs init_by_lua and
// init_worker_by_lua in each.
func (rt *Runtime) StartLua() error {
	env := workerEnv(rt.env)
	for _, h := range BeforeVMs {
		if err := h(rt); err != nil {
			return err
		}
	}
	for i := 0; i < rt.workerCount; i++ {
		w := &worker{id: i}
		vm := luabindings.NewVM(i, rt.workerCount, rt.prefix+"/", nil)
		vm.L.G.WrapNoPosition = true // lua-nginx-module's coroutine.wrap
		vm.Log = rt.vmLogger(vm)
		vm.Exiting = rt.exiting.Load
		w.vm = vm
		setGetenv(vm.L, env)
		if rt.limitRunning {
			vm.LimitRunningTime()
		}
		pkg := vm.L.GetGlobal("package").(*lua.LTable)
		if rt.luaPath != "" {
			pkg.RawSetString("path", lua.LString(rt.luaPath))
		} else {
			pkg.RawSetString("path", lua.LString(defaultLuaPath()))
		}
		if rt.luaCPath != "" {
			pkg.RawSetString("cpath", lua.LString(rt.luaCPath))
		}
		for _, h := range OnVM {
			h(rt, vm)
		}
		rt.workers = append(rt.workers, w)
	}
	vms := make([]*luabindings.VM, len(rt.workers))
	for i, w := range rt.workers {
		vms[i] = w.vm
	}
	rt.pool = luabindings.NewPool(vms)
	for _, w := range rt.workers {
		if h := rt.initLua; h != nil {
			if err := rt.runInit(w, h, luabindings.PhaseInit); err != nil {
				return err
			}
		}
	}
	for _, w := range rt.workers {
		if h := rt.initWorkerLua; h != nil {
			if err := rt.runInit(w, h, luabindings.PhaseInitWorker); err != nil {
				rt.errlog.Write(LogErr, 0, "init_worker_by_lua error: "+err.Error())
			}
		}
	}
	return nil
}

func (rt *Runtime) runInit(w *worker, h *luaHandler, phase luabindings.Phase) error {
	c := &luabindings.Ctx{VM: w.vm, Phase: phase}
	w.vm.Lock(c)
	defer w.vm.Unlock()
	if phase == luabindings.PhaseInit {
		// no request yet: lua-nginx-module's coroutine.wrap falls back
		// to LuaJIT's, which adds the caller's position to an error
		w.vm.L.G.WrapNoPosition = false
		defer func() { w.vm.L.G.WrapNoPosition = true }()
	}
	var fn *lua.LFunction
	if h.file != nil {
		path := rt.path(h.fileRaw)
		fc := loadFile(w.vm.L, path)
		if fc.missing {
			msg, _ := fileOpenError(path, fc.err)
			return fmt.Errorf("failed to load the Lua file \"%s\": %s", path, msg)
		}
		if fc.err != nil {
			return fc.err
		}
		fn = fc.fn
	} else {
		if h.loadErr != nil {
			return fmt.Errorf("failed to load the inlined Lua code: %s", h.loadErr.Error())
		}
		fn = w.vm.L.NewFunctionFromProto(h.proto)
	}
	if _, err := w.vm.Call(c, fn); err != nil && !errors.Is(err, luabindings.ErrExit) {
		return fmt.Errorf("%s error: %s", phase.Directive(), luaErrorText(err))
	}
	return nil
}

// vmLogger writes ngx.log output; inside a request it gets nginx's
// request context suffix.
func (rt *Runtime) vmLogger(vm *luabindings.VM) func(int, string) {
	return func(level int, msg string) {
		if c := vm.Current(); c != nil {
			if r, ok := c.Req.(*Request); ok && r != nil {
				r.logf(level, "%s", msg)
				return
			}
		}
		if rt.errlog != nil {
			rt.errlog.Write(level, 0, msg)
		}
	}
}

// Handler returns the fasthttp handler for a listen address.
func (rt *Runtime) group(addr string) *listenGroup { return rt.groups[addr] }

// Close releases the configuration's resources once no request uses it.
func (rt *Runtime) Close() {
	rt.exiting.Store(true)
	// a handler may have loaded this configuration just before the swap:
	// give it time to register, then wait for the in-flight requests
	time.Sleep(100 * time.Millisecond)
	for rt.inflight.Load() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	for _, w := range rt.workers {
		c := &luabindings.Ctx{VM: w.vm}
		w.vm.Lock(c)
		w.vm.Unlock()
	}
	for _, m := range modules {
		if m.Closed != nil {
			m.Closed(rt)
		}
	}
}

// Start opens the logs, starts the Lua workers and serves the
// configuration: what "goresty -p -c" does.
func (rt *Runtime) Start() (*Process, error) {
	if err := rt.OpenLogs(); err != nil {
		return nil, err
	}
	if err := rt.StartLua(); err != nil {
		return nil, err
	}
	return NewProcess(rt)
}

// Process owns the listeners and serves the current Runtime; Reload
// swaps in a new one while in-flight requests finish on the old.
type Process struct {
	mu        sync.Mutex
	cur       atomic.Pointer[Runtime]
	listeners map[string]net.Listener
	servers   map[string]*fasthttp.Server
	wg        sync.WaitGroup
}

// NewProcess starts serving rt.
func NewProcess(rt *Runtime) (*Process, error) {
	p := &Process{listeners: map[string]net.Listener{}, servers: map[string]*fasthttp.Server{}}
	p.cur.Store(rt)
	if err := p.listen(rt); err != nil {
		p.closeListeners()
		return nil, err
	}
	return p, nil
}

func (p *Process) listen(rt *Runtime) error {
	for _, addr := range rt.Addrs() {
		if _, ok := p.listeners[addr]; ok {
			continue
		}
		network, laddr := "tcp", addr
		if path, ok := strings.CutPrefix(addr, "unix:"); ok {
			network, laddr = "unix", path
		}
		ln, err := net.Listen(network, laddr)
		if err != nil {
			return fmt.Errorf("bind() to %s failed %s", addr, conf.ErrnoText(err))
		}
		addr := addr
		if g := rt.groups[addr]; g.ssl {
			// certificates come from the configuration being served, so
			// a reload replaces them on the same listener
			ln = tls.NewListener(ln, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				if g := p.cur.Load().groups[addr]; g != nil && g.tls != nil {
					return g.tls, nil
				}
				return nil, fmt.Errorf("no certificate for %s", addr)
			}})
		}
		idle := rt.idleTimeout
		if idle <= 0 {
			idle = 75 * time.Second // nginx's keepalive_timeout default
		}
		srv := &fasthttp.Server{
			Handler: func(fc *fasthttp.RequestCtx) {
				rt := p.cur.Load()
				g := rt.group(addr)
				if g == nil {
					fc.SetConnectionClose()
					fc.SetStatusCode(503)
					return
				}
				rt.inflight.Add(1)
				rt.serve(fc, g)
				rt.inflight.Add(-1)
			},
			HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
				return p.headerReceived(addr, h)
			},
			ErrorHandler:                 p.errorHandler(addr),
			Logger:                       fasthttpLogger{p},
			SecureErrorLogMessage:        true,
			DisablePreParseMultipartForm: true,
			NoDefaultServerHeader:        true,
			NoDefaultContentType:         true,
			NoDefaultDate:                false,
			// the whole request header must fit: nginx allows 4 large
			// buffers (nginx: 4 of them); fasthttp keeps this buffer on
			// idle connections while bodies are streamed
			ReadBufferSize: rt.groups[addr].def.headerBufs * rt.groups[addr].def.headerBuf,
			// bodies are streamed and bounded per location (body.go)
			MaxRequestBodySize: math.MaxInt,
			StreamRequestBody:  true,
			// idle keepalive connections hold no buffers
			ReduceMemoryUsage: true,
			CloseOnShutdown:   true,
			IdleTimeout:       idle,
			ReadTimeout:       orDefault(rt.readTimeout, 60*time.Second),
			WriteTimeout:      orDefault(rt.writeTimeout, 60*time.Second),
		}
		p.listeners[addr] = ln
		p.servers[addr] = srv
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			srv.Serve(ln)
		}()
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Current is the configuration being served.
func (p *Process) Current() *Runtime { return p.cur.Load() }

// Reload serves next from now on; the old configuration finishes its
// in-flight requests and is closed in the background.
func (p *Process) Reload(next *Runtime) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.listen(next); err != nil {
		return err
	}
	old := p.cur.Swap(next)
	for addr, ln := range p.listeners {
		if next.groups[addr] == nil {
			ln.Close()
			delete(p.listeners, addr)
			delete(p.servers, addr)
		}
	}
	go old.Close()
	return nil
}

// Shutdown stops accepting; graceful waits for in-flight requests.
func (p *Process) Shutdown(graceful bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if graceful {
		withTimeout(30*time.Second, func(ctx context.Context) {
			for _, s := range p.servers {
				s.ShutdownWithContext(ctx)
			}
		})
	} else {
		p.closeListeners()
	}
	p.cur.Load().exiting.Store(true)
}

func (p *Process) closeListeners() {
	for _, ln := range p.listeners {
		ln.Close()
	}
}

// Wait blocks until every listener stopped serving.
func (p *Process) Wait() { p.wg.Wait() }

// RegexCacheMax is lua_regex_cache_max_entries.
func (s LuaSettings) RegexCacheMax() int { return s.regexCacheMax }

// MaxPendingTimers is lua_max_pending_timers.
func (s LuaSettings) MaxPendingTimers() int { return s.maxPendingTimers }

// MaxRunningTimers is lua_max_running_timers.
func (s LuaSettings) MaxRunningTimers() int { return s.maxRunningTimers }

// ApplySocket copies the lua_socket_* settings.
func (s LuaSettings) ApplySocket(connect, send, read, keepalive *time.Duration, pool *int) {
	*connect, *send, *read, *keepalive, *pool = s.connectTimeout, s.sendTimeout, s.readTimeout, s.keepaliveTimeout, s.poolSize
}

// SingleProcess reports master_process off (ngx.process.type() "single").
func (rt *Runtime) SingleProcess() bool { return rt.single }

// AMQP is the amqp_url directive: broker URL and publish buffer size.
func (rt *Runtime) AMQP() (string, int) { return rt.amqpURL, rt.amqpBuffer }

// OnRequestEnd runs when a request's Lua context is done (closing the
// cosockets it left open).
var OnRequestEnd []func(c *luabindings.Ctx)
