package httpd

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
	lua "github.com/yuin/gopher-lua"
)

const (
	main = conf.Main
	hSL  = conf.HTTP | conf.Server | conf.Location
	hSLI = hSL | conf.LocationIf
	sLI  = conf.Server | conf.Location | conf.LocationIf
	lLI  = conf.Location | conf.LocationIf
)

// coreModule is ngx_http_core_module with the main and events contexts,
// the access module (allow, deny) and charset. Its settings are the
// LocConf's own (the settings struct), not a slot.
var coreModule = &Module{
	Name: "core",
	Commands: []Command{
		// main context
		Directive(setWorkerProcesses, conf.Spec{Name: "worker_processes", Ctx: main, Args: conf.Take1}),
		Directive(setDaemon, conf.Spec{Name: "daemon", Ctx: main, Args: conf.Flag}),
		Directive(setPid, conf.Spec{Name: "pid", Ctx: main, Args: conf.Take1}),
		Directive(setErrorLog, conf.Spec{Name: "error_log", Ctx: main | hSL, Args: conf.OneMore}),
		Directive(setMasterProcess, conf.Spec{Name: "master_process", Ctx: main, Args: conf.Flag}),
		Directive(setEnv, conf.Spec{Name: "env", Ctx: main, Args: conf.Take1}),
		Directive(setThreadPool, conf.Spec{Name: "thread_pool", Ctx: main, Args: conf.Take23}),
		{Name: "events", Set: blockEvents},
		// http core
		{Name: "http", Set: blockHTTP},
		{Name: "server", Set: blockServer},
		{Name: "location", Set: blockLocation},
		Directive(setListen, conf.Spec{Name: "listen", Ctx: conf.Server, Args: conf.OneMore}),
		Directive(setServerName, conf.Spec{Name: "server_name", Ctx: conf.Server, Args: conf.OneMore}),
		Directive(setRoot, conf.Spec{Name: "root", Ctx: hSLI, Args: conf.Take1}),
		Directive(setAlias, conf.Spec{Name: "alias", Ctx: conf.Location, Args: conf.Take1}),
		Directive(setDefaultType, conf.Spec{Name: "default_type", Ctx: hSLI, Args: conf.Take1}),
		Directive(setTypes, conf.Spec{Name: "types", Ctx: hSL, Args: conf.NoArgs, Block: true, Child: conf.Types | conf.Raw}),
		Directive(setClientMaxBodySize, conf.Spec{Name: "client_max_body_size", Ctx: hSLI, Args: conf.Take1}),
		Directive(setClientBodyInFileOnly, conf.Spec{Name: "client_body_in_file_only", Ctx: hSL, Args: conf.Take1}),
		Directive(setClientBodyBufferSize, conf.Spec{Name: "client_body_buffer_size", Ctx: hSL, Args: conf.Take1}),
		Directive(setClientHeaderBufferSize, conf.Spec{Name: "client_header_buffer_size", Ctx: conf.HTTP | conf.Server, Args: conf.Take1}),
		Directive(setLargeClientHeaderBuffers, conf.Spec{Name: "large_client_header_buffers", Ctx: conf.HTTP | conf.Server, Args: conf.Take2}),
		Directive(setInternal, conf.Spec{Name: "internal", Ctx: conf.Location, Args: conf.NoArgs}),
		Directive(setKeepaliveRequests, conf.Spec{Name: "keepalive_requests", Ctx: hSL, Args: conf.Take1}),
		Directive(setKeepaliveTimeout, conf.Spec{Name: "keepalive_timeout", Ctx: hSL, Args: conf.Take12},
			conf.Spec{Name: "keepalive_timeout", Ctx: conf.Upstream, Args: conf.Take1}),
		Directive(setCharset, conf.Spec{Name: "charset", Ctx: hSLI, Args: conf.Take1}),
		Directive(setCharsetTypes, conf.Spec{Name: "charset_types", Ctx: hSL, Args: conf.OneMore}),
		Directive(setClientReadTimeout, conf.Spec{Name: "client_header_timeout", Ctx: conf.HTTP | conf.Server, Args: conf.Take1}),
		Directive(setClientReadTimeout, conf.Spec{Name: "client_body_timeout", Ctx: hSL, Args: conf.Take1}),
		Directive(setSendTimeout, conf.Spec{Name: "send_timeout", Ctx: hSL, Args: conf.Take1}),
		Directive(setMergeSlashes, conf.Spec{Name: "merge_slashes", Ctx: conf.HTTP | conf.Server, Args: conf.Flag}),
		Directive(setServerNameInRedirect, conf.Spec{Name: "server_name_in_redirect", Ctx: hSL, Args: conf.Flag}),
		Directive(setPortInRedirect, conf.Spec{Name: "port_in_redirect", Ctx: hSL, Args: conf.Flag}),
		Directive(setAbsoluteRedirect, conf.Spec{Name: "absolute_redirect", Ctx: hSL, Args: conf.Flag}),
		Directive(setServerTokens, conf.Spec{Name: "server_tokens", Ctx: hSL, Args: conf.Take1}),
		Directive(setEtag, conf.Spec{Name: "etag", Ctx: hSL, Args: conf.Flag}),
		Directive(setMsiePadding, conf.Spec{Name: "msie_padding", Ctx: hSL, Args: conf.Flag}),
		Directive(setMsieRefresh, conf.Spec{Name: "msie_refresh", Ctx: hSL, Args: conf.Flag}),
		Directive(setChunkedTE, conf.Spec{Name: "chunked_transfer_encoding", Ctx: hSL, Args: conf.Flag}),
		Directive(setLogNotFound, conf.Spec{Name: "log_not_found", Ctx: hSL, Args: conf.Flag}),
		Directive(setRecursiveErrorPages, conf.Spec{Name: "recursive_error_pages", Ctx: hSL, Args: conf.Flag}),
		Directive(setIfModifiedSince, conf.Spec{Name: "if_modified_since", Ctx: hSL, Args: conf.Take1}),
		Directive(setUnderscoresInHeaders, conf.Spec{Name: "underscores_in_headers", Ctx: conf.HTTP | conf.Server, Args: conf.Flag}),
		Directive(setIgnoreInvalidHeaders, conf.Spec{Name: "ignore_invalid_headers", Ctx: conf.HTTP | conf.Server, Args: conf.Flag}),
		Directive(setErrorPage, conf.Spec{Name: "error_page", Ctx: hSLI, Args: conf.TwoMore}),
		Directive(setAllow, conf.Spec{Name: "allow", Ctx: hSL | conf.LimitExcept, Args: conf.Take1}),
		Directive(setDeny, conf.Spec{Name: "deny", Ctx: hSL | conf.LimitExcept, Args: conf.Take1}),
		Directive(setSatisfy, conf.Spec{Name: "satisfy", Ctx: hSL, Args: conf.Take1}),
		Directive(setLimitExcept, conf.Spec{Name: "limit_except", Ctx: conf.Location, Args: conf.OneMore, Block: true, Child: conf.LimitExcept}),
	},
	Accepted: []conf.Spec{
		{Name: "user", Ctx: main, Args: conf.Take12},
		{Name: "worker_rlimit_nofile", Ctx: main, Args: conf.Take1},
		{Name: "worker_rlimit_core", Ctx: main, Args: conf.Take1},
		{Name: "worker_priority", Ctx: main, Args: conf.Take1},
		{Name: "worker_cpu_affinity", Ctx: main, Args: conf.OneMore},
		{Name: "worker_shutdown_timeout", Ctx: main, Args: conf.Take1},
		{Name: "timer_resolution", Ctx: main, Args: conf.Take1},
		{Name: "pcre_jit", Ctx: main, Args: conf.Flag},
		{Name: "load_module", Ctx: main, Args: conf.Take1},
		{Name: "lock_file", Ctx: main, Args: conf.Take1},
		{Name: "working_directory", Ctx: main, Args: conf.Take1},
		{Name: "worker_connections", Ctx: conf.Events, Args: conf.Take1},
		{Name: "use", Ctx: conf.Events, Args: conf.Take1},
		{Name: "multi_accept", Ctx: conf.Events, Args: conf.Flag},
		{Name: "accept_mutex", Ctx: conf.Events, Args: conf.Flag},
		{Name: "accept_mutex_delay", Ctx: conf.Events, Args: conf.Take1},
		// http internals
		{Name: "sendfile", Ctx: hSLI, Args: conf.Flag},
		{Name: "tcp_nopush", Ctx: hSL, Args: conf.Flag},
		{Name: "tcp_nodelay", Ctx: hSL, Args: conf.Flag},
		{Name: "client_body_temp_path", Ctx: hSL, Args: conf.Take1234},
		// the body is always one buffer here
		{Name: "client_body_in_single_buffer", Ctx: hSL, Args: conf.Flag},
		{Name: "proxy_temp_path", Ctx: hSL, Args: conf.Take1234},
		{Name: "fastcgi_temp_path", Ctx: hSL, Args: conf.Take1234},
		{Name: "uwsgi_temp_path", Ctx: hSL, Args: conf.Take1234},
		{Name: "scgi_temp_path", Ctx: hSL, Args: conf.Take1234},
		{Name: "types_hash_max_size", Ctx: hSL, Args: conf.Take1},
		{Name: "types_hash_bucket_size", Ctx: hSL, Args: conf.Take1},
		{Name: "server_names_hash_bucket_size", Ctx: conf.HTTP, Args: conf.Take1},
		{Name: "server_names_hash_max_size", Ctx: conf.HTTP, Args: conf.Take1},
		{Name: "variables_hash_max_size", Ctx: conf.HTTP, Args: conf.Take1},
		{Name: "variables_hash_bucket_size", Ctx: conf.HTTP, Args: conf.Take1},
		{Name: "map_hash_bucket_size", Ctx: conf.HTTP, Args: conf.Take1},
		{Name: "open_file_cache", Ctx: hSL, Args: conf.Take12},
		{Name: "open_file_cache_valid", Ctx: hSL, Args: conf.Take1},
		{Name: "open_file_cache_errors", Ctx: hSL, Args: conf.Flag},
		{Name: "open_file_cache_min_uses", Ctx: hSL, Args: conf.Take1},
		{Name: "reset_timedout_connection", Ctx: hSL, Args: conf.Flag},
		{Name: "lingering_close", Ctx: hSL, Args: conf.Take1},
		{Name: "lingering_time", Ctx: hSL, Args: conf.Take1},
		{Name: "lingering_timeout", Ctx: hSL, Args: conf.Take1},
		{Name: "output_buffers", Ctx: hSL, Args: conf.Take2},
		{Name: "postpone_output", Ctx: hSL, Args: conf.Take1},
		{Name: "aio", Ctx: hSL, Args: conf.Take1},
		{Name: "directio", Ctx: hSL, Args: conf.Take1},
		{Name: "log_subrequest", Ctx: hSL, Args: conf.Flag},
		{Name: "rewrite_log", Ctx: hSL | conf.ServerIf | conf.LocationIf, Args: conf.Flag},
		{Name: "uninitialized_variable_warn", Ctx: hSL | conf.ServerIf | conf.LocationIf, Args: conf.Flag},
		{Name: "source_charset", Ctx: hSLI, Args: conf.Take1},
		{Name: "override_charset", Ctx: hSLI, Args: conf.Flag},
	},
	Hooks: coreHooks,
}

