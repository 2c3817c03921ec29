package httpd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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
	"unsafe"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/resolver"
	"github.com/valyala/fasthttp"
	lua "github.com/yuin/gopher-lua"
)

// Log levels re-exported for brevity inside the package.
const (
	LogAlert  = errlog.Alert
	LogCrit   = errlog.Crit
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
	regexMatchLimit                          int
	socketBufferSize                         int
	socketQuiet                              bool           // lua_socket_log_errors off
	sslTrusted                               *x509.CertPool // lua_ssl_trusted_certificate
	sslMinVersion, sslMaxVersion             uint16         // lua_ssl_protocols
	workerThreadVMs                          int            // lua_worker_thread_vm_pool_size
}

// Runtime is one loaded configuration: what a reload replaces.
type Runtime struct {
	prefix, confPath string
	cfg              *conf.Config

	http    *LocConf
	servers []*Server
	groups  map[string]*listenGroup
	vars    *varTable

	workerCount     int
	daemon          bool
	idleTimeout     time.Duration // keepalive_timeout at http level
	headerBuf       int           // large_client_header_buffers size at http level
	headerBufs      int           // and their number
	clientHeaderBuf int           // client_header_buffer_size at http level
	readTimeout     time.Duration // client_header_timeout / client_body_timeout
	writeTimeout    time.Duration // send_timeout
	single          bool          // master_process off
	pidPath         string
	errorLogPath    string
	errorLogLevel   int
	errlog          *errlog.Log
	confMsgs        []confMsg // warnings and alerts of the configuration
	env             []envVar

	initLua, initWorkerLua *luaHandler
	exitWorkerLua          *luaHandler // exit_worker_by_lua: run in each VM when the configuration is released
	luaPath, luaCPath      string
	sharedDicts            map[string]int64
	threadPools            map[string]*luabindings.ThreadPool // thread_pool blocks
	lua                    LuaSettings

	serverTokens string // "goresty/VERSION"
	amqpURL      string
	amqpBuffer   int
	// the resolver directive (nil: none) and resolver_timeout
	resolver        *resolver.Resolver
	resolverTimeout time.Duration
	mainConfs       []any // the modules' configuration-wide state (Module.MainConf)

	workers []*worker
	pool    *luabindings.Pool // hands requests to a free worker
	// limitRunning: some lua_max_running_time is set, the VMs check it
	limitRunning bool
	exiting      atomic.Bool
	inflight     atomic.Int64 // requests being served by this configuration
	closing      atomic.Bool  // Close began: no new request enters
	closeOnce    sync.Once
	// ctx ends when the configuration is released: its timers stop
	ctx    context.Context
	cancel context.CancelFunc
}

// Hooks let packages that build on the runtime take part in start-up
// without an import cycle (shared dicts, socket defaults, ...).
var (
	// BeforeVMs runs after the configuration is built, before Lua VMs exist.
	BeforeVMs []func(rt *Runtime) error
	// OnVM runs for every new worker VM before init_by_lua.
	OnVM []func(rt *Runtime, vm *luabindings.VM)
)

// OnServe runs when a configuration becomes the one served (start and
// each reload); OnReload after each reload attempt with its error.
var (
	OnServe  []func(rt *Runtime)
	OnReload []func(err error)
)

// connection counts of the process, nginx's stub_status numbers
var conns struct {
	open, idle, writing, accepted, requests atomic.Int64
	// the connections now idle, by the address of their net.Conn value:
	// a keepalive request's transitions add and remove one small entry
	mu     sync.Mutex
	idleAt map[uintptr]struct{}
}

// connKey identifies an open connection: the pointer its interface
// value holds (a *net.TCPConn, *tls.Conn, ...), unique while it is open.
func connKey(c net.Conn) uintptr { return (*[2]uintptr)(unsafe.Pointer(&c))[1] }

