package httpd

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

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

func init() {
	// main context
	directive(func(b *builder, d *conf.Directive) error {
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
	}, conf.Spec{Name: "worker_processes", Ctx: main, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		if err := b.once(d); err != nil {
			return err
		}
		b.rt.daemon = d.Args[0] == "on"
		return nil
	}, conf.Spec{Name: "daemon", Ctx: main, Args: conf.Flag})
	directive(func(b *builder, d *conf.Directive) error {
		if err := b.once(d); err != nil {
			return err
		}
		b.rt.pidPath = b.rt.path(d.Args[0])
		if d.Args[0] == "off" {
			b.rt.pidPath = ""
		}
		return nil
	}, conf.Spec{Name: "pid", Ctx: main, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		// error_log FILE [LEVEL]: the main one is the process log
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
	}, conf.Spec{Name: "error_log", Ctx: main | hSL, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		if err := b.once(d); err != nil {
			return err
		}
		// one process either way; only ngx.process.type() tells the difference
		b.rt.single = d.Args[0] == "off"
		return nil
	}, conf.Spec{Name: "master_process", Ctx: main, Args: conf.Flag})
	directive(func(b *builder, d *conf.Directive) error {
		name, val, has := strings.Cut(d.Args[0], "=")
		b.rt.env = append(b.rt.env, envVar{name: name, value: val, set: has})
		return nil
	}, conf.Spec{Name: "env", Ctx: main, Args: conf.Take1})
	accepted(
		conf.Spec{Name: "user", Ctx: main, Args: conf.Take12},
		conf.Spec{Name: "worker_rlimit_nofile", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "worker_rlimit_core", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "worker_priority", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "worker_cpu_affinity", Ctx: main, Args: conf.OneMore},
		conf.Spec{Name: "worker_shutdown_timeout", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "timer_resolution", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "pcre_jit", Ctx: main, Args: conf.Flag},
		conf.Spec{Name: "load_module", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "thread_pool", Ctx: main, Args: conf.Take23},
		conf.Spec{Name: "lock_file", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "working_directory", Ctx: main, Args: conf.Take1},
		conf.Spec{Name: "worker_connections", Ctx: conf.Events, Args: conf.Take1},
		conf.Spec{Name: "use", Ctx: conf.Events, Args: conf.Take1},
		conf.Spec{Name: "multi_accept", Ctx: conf.Events, Args: conf.Flag},
		conf.Spec{Name: "accept_mutex", Ctx: conf.Events, Args: conf.Flag},
		conf.Spec{Name: "accept_mutex_delay", Ctx: conf.Events, Args: conf.Take1},
		// http internals
		conf.Spec{Name: "sendfile", Ctx: hSLI, Args: conf.Flag},
		conf.Spec{Name: "tcp_nopush", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "tcp_nodelay", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "keepalive_requests", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "client_body_buffer_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "client_header_buffer_size", Ctx: conf.HTTP | conf.Server, Args: conf.Take1},
		conf.Spec{Name: "client_body_temp_path", Ctx: hSL, Args: conf.Take1234},
		conf.Spec{Name: "proxy_temp_path", Ctx: hSL, Args: conf.Take1234},
		conf.Spec{Name: "fastcgi_temp_path", Ctx: hSL, Args: conf.Take1234},
		conf.Spec{Name: "uwsgi_temp_path", Ctx: hSL, Args: conf.Take1234},
		conf.Spec{Name: "scgi_temp_path", Ctx: hSL, Args: conf.Take1234},
		conf.Spec{Name: "types_hash_max_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "types_hash_bucket_size", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "server_names_hash_bucket_size", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "server_names_hash_max_size", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "variables_hash_max_size", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "variables_hash_bucket_size", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "map_hash_bucket_size", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "open_file_cache", Ctx: hSL, Args: conf.Take12},
		conf.Spec{Name: "open_file_cache_valid", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "open_file_cache_errors", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "open_file_cache_min_uses", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "reset_timedout_connection", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "lingering_close", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "lingering_time", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "lingering_timeout", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "resolver_timeout", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "output_buffers", Ctx: hSL, Args: conf.Take2},
		conf.Spec{Name: "postpone_output", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "aio", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "directio", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "msie_padding", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "log_subrequest", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "rewrite_log", Ctx: hSL | conf.ServerIf | conf.LocationIf, Args: conf.Flag},
		conf.Spec{Name: "uninitialized_variable_warn", Ctx: hSL | conf.ServerIf | conf.LocationIf, Args: conf.Flag},
		conf.Spec{Name: "resolver", Ctx: hSL, Args: conf.OneMore},
		conf.Spec{Name: "ssl_protocols", Ctx: conf.HTTP | conf.Server, Args: conf.OneMore},
		conf.Spec{Name: "ssl_prefer_server_ciphers", Ctx: conf.HTTP | conf.Server, Args: conf.Flag},
		conf.Spec{Name: "chunked_transfer_encoding", Ctx: hSL, Args: conf.Flag},
		conf.Spec{Name: "ignore_invalid_headers", Ctx: conf.HTTP | conf.Server, Args: conf.Flag},
	)

	// http core
	directive(func(b *builder, d *conf.Directive) error {
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
			case "http2", "reuseport", "backlog", "rcvbuf", "sndbuf", "deferred", "bind", "ipv6only",
				"so_keepalive", "fastopen", "accept_filter", "proxy_protocol":
				// socket tuning; http2 clients negotiate HTTP/1.1 through ALPN
			default:
				return conf.Errorf(d, "invalid parameter \"%s\"", a)
			}
		}
		b.srv.listens = append(b.srv.listens, l)
		return nil
	}, conf.Spec{Name: "listen", Ctx: conf.Server, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		for _, n := range d.Args {
			if err := b.srv.addName(n); err != nil {
				return conf.Errorf(d, "%s", err.Error())
			}
		}
		return nil
	}, conf.Spec{Name: "server_name", Ctx: conf.Server, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.root, b.loc.s.rootSet = d.Args[0], true
		return nil
	}, conf.Spec{Name: "root", Ctx: hSLI, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.alias = b.value(d.Args[0])
		return nil
	}, conf.Spec{Name: "alias", Ctx: conf.Location, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		for _, a := range d.Args {
			b.loc.s.index = append(b.loc.s.index, b.value(a))
		}
		return nil
	}, conf.Spec{Name: "index", Ctx: hSL, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.tryFiles = d.Args
		return nil
	}, conf.Spec{Name: "try_files", Ctx: conf.Server | conf.Location, Args: conf.TwoMore})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.defaultType, b.loc.s.defaultSet = d.Args[0], true
		return nil
	}, conf.Spec{Name: "default_type", Ctx: hSLI, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		t := map[string]string{}
		for _, e := range d.Block {
			for _, ext := range e.Args {
				t[strings.ToLower(ext)] = e.Name
			}
		}
		b.loc.s.types = t
		return nil
	}, conf.Spec{Name: "types", Ctx: hSL, Args: conf.NoArgs, Block: true, Child: conf.Types | conf.Raw})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := conf.ParseSize(d.Args[0])
		if err != nil {
			return conf.Errorf(d, "\"client_max_body_size\" directive invalid value")
		}
		b.loc.s.maxBody = n
		return nil
	}, conf.Spec{Name: "client_max_body_size", Ctx: hSLI, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := conf.ParseSize(d.Args[1])
		if _, err2 := strconv.Atoi(d.Args[0]); err != nil || err2 != nil || n <= 1 {
			return conf.Errorf(d, "invalid value \"%s\"", d.Args[1])
		}
		if b.srv != nil {
			b.srv.headerBuf = int(n)
		} else {
			b.rt.headerBuf = int(n)
		}
		return nil
	}, conf.Spec{Name: "large_client_header_buffers", Ctx: conf.HTTP | conf.Server, Args: conf.Take2})
	directive(func(b *builder, d *conf.Directive) error {
		if b.loc.kind == locServer || b.loc.kind == locHTTP {
			return conf.Errorf(d, "\"internal\" directive is not allowed here")
		}
		b.loc.internal = true
		return nil
	}, conf.Spec{Name: "internal", Ctx: conf.Location, Args: conf.NoArgs})
	directive(func(b *builder, d *conf.Directive) error {
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
		if b.loc.kind == locHTTP {
			b.rt.idleTimeout = t
		}
		return nil
	}, conf.Spec{Name: "keepalive_timeout", Ctx: hSL, Args: conf.Take12},
		conf.Spec{Name: "keepalive_timeout", Ctx: conf.Upstream, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.charset, b.loc.s.charsetSet = d.Args[0], true
		return nil
	}, conf.Spec{Name: "charset", Ctx: hSLI, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		for _, t := range d.Args {
			b.loc.s.charsetTypes = append(b.loc.s.charsetTypes, strings.ToLower(t))
		}
		return nil
	}, conf.Spec{Name: "charset_types", Ctx: hSL, Args: conf.OneMore})
	accepted(conf.Spec{Name: "source_charset", Ctx: hSLI, Args: conf.Take1},
		conf.Spec{Name: "override_charset", Ctx: hSLI, Args: conf.Flag})
	// client timeouts bound the listeners' reads and writes; the largest
	// value configured anywhere applies to an address
	clientTimeout := func(dst func(rt *Runtime) *time.Duration) handler {
		return func(b *builder, d *conf.Directive) error {
			t, err := conf.ParseTime(d.Args[0])
			if err != nil {
				return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
			}
			if p := dst(b.rt); t > *p {
				*p = t
			}
			return nil
		}
	}
	directive(clientTimeout(func(rt *Runtime) *time.Duration { return &rt.readTimeout }),
		conf.Spec{Name: "client_header_timeout", Ctx: conf.HTTP | conf.Server, Args: conf.Take1})
	directive(clientTimeout(func(rt *Runtime) *time.Duration { return &rt.readTimeout }),
		conf.Spec{Name: "client_body_timeout", Ctx: hSL, Args: conf.Take1})
	directive(clientTimeout(func(rt *Runtime) *time.Duration { return &rt.writeTimeout }),
		conf.Spec{Name: "send_timeout", Ctx: hSL, Args: conf.Take1})
	flagSetting("merge_slashes", conf.HTTP|conf.Server, func(s *settings) *int8 { return &s.mergeSlashes })
	flagSetting("server_name_in_redirect", hSL, func(s *settings) *int8 { return &s.nameInRedirect })
	flagSetting("port_in_redirect", hSL, func(s *settings) *int8 { return &s.portInRedirect })
	flagSetting("absolute_redirect", hSL, func(s *settings) *int8 { return &s.absRedirect })
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.serverTokens = flag(d)
		return nil
	}, conf.Spec{Name: "server_tokens", Ctx: hSL, Args: conf.Take1})
	flagSetting("etag", hSL, func(s *settings) *int8 { return &s.etag })
	flagSetting("log_not_found", hSL, func(s *settings) *int8 { return &s.logNotFound })
	flagSetting("autoindex", hSL, func(s *settings) *int8 { return &s.autoindex })
	directive(func(b *builder, d *conf.Directive) error {
		switch d.Args[0] {
		case "off":
			b.loc.s.ifModified = 0
		default:
			b.loc.s.ifModified = 1
		}
		return nil
	}, conf.Spec{Name: "if_modified_since", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.srv.underscoresInHeaders = d.Args[0] == "on"
		return nil
	}, conf.Spec{Name: "underscores_in_headers", Ctx: conf.HTTP | conf.Server, Args: conf.Flag})
	directive(func(b *builder, d *conf.Directive) error {
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
	}, conf.Spec{Name: "error_page", Ctx: hSLI, Args: conf.TwoMore})
	accessDirective := func(deny bool) handler {
		return func(b *builder, d *conf.Directive) error {
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
	}
	directive(accessDirective(false), conf.Spec{Name: "allow", Ctx: hSL | conf.LimitExcept, Args: conf.Take1})
	directive(accessDirective(true), conf.Spec{Name: "deny", Ctx: hSL | conf.LimitExcept, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		e := &expiresConf{}
		a := d.Args[len(d.Args)-1]
		switch a {
		case "off":
			e.off = true
		case "epoch":
			e.epoch = true
		case "max":
			e.max = true
		default:
			neg := strings.HasPrefix(a, "-")
			dur, err := conf.ParseTime(strings.TrimLeft(a, "+-"))
			if err != nil {
				return conf.Errorf(d, "invalid value \"%s\"", a)
			}
			if neg {
				dur = -dur
			}
			e.d = dur
		}
		b.loc.s.expires = e
		return nil
	}, conf.Spec{Name: "expires", Ctx: hSLI, Args: conf.Take12})
	directive(func(b *builder, d *conf.Directive) error {
		// methods listed are allowed; the block's access rules apply to the rest
		b.loc.s.limitExcept = d.Args
		saved := b.loc.s.access
		b.loc.s.access = nil
		if err := b.run(d.Block, conf.LimitExcept); err != nil {
			return err
		}
		b.loc.limitRules = b.loc.s.access
		b.loc.s.access = saved
		return nil
	}, conf.Spec{Name: "limit_except", Ctx: conf.Location, Args: conf.OneMore, Block: true, Child: conf.LimitExcept})
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

type expiresConf struct {
	off, epoch, max bool
	d               time.Duration
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