func init() { Register(coreModule) }

func coreHooks(h *Hooks) {
	h.Phase(AccessPhase, accessHandler)
	h.HeaderFilter(charsetFilter)
}

func setWorkerProcesses(b *builder, d *conf.Directive) error {
	if err := b.once(d); err != nil {
		return err
	}
	if d.Args[0] == "auto" {
		b.rt.workerCount = runtime.GOMAXPROCS(0)
		return nil
	}
	n, err := atoiArg(d, d.Args[0])
	if err != nil || n < 1 {
		return conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive", d.Args[0], d.Name)
	}
	b.rt.workerCount = n
	return nil
}

// setThreadPool is ngx_thread_pool's "thread_pool name threads=N
// [max_queue=N]": the pools ngx.run_worker_thread posts its tasks to.
func setThreadPool(b *builder, d *conf.Directive) error {
	name := d.Args[0]
	if _, dup := b.rt.threadPools[name]; dup {
		return conf.Errorf(d, "duplicate thread pool \"%s\"", name)
	}
	threads, maxQueue := 0, 65536
	for _, a := range d.Args[1:] {
		k, v, _ := strings.Cut(a, "=")
		n, err := strconv.Atoi(v)
		switch {
		case k == "threads":
			if err != nil || n <= 0 {
				return conf.Errorf(d, "invalid threads value \"%s\"", a)
			}
			threads = n
		case k == "max_queue":
			if err != nil || n < 0 {
				return conf.Errorf(d, "invalid max_queue value \"%s\"", a)
			}
			maxQueue = n
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	if threads == 0 {
		return conf.Errorf(d, "\"%s\" must have \"threads\" parameter", d.Name)
	}
	if b.rt.threadPools == nil {
		b.rt.threadPools = map[string]*luabindings.ThreadPool{}
	}
	b.rt.threadPools[name] = luabindings.NewThreadPool(name, threads, maxQueue)
	return nil
}

func setDaemon(b *builder, d *conf.Directive) error {
	if err := b.once(d); err != nil {
		return err
	}
	b.rt.daemon = d.Args[0] == "on"
	return nil
}

func setPid(b *builder, d *conf.Directive) error {
	if err := b.once(d); err != nil {
		return err
	}
	b.rt.pidPath = b.rt.path(d.Args[0])
	if d.Args[0] == "off" {
		b.rt.pidPath = ""
	}
	return nil
}

// setErrorLog is error_log FILE [LEVEL]: the main one is the process log.
func setErrorLog(b *builder, d *conf.Directive) error {
	level := errlog.Err
	if len(d.Args) > 1 {
		l, ok := errlog.ParseLevel(d.Args[1])
		if !ok {
			return conf.Errorf(d, "invalid log level \"%s\"", d.Args[1])
		}
		level = l
	}
	p := d.Args[0]
	if spec, ok := strings.CutPrefix(p, errlog.SyslogPrefix); ok {
		if _, err := errlog.ParseSyslog(spec); err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
	} else if p != "stderr" {
		p = b.rt.path(p)
	}
	if b.ctx == main && b.rt.errorLogPath == "" {
		b.rt.errorLogPath, b.rt.errorLogLevel = p, level
	}
	return nil
}

// setMasterProcess: one process either way; only ngx.process.type()
// tells the difference.
func setMasterProcess(b *builder, d *conf.Directive) error {
	if err := b.once(d); err != nil {
		return err
	}
	b.rt.single = d.Args[0] == "off"
	return nil
}

func setEnv(b *builder, d *conf.Directive) error {
	name, val, has := strings.Cut(d.Args[0], "=")
	b.rt.env = append(b.rt.env, envVar{name: name, value: val, set: has})
	return nil
}

func setListen(b *builder, d *conf.Directive) error {
	addr := d.Args[0]
	l := listen{}
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		// a unix-domain socket: the address keeps its "unix:" prefix
		if path == "" {
			return conf.Errorf(d, "no path in the unix domain socket in \"%s\" of the \"listen\" directive", addr)
		}
		l.addr = addr
	} else if !strings.Contains(addr, ":") {
		if _, err := strconv.Atoi(addr); err == nil {
			addr = "0.0.0.0:" + addr
		} else {
			addr += ":80"
		}
	} else if strings.HasPrefix(addr, "*:") {
		addr = "0.0.0.0" + addr[1:]
	}
	if l.addr == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return conf.Errorf(d, "invalid port in \"%s\" of the \"listen\" directive", d.Args[0])
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return conf.Errorf(d, "invalid port in \"%s\" of the \"listen\" directive", d.Args[0])
		}
		if host == "localhost" {
			host = "127.0.0.1"
		}
		l.addr = net.JoinHostPort(host, port)
	}
	for _, a := range d.Args[1:] {
		switch name, _, _ := strings.Cut(a, "="); name {
		case "default_server", "default":
			l.defaultSrv = true
		case "ssl":
			l.ssl = true
		case "proxy_protocol":
			l.proxyProtocol = true
		case "http2":
			l.http2 = true
		case "reuseport", "backlog", "rcvbuf", "sndbuf", "deferred", "bind", "ipv6only",
			"so_keepalive", "fastopen", "accept_filter":
			// socket tuning
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	b.srv.listens = append(b.srv.listens, l)
	return nil
}

func setServerName(b *builder, d *conf.Directive) error {
	for _, n := range d.Args {
		if err := b.srv.addName(n); err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
	}
	return nil
}

func setRoot(b *builder, d *conf.Directive) error {
	b.loc.s.root, b.loc.s.rootSet = b.value(d.Args[0]), true
	return nil
}

func setAlias(b *builder, d *conf.Directive) error {
	b.loc.s.alias = b.value(d.Args[0])
	return nil
}

func setDefaultType(b *builder, d *conf.Directive) error {
	b.loc.s.defaultType, b.loc.s.defaultSet = d.Args[0], true
	return nil
}

func setTypes(b *builder, d *conf.Directive) error {
	t := map[string]string{}
	for _, e := range d.Block {
		for _, ext := range e.Args {
			t[strings.ToLower(ext)] = e.Name
		}
	}
	b.loc.s.types = t
	return nil
}

// setClientBodyInFileOnly: on keeps the body file after the request,
// clean removes it.
func setClientBodyInFileOnly(b *builder, d *conf.Directive) error {
	switch d.Args[0] {
	case "off":
		b.loc.s.bodyInFile = 0
	case "on":
		b.loc.s.bodyInFile = bodyFileKeep
	case "clean":
		b.loc.s.bodyInFile = bodyFileClean
	default:
		return conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\", \"clean\" or \"off\"", d.Args[0], d.Name)
	}
	return nil
}