func connState(c net.Conn, st fasthttp.ConnState) {
	switch st {
	case fasthttp.StateNew, fasthttp.StateIdle:
		if st == fasthttp.StateNew {
			// a new connection waits for its first request: nginx's "Waiting"
			conns.open.Add(1)
			conns.accepted.Add(1)
		}
		conns.mu.Lock()
		if conns.idleAt == nil {
			conns.idleAt = map[uintptr]struct{}{}
		}
		conns.idleAt[connKey(c)] = struct{}{}
		conns.mu.Unlock()
		conns.idle.Add(1)
	case fasthttp.StateActive:
		leaveIdle(c)
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		leaveIdle(c)
		conns.open.Add(-1)
	}
}

func leaveIdle(c net.Conn) {
	k := connKey(c)
	conns.mu.Lock()
	_, was := conns.idleAt[k]
	if was {
		delete(conns.idleAt, k)
	}
	conns.mu.Unlock()
	if was {
		conns.idle.Add(-1)
	}
}

// VMs are the configuration's worker VMs (after StartLua).
func (rt *Runtime) VMs() []*luabindings.VM {
	out := make([]*luabindings.VM, len(rt.workers))
	for i, w := range rt.workers {
		out[i] = w.vm
	}
	return out
}

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
	rt := &Runtime{prefix: prefix, confPath: confPath, workerCount: 1,
		sharedDicts: map[string]int64{},
		mainConfs:   createMainConfs(), vars: newVarTable(),
		errorLogLevel: errlog.Err, serverTokens: "goresty/" + Version, daemon: true}
	rt.ctx, rt.cancel = context.WithCancel(context.Background())
	rt.lua = LuaSettings{maxPendingTimers: 1024, maxRunningTimers: 256, connectTimeout: 60 * time.Second,
		sendTimeout: 60 * time.Second, readTimeout: 60 * time.Second, keepaliveTimeout: 60 * time.Second,
		poolSize: 30, regexCacheMax: 1024, socketBufferSize: 4096, workerThreadVMs: 10}
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

// ThreadPools are the configuration's thread_pool directives by name.
func (rt *Runtime) ThreadPools() map[string]*luabindings.ThreadPool { return rt.threadPools }

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
			g.proxyProtocol = g.proxyProtocol || l.proxyProtocol
			g.http2 = g.http2 || l.http2
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
		rt.workers = append(rt.workers, rt.newWorker(i, env))
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

// newWorker makes a worker's VM with the configuration's Lua settings.
func (rt *Runtime) newWorker(i int, env map[string]string) *worker {
	w := &worker{id: i}
	vm := luabindings.NewVM(i, rt.workerCount, rt.prefix+"/", nil)
	vm.L.G.WrapNoPosition = true // lua-nginx-module's coroutine.wrap
	vm.Log = rt.vmLogger(vm)
	vm.LogRaw = func(level int, msg string) { rt.errlog.Write(level, 0, msg) }
	if rt.errlog != nil {
		vm.LogLevel = rt.errlog.Level()
	}
	vm.Exiting = rt.exiting.Load
	vm.Done = rt.ctx.Done()
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
	return w
}

// requestWorker makes the VM of one request under lua_code_cache off, as
// lua-nginx-module does: fresh globals and modules, init_by_lua run in
// it; it closes once the request and the timers it started let go.
func (rt *Runtime) requestWorker() (*worker, error) {
	w := rt.newWorker(0, workerEnv(rt.env))
	w.vm.SetRefCounted()
	if h := rt.initLua; h != nil {
		if err := rt.runInit(w, h, luabindings.PhaseInit); err != nil {
			w.vm.Close()
			return nil, err
		}
	}
	return w, nil
}

// runInit runs init_by_lua or init_worker_by_lua in w.
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