func setClientMaxBodySize(b *builder, d *conf.Directive) error {
	n, err := conf.ParseSize(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "\"client_max_body_size\" directive invalid value")
	}
	b.loc.s.maxBody = n
	return nil
}

// setClientHeaderBufferSize: a connection's first read buffer; a request
// header that does not fit moves to the large buffers.
func setClientHeaderBufferSize(b *builder, d *conf.Directive) error {
	n, err := conf.ParseSize(d.Args[0])
	if err != nil || n <= 0 {
		return conf.Errorf(d, "\"%s\" directive invalid value", d.Name)
	}
	if b.srv != nil {
		b.srv.clientHeaderBuf = int(n)
	} else {
		b.rt.clientHeaderBuf = int(n)
	}
	return nil
}

// setLargeClientHeaderBuffers: the size bounds the request line and each
// header line (the number is accepted).
func setLargeClientHeaderBuffers(b *builder, d *conf.Directive) error {
	n, err := conf.ParseSize(d.Args[1])
	num, err2 := strconv.Atoi(d.Args[0])
	if err2 != nil || num <= 0 || err != nil || n <= 1 {
		return conf.Errorf(d, "\"%s\" directive invalid value", d.Name)
	}
	if b.srv != nil {
		b.srv.headerBuf, b.srv.headerBufs = int(n), num
	} else {
		b.rt.headerBuf, b.rt.headerBufs = int(n), num
	}
	return nil
}