// runExitWorker runs exit_worker_by_lua in w once its requests and
// timers ended (stop, quit, or a reload that replaced the
// configuration); as lua-nginx-module, inline code that did not compile
// and any error are logged then.
func (rt *Runtime) runExitWorker(w *worker) {
	h := rt.exitWorkerLua
	if h == nil {
		return
	}
	what := "exit_worker_by_lua"
	var fn *lua.LFunction
	c := &luabindings.Ctx{VM: w.vm, Phase: luabindings.PhaseExitWorker}
	w.vm.Lock(c)
	defer w.vm.Unlock()
	if h.file != nil {
		what = "exit_worker_by_lua_file"
		path := rt.path(h.fileRaw)
		fc := loadFile(w.vm.L, path)
		switch {
		case fc.missing:
			msg, _ := fileOpenError(path, fc.err)
			rt.errlog.Write(LogErr, 0, what+" error: "+msg)
			return
		case fc.err != nil:
			rt.errlog.Write(LogErr, 0, what+" error: "+fc.err.Error())
			return
		}
		fn = fc.fn
	} else {
		if h.loadErr != nil {
			rt.errlog.Write(LogErr, 0, what+" error: "+h.loadErr.Error())
			return
		}
		fn = w.vm.L.NewFunctionFromProto(h.proto)
	}
	if _, err := w.vm.Call(c, fn); err != nil && !errors.Is(err, luabindings.ErrExit) {
		rt.errlog.Write(LogErr, 0, what+" error: "+luaErrorText(err))
	}
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
			msg += c.LogCtx
		}
		if rt.errlog != nil {
			rt.errlog.Write(level, 0, msg)
		}
	}
}

// exit tells the configuration's Lua that it is leaving:
// ngx.worker.exiting() turns true and pending timers run prematurely.
func (rt *Runtime) exit() {
	rt.exiting.Store(true)
	rt.cancel()
}

// enter counts a request served by this configuration; false once it is
// closing (the caller answers without it).
func (rt *Runtime) enter() bool {
	rt.inflight.Add(1)
	if rt.closing.Load() {
		rt.inflight.Add(-1)
		return false
	}
	return true
}

func (rt *Runtime) leave() { rt.inflight.Add(-1) }

// timerGrace bounds how long Close waits for the Lua that runs outside
// requests (timers, their premature runs) before it leaves the VMs open.
var timerGrace = 30 * time.Second

// Close releases everything the configuration started, once no request
// uses it: its timers are cancelled (they run once more, prematurely),
// then its VMs, the modules' files and its error log are closed. It is
// called for a replaced, a rejected and a stopped configuration; calls
// after the first do nothing.
func (rt *Runtime) Close() {
	rt.closeOnce.Do(rt.close)
}

func (rt *Runtime) close() {
	rt.exit()
	rt.closing.Store(true)
	for rt.inflight.Load() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		for _, w := range rt.workers {
			w.vm.Background.Wait()
		}
		close(done)
	}()
	t := time.NewTimer(timerGrace)
	select {
	case <-done:
		t.Stop()
		for _, w := range rt.workers {
			rt.runExitWorker(w)
		}
		for _, w := range rt.workers {
			c := &luabindings.Ctx{VM: w.vm}
			w.vm.Lock(c)
			w.vm.Close()
			w.vm.Unlock()
		}
	case <-t.C:
		// a timer that does not end keeps its VM; the rest goes
		rt.errlog.Write(errlog.Alert, 0, "lua timers still running after the configuration was released")
	}
	for _, m := range modules {
		if m.Closed != nil {
			m.Closed(rt)
		}
	}
	rt.errlog.Close()
}

// Reopen opens the configuration's log files again (-s reopen): the
// error log and each module's files.
func (rt *Runtime) Reopen() error {
	err := rt.errlog.Reopen()
	for _, m := range modules {
		if m.Reopen != nil {
			if e := m.Reopen(rt); e != nil && err == nil {
				err = e
			}
		}
	}
	return err
}

// Start opens the logs, starts the Lua workers and serves the
// configuration: what "goresty -p -c" does. On error everything it
// started is released.
func (rt *Runtime) Start() (*Process, error) {
	p, err := NewProcess(rt)
	if err != nil {
		rt.Close()
	}
	return p, err
}

// start opens the logs and starts Lua unless done already.
func (rt *Runtime) start() error {
	if rt.errlog == nil {
		if err := rt.OpenLogs(); err != nil {
			return err
		}
	}
	if rt.pool == nil {
		return rt.StartLua()
	}
	return nil
}

// Process owns the listening sockets and serves the current Runtime.
// Each configuration has its own fasthttp server per address (its
// timeouts and buffer sizes); a socket's accepted connections go to the
// server of the configuration being served, so a reload applies new
// listener settings to addresses that stay, while connections accepted
// before finish on the old configuration.
type Process struct {
	mu    sync.Mutex
	cur   atomic.Pointer[Runtime]
	ports map[string]*port
	wg    sync.WaitGroup
}

// port is one listening socket and the server that gets its connections.
type port struct {
	ln  net.Listener
	q   atomic.Pointer[connQueue]
	srv *fasthttp.Server
}

// NewProcess starts serving rt (starting its logs and Lua first when
// that was not done). On error the caller closes rt, after logging.
func NewProcess(rt *Runtime) (*Process, error) {
	if err := rt.start(); err != nil {
		return nil, err
	}
	p := &Process{ports: map[string]*port{}}
	bound, err := p.bind(rt)
	if err != nil {
		return nil, err
	}
	p.cur.Store(rt)
	// the servers are attached before the sockets are accepted from: a
	// connection accepted with no server would be closed
	p.serve(rt)
	for _, pt := range bound {
		p.wg.Add(1)
		go p.accept(pt)
	}
	for _, h := range OnServe {
		h(rt)
	}
	return p, nil
}

// bind opens the sockets of rt's addresses that are not open yet. On
// error the sockets it opened are closed again.
func (p *Process) bind(rt *Runtime) ([]*port, error) {
	opened := map[string]*port{}
	for _, addr := range rt.Addrs() {
		if _, ok := p.ports[addr]; ok {
			continue
		}
		network, laddr := "tcp", addr
		if path, ok := strings.CutPrefix(addr, "unix:"); ok {
			network, laddr = "unix", path
		}
		ln, err := net.Listen(network, laddr)
		if err != nil {
			for _, pt := range opened {
				pt.ln.Close()
			}
			return nil, fmt.Errorf("bind() to %s failed %s", addr, conf.ErrnoText(err))
		}
		opened[addr] = &port{ln: ln}
	}
	bound := make([]*port, 0, len(opened))
	for addr, pt := range opened {
		p.ports[addr] = pt
		bound = append(bound, pt)
	}
	return bound, nil
}

// accept hands the socket's connections to the current server.
func (p *Process) accept(pt *port) {
	defer p.wg.Done()
	for {
		c, err := pt.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// out of descriptors and the like: nginx retries as well
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for {
			q := pt.q.Load()
			if q == nil {
				c.Close()
				break
			}
			select {
			case q.ch <- c:
			case <-q.done:
				if pt.q.Load() == q {
					// the socket is being closed
					c.Close()
					break
				}
				continue
			}
			break
		}
	}
}