func setInternal(b *builder, d *conf.Directive) error {
	if b.loc.kind == locServer || b.loc.kind == locHTTP {
		return conf.Errorf(d, "\"internal\" directive is not allowed here")
	}
	b.loc.internal = true
	return nil
}

// setKeepaliveRequests is how many requests a client connection serves
// (the upstream block's is the proxy's, an internal).
func setKeepaliveRequests(b *builder, d *conf.Directive) error {
	if b.ctx == conf.Upstream {
		return nil
	}
	n, err := atoiArg(d, d.Args[0])
	if err != nil {
		return err
	}
	b.loc.s.keepaliveReqs = n
	return nil
}

func setKeepaliveTimeout(b *builder, d *conf.Directive) error {
	if b.ctx == conf.Upstream {
		return nil // idle time of upstream keepalive connections: internal
	}
	t, err := conf.ParseTime(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	if t == 0 {
		b.loc.s.keepalive = 0 // Connection: close
	} else {
		b.loc.s.keepalive = 1
	}
	b.loc.s.keepaliveTime = t
	if len(d.Args) == 2 {
		// the Keep-Alive: timeout=N header, in seconds (ngx_parse_time(.., 1))
		h, err := conf.ParseTime(d.Args[1])
		if err != nil {
			return conf.Errorf(d, "invalid value \"%s\"", d.Args[1])
		}
		b.loc.s.keepaliveHdr = h
	}
	if b.loc.kind == locHTTP {
		b.rt.idleTimeout = t
	}
	return nil
}

func setCharset(b *builder, d *conf.Directive) error {
	b.loc.s.charset, b.loc.s.charsetSet = d.Args[0], true
	return nil
}

func setCharsetTypes(b *builder, d *conf.Directive) error {
	for _, t := range d.Args {
		b.loc.s.charsetTypes = append(b.loc.s.charsetTypes, strings.ToLower(t))
	}
	return nil
}

// Client timeouts bound the listeners' reads and writes; the largest
// value configured anywhere applies to an address.

func setClientReadTimeout(b *builder, d *conf.Directive) error {
	return maxTime(d, &b.rt.readTimeout)
}

func setSendTimeout(b *builder, d *conf.Directive) error {
	return maxTime(d, &b.rt.writeTimeout)
}

func maxTime(d *conf.Directive, p *time.Duration) error {
	t, err := conf.ParseTime(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	if t > *p {
		*p = t
	}
	return nil
}

func setMergeSlashes(b *builder, d *conf.Directive) error {
	b.loc.s.mergeSlashes = flag(d)
	return nil
}

func setServerNameInRedirect(b *builder, d *conf.Directive) error {
	b.loc.s.nameInRedirect = flag(d)
	return nil
}

func setPortInRedirect(b *builder, d *conf.Directive) error {
	b.loc.s.portInRedirect = flag(d)
	return nil
}

func setAbsoluteRedirect(b *builder, d *conf.Directive) error {
	b.loc.s.absRedirect = flag(d)
	return nil
}

func setServerTokens(b *builder, d *conf.Directive) error {
	b.loc.s.serverTokens = flag(d)
	return nil
}

func setMsieRefresh(b *builder, d *conf.Directive) error {
	b.loc.s.msieRefresh = flag(d)
	return nil
}

func setMsiePadding(b *builder, d *conf.Directive) error {
	b.loc.s.msiePadding = flag(d)
	return nil
}

func setChunkedTE(b *builder, d *conf.Directive) error {
	b.loc.s.chunkedTE = flag(d)
	return nil
}

func setEtag(b *builder, d *conf.Directive) error {
	b.loc.s.etag = flag(d)
	return nil
}

func setLogNotFound(b *builder, d *conf.Directive) error {
	b.loc.s.logNotFound = flag(d)
	return nil
}

func setRecursiveErrorPages(b *builder, d *conf.Directive) error {
	b.loc.s.recursiveEP = flag(d)
	return nil
}

func setIfModifiedSince(b *builder, d *conf.Directive) error {
	switch d.Args[0] {
	case "off":
		b.loc.s.ifModified = 0
	case "exact":
		b.loc.s.ifModified = 1
	case "before":
		b.loc.s.ifModified = 2
	default:
		return conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive, it must be \"off\", \"exact\" or \"before\"", d.Args[0], d.Name)
	}
	return nil
}

func setUnderscoresInHeaders(b *builder, d *conf.Directive) error {
	b.loc.s.underscores = flag(d)
	return nil
}

func setIgnoreInvalidHeaders(b *builder, d *conf.Directive) error {
	b.loc.s.ignoreInvalid = flag(d)
	return nil
}

func setErrorPage(b *builder, d *conf.Directive) error {
	ep := &errorPage{overwrite: -1}
	args := d.Args
	uri := args[len(args)-1]
	codes := args[:len(args)-1]
	if n := len(codes); n > 0 && strings.HasPrefix(codes[n-1], "=") {
		ep.overwrite = 0
		if codes[n-1] != "=" {
			c, err := strconv.Atoi(codes[n-1][1:])
			if err != nil {
				return conf.Errorf(d, "invalid value \"%s\"", codes[n-1])
			}
			ep.overwrite = c
		}
		codes = codes[:n-1]
	}
	ep.uri = b.value(uri)
	if !b.loc.s.errorPagesSet {
		b.loc.s.errorPages, b.loc.s.errorPagesSet = map[int]*errorPage{}, true
	}
	for _, c := range codes {
		n, err := strconv.Atoi(c)
		if err != nil || n < 300 || n > 599 {
			return conf.Errorf(d, "value \"%s\" must be between 300 and 599", c)
		}
		b.loc.s.errorPages[n] = ep
	}
	return nil
}

// setSatisfy is "satisfy all|any": how the access-phase handlers'
// verdicts combine (runAccessPhase).
func setSatisfy(b *builder, d *conf.Directive) error {
	if b.loc.s.satisfy >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	switch d.Args[0] {
	case "all":
		b.loc.s.satisfy = satisfyAll
	case "any":
		b.loc.s.satisfy = satisfyAny
	default:
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	return nil
}

func setAllow(b *builder, d *conf.Directive) error { return addAccessRule(b, d, false) }

func setDeny(b *builder, d *conf.Directive) error { return addAccessRule(b, d, true) }

func addAccessRule(b *builder, d *conf.Directive, deny bool) error {
	a := accessRule{deny: deny}
	if d.Args[0] == "all" {
		a.all = true
	} else {
		s := d.Args[0]
		if !strings.Contains(s, "/") {
			if strings.Contains(s, ":") {
				s += "/128"
			} else {
				s += "/32"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return conf.Errorf(d, "invalid parameter \"%s\"", d.Args[0])
		}
		a.net = n
	}
	b.loc.s.access = append(b.loc.s.access, a)
	b.loc.s.accessSet = true
	return nil
}

// setLimitExcept: the methods listed are allowed; the block's access
// rules apply to the rest.
func setLimitExcept(b *builder, d *conf.Directive) error {
	b.loc.s.limitExcept = d.Args
	saved := b.loc.s.access
	b.loc.s.access = nil
	if err := b.run(d.Block, conf.LimitExcept); err != nil {
		return err
	}
	b.loc.limitRules = b.loc.s.access
	b.loc.s.access = saved
	return nil
}

func flag(d *conf.Directive) int8 {
	if d.Args[0] == "off" {
		return 0
	}
	return 1
}

type errorPage struct {
	uri       *cvalue
	overwrite int // -1: keep the code; 0: "=" the target's code; N: "=N"
}

type accessRule struct {
	deny bool
	all  bool
	net  *net.IPNet
}

type envVar struct {
	name, value string
	set         bool
}

// workerEnv is the environment nginx gives its workers: TZ, the
// variables named by "env NAME" that exist, and those set by
// "env NAME=value". It is a view for this configuration's Lua (os.getenv);
// the process environment is left alone, as the bridge and the queue
// worker share the process.
func workerEnv(vars []envVar) map[string]string {
	env := map[string]string{}
	if tz, ok := os.LookupEnv("TZ"); ok {
		env["TZ"] = tz
	}
	for _, v := range vars {
		if v.set {
			env[v.name] = v.value
		} else if val, ok := os.LookupEnv(v.name); ok {
			env[v.name] = val
		}
	}
	return env
}

// setGetenv makes the VM's os.getenv read env only.
func setGetenv(L *lua.LState, env map[string]string) {
	osTable, ok := L.GetGlobal("os").(*lua.LTable)
	if !ok {
		return
	}
	osTable.RawSetString("getenv", L.NewFunction(func(L *lua.LState) int {
		if v, ok := env[L.CheckString(1)]; ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
}