// serve starts rt's server on each of its addresses and closes the
// sockets rt does not use; the servers it replaces stop taking
// connections, finish the ones they have and are returned.
func (p *Process) serve(rt *Runtime) []*fasthttp.Server {
	var old []*fasthttp.Server
	for addr, pt := range p.ports {
		g := rt.groups[addr]
		if g == nil {
			pt.ln.Close()
			if q := pt.q.Swap(nil); q != nil {
				q.Close()
			}
			old = append(old, pt.srv)
			delete(p.ports, addr)
			continue
		}
		q := &connQueue{ch: make(chan net.Conn), done: make(chan struct{}), addr: pt.ln.Addr()}
		srv := rt.newServer(addr, g)
		var ln net.Listener = &ppListener{Listener: q, p: p, addr: addr}
		if g.ssl {
			// certificates come from the configuration being served
			tc := g.tls
			if g.http2 && tc != nil {
				tc = tc.Clone()
				tc.NextProtos = append([]string{"h2"}, tc.NextProtos...)
			}
			lua := g.hasSSLLua()
			ln = tls.NewListener(q, &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				if tc == nil {
					return nil, fmt.Errorf("no certificate for %s", addr)
				}
				if lua {
					return rt.sslHandshakeConfig(g, tc, hello)
				}
				return tc, nil
			}})
		}
		if g.http2 {
			ln = newH2Listener(ln, rt.newH2Service(g), g.ssl)
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			srv.Serve(ln)
		}()
		if pt.srv != nil {
			old = append(old, pt.srv)
		}
		pt.srv = srv
		if prev := pt.q.Swap(q); prev != nil {
			prev.Close()
		}
	}
	return old
}

// newServer is the fasthttp server of one address of rt.
func (rt *Runtime) newServer(addr string, g *listenGroup) *fasthttp.Server {
	idle := rt.idleTimeout
	if idle <= 0 {
		idle = 75 * time.Second // nginx's keepalive_timeout default
	}
	return &fasthttp.Server{
		Handler: func(fc *fasthttp.RequestCtx) {
			if !rt.enter() {
				fc.SetConnectionClose()
				fc.SetStatusCode(503)
				return
			}
			conns.writing.Add(1)
			conns.requests.Add(1)
			rt.serve(fc, g, nil)
			conns.writing.Add(-1)
			rt.leave()
		},
		ConnState: connState,
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			return rt.headerReceived(g, h)
		},
		ErrorHandler:                 rt.errorHandler(g),
		Logger:                       fasthttpLogger{rt},
		SecureErrorLogMessage:        true,
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		NoDefaultDate:                false,
		// a connection reads into client_header_buffer_size first; a
		// header that does not fit moves to a buffer the whole block of
		// large_client_header_buffers fits in (nginx: 4 of them)
		InitialReadBufferSize: g.def.clientHeaderBuf,
		ReadBufferSize:        g.def.headerBufs * g.def.headerBuf,
		// bodies are streamed and bounded per location (body.go)
		MaxRequestBodySize: math.MaxInt,
		StreamRequestBody:  true,
		// the handler runs once the header is in: a streamed body
		// (ngx.req.socket, proxy_request_buffering off) is read as it
		// arrives (third_party/fasthttp/PATCHES.md)
		StreamBodyNoWait: true,
		// a keepalive connection idle for 50 ms holds no buffer,
		// request context or goroutine (third_party/fasthttp/PATCHES.md)
		ReduceMemoryUsage: true,
		ParkIdleConns:     true,
		ParkIdleAfter:     50 * time.Millisecond,
		// a header block ended by a bare "\n\n" is answered at once
		EmptyLineEndsHeader: true,
		HandlerChecksHeader: true,
		CloseOnShutdown:     true,
		IdleTimeout:         idle,
		ReadTimeout:         orDefault(rt.readTimeout, 60*time.Second),
		WriteTimeout:        orDefault(rt.writeTimeout, 60*time.Second),
	}
}

// connQueue is a listener fed by a port's accept loop: what one
// configuration's server accepts from.
type connQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Current is the configuration being served.
func (p *Process) Current() *Runtime { return p.cur.Load() }

// Reload serves next from now on (starting its logs and Lua first when
// that was not done); the old configuration finishes its connections and
// is closed in the background. When next cannot be served, everything it
// started is released and the running configuration stays.
func (p *Process) Reload(next *Runtime) error {
	err := p.reload(next)
	for _, h := range OnReload {
		h(err)
	}
	return err
}

func (p *Process) reload(next *Runtime) error {
	if err := next.start(); err != nil {
		next.Close()
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := reloaded(p.cur.Load(), next); err != nil {
		next.Close()
		return err
	}
	bound, err := p.bind(next)
	if err != nil {
		next.Close()
		return err
	}
	prev := p.cur.Swap(next)
	old := p.serve(next)
	for _, pt := range bound {
		p.wg.Add(1)
		go p.accept(pt)
	}
	for _, h := range OnServe {
		h(next)
	}
	go func() {
		retire(old, false)
		prev.Close()
	}()
	return nil
}

// retire stops servers: they finish the requests they have and close
// their connections (at once when fast).
func retire(srvs []*fasthttp.Server, fast bool) {
	ctx, cancel := context.WithCancel(context.Background())
	if fast {
		cancel()
	} else {
		defer cancel()
	}
	var wg sync.WaitGroup
	for _, s := range srvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ShutdownWithContext(ctx)
		}()
	}
	wg.Wait()
}

// Shutdown stops serving and closes the configuration; graceful waits
// (up to 30 s) for in-flight requests and the premature timer runs.
func (p *Process) Shutdown(graceful bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rt := p.cur.Load()
	var srvs []*fasthttp.Server
	for _, pt := range p.ports {
		pt.ln.Close()
		if q := pt.q.Swap(nil); q != nil {
			q.Close()
		}
		srvs = append(srvs, pt.srv)
	}
	p.ports = map[string]*port{}
	rt.exit()
	if graceful {
		withTimeout(30*time.Second, func(ctx context.Context) {
			for _, s := range srvs {
				s.ShutdownWithContext(ctx)
			}
		})
		rt.Close()
		return
	}
	retire(srvs, true)
	go rt.Close()
}

// Wait blocks until every listener stopped serving.
func (p *Process) Wait() { p.wg.Wait() }

// RegexCacheMax is lua_regex_cache_max_entries.
func (s LuaSettings) RegexCacheMax() int { return s.regexCacheMax }

// RegexMatchLimit is lua_regex_match_limit (0: the engine's default).
func (s LuaSettings) RegexMatchLimit() int { return s.regexMatchLimit }

// MaxPendingTimers is lua_max_pending_timers.
func (s LuaSettings) MaxPendingTimers() int { return s.maxPendingTimers }

// WorkerThreadVMs is lua_worker_thread_vm_pool_size.
func (s LuaSettings) WorkerThreadVMs() int { return s.workerThreadVMs }

// MaxRunningTimers is lua_max_running_timers.
func (s LuaSettings) MaxRunningTimers() int { return s.maxRunningTimers }

// ApplySocket copies the lua_socket_* settings.
func (s LuaSettings) ApplySocket(connect, send, read, keepalive *time.Duration, pool *int) {
	*connect, *send, *read, *keepalive, *pool = s.connectTimeout, s.sendTimeout, s.readTimeout, s.keepaliveTimeout, s.poolSize
}

// SocketBufferSize is lua_socket_buffer_size.
func (s LuaSettings) SocketBufferSize() int { return s.socketBufferSize }

// SSLClient is lua_ssl_trusted_certificate (nil: none given) and the
// version range of lua_ssl_protocols (0: Go's defaults).
func (s LuaSettings) SSLClient() (roots *x509.CertPool, minVersion, maxVersion uint16) {
	return s.sslTrusted, s.sslMinVersion, s.sslMaxVersion
}

// SocketLogErrors is lua_socket_log_errors.
func (s LuaSettings) SocketLogErrors() bool { return !s.socketQuiet }

// SingleProcess reports master_process off (ngx.process.type() "single").
func (rt *Runtime) SingleProcess() bool { return rt.single }

// AMQP is the amqp_url directive: broker URL and publish buffer size.
func (rt *Runtime) AMQP() (string, int) { return rt.amqpURL, rt.amqpBuffer }

// OnRequestEnd runs when a request's Lua context is done (closing the
// cosockets it left open).
var OnRequestEnd []func(c *luabindings.Ctx)
