package httpd

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
)

// luaHandlerFrom compiles a *_by_lua_block / *_by_lua / *_by_lua_file
// directive. Compile errors of inline code are kept and reported at
// request time, as lua-nginx-module does.
func (b *builder) luaHandlerFrom(d *conf.Directive, kind string, codeArg int) *luaHandler {
	h := &luaHandler{id: b.luaID, setVar: -1}
	b.luaID++
	code := d.Args[codeArg]
	switch {
	case strings.HasSuffix(d.Name, "_file"):
		h.file = b.value(code)
		h.fileRaw = code
	default:
		line := d.Line
		if d.LuaLine > 0 {
			line = d.LuaLine
		}
		h.name = luaChunkName(kind, d.File, b.rt.confPath, line)
		h.proto, h.loadErr = compileLua(code, h.name)
	}
	return h
}

// luaChunkName is lua-nginx-module's name for inline code
// (ngx_http_lua_gen_chunk_name): "nginx.conf" for a file of that name,
// else the path relative to the configuration's directory, else the path
// as written; a name longer than LuaJIT keeps (56 bytes with the tag
// and line) loses its head to "...".
func luaChunkName(tag, file, confPath string, line int) string {
	const maxLen = 56
	ln := strconv.Itoa(line)
	reserve := len(tag) + len(ln)
	name, pre := file, ""
	confPrefix := confPath[:strings.LastIndexByte(confPath, '/')+1]
	switch {
	case strings.HasSuffix(file, "/nginx.conf"):
		name = "nginx.conf"
	case confPrefix != "" && len(confPrefix) < len(file) && strings.HasPrefix(file, confPrefix):
		name = file[len(confPrefix):]
		if len(name)+reserve > maxLen {
			name, pre = name[len(name)-maxLen+reserve+3:], "..."
		}
	case len(file)+reserve > maxLen:
		name, pre = file[len(file)-maxLen+reserve+3:], "..."
	}
	return tag + "(" + pre + name + ":" + ln + ")"
}

func luaDirective(base string, ctx conf.Context, set func(b *builder, h *luaHandler) error) {
	mk := func(suffix string) handler {
		return func(b *builder, d *conf.Directive) error {
			return set(b, b.luaHandlerFrom(d, base, len(d.Args)-1))
		}
	}
	directive(mk(""), conf.Spec{Name: base, Ctx: ctx, Args: conf.Take1})
	directive(mk("_block"), conf.Spec{Name: base + "_block", Ctx: ctx, Args: conf.NoArgs, Block: true})
	directive(mk("_file"), conf.Spec{Name: base + "_file", Ctx: ctx, Args: conf.Take1})
}

// LuaModule is lua-nginx-module's http part: its phase handlers and filters.
var LuaModule = &Module{Name: "lua", Hooks: luaHooks}

func luaHooks(h *Hooks) {
	// lua-nginx-module's server rewrite handler runs before the rewrite
	// module's (a module loaded later comes first in its phase)
	h.PhaseFirst(ServerRewritePhase, luaServerRewriteHandler)
	h.Phase(RewritePhase, luaRewriteHandler)
	h.Phase(AccessPhase, luaAccessHandler)
	h.HeaderFilter(luaHeaderFilter)
	h.BodyFilter(luaBodyFilter)
	h.PhaseFirst(LogPhase, luaLogHandler)
}

// luaRewriteHandler runs rewrite_by_lua (after the rewrite directives and
// headers-more's input filters, as lua-nginx-module postpones it).
func luaRewriteHandler(r *Request) Status {
	h := r.loc.rewriteLua
	if h == nil {
		return Declined
	}
	return r.luaPhaseResult(h, luabindings.PhaseRewrite)
}

// luaServerRewriteHandler runs server_rewrite_by_lua, the server level's
// (or the http level's) handler, before the location is found; main
// requests and subrequests alike.
func luaServerRewriteHandler(r *Request) Status {
	h := r.srv.loc.s.serverRewriteLua
	if h == nil {
		return Declined
	}
	return r.luaPhaseResult(h, luabindings.PhaseServerRewrite)
}

// luaAccessHandler runs access_by_lua: finishing (or ngx.exit(ngx.OK))
// grants access, ngx.exit(ngx.DECLINED) declines, 401 and 403 deny.
func luaAccessHandler(r *Request) Status {
	h := r.loc.accessLua
	if h == nil {
		return Declined
	}
	r.luaDeclined, r.accessCode = false, 0
	if s := r.luaPhaseResult(h, luabindings.PhaseAccess); s != Declined {
		return s
	}
	switch {
	case r.accessCode == 403:
		return Forbidden
	case r.accessCode == 401:
		return Unauthorized
	case r.luaDeclined:
		return Declined
	}
	return Granted
}

func (r *Request) luaPhaseResult(h *luaHandler, phase luabindings.Phase) Status {
	r.runPhaseLua(h, phase)
	if r.done {
		return Done
	}
	if r.jump {
		// set_uri(uri, true): lua-nginx-module starts a new Lua context
		// for the request (ngx_http_lua_handle_rewrite_jump), ngx.ctx
		// included
		r.resetLuaCtx()
		return Restart
	}
	if r.headerSent {
		// output from rewrite/access_by_lua ends the request there
		r.finalize(0)
		return Done
	}
	return Declined
}

// luaContent is content_by_lua: the location's content handler.
type luaContent struct{ h *luaHandler }

func (c *luaContent) Content(r *Request) Status {
	r.runPhaseLua(c.h, luabindings.PhaseContent)
	if r.jump && !r.done {
		return Restart
	}
	if !r.done {
		r.finalize(0)
	}
	return Done
}

// UseDefaultType is lua_use_default_type.
func (c *luaContent) UseDefaultType(r *Request) bool { return r.loc.s.defaultTypeLua != 0 }

func luaHeaderFilter(r *Request) {
	h := r.loc.headerFilterLua
	if h == nil {
		return
	}
	r.runFilterLua(h, luabindings.PhaseHeaderFilter, nil, false)
	if r.aborted { // the filter failed: output ends here
		return
	}
	if code := r.hfExit; code != 0 {
		r.hfDiscard = true
		r.hfBody = nil
		if code >= 300 {
			r.status = code
			r.hfBody = errorPageBody(code, r.loc.s.serverTokens == 1)
			r.contentType, r.ctSet = "text/html", true
		}
		r.contentLen = int64(len(r.hfBody))
	}
}

func luaBodyFilter(r *Request, chunk []byte, last bool) ([]byte, bool) {
	if h := r.loc.bodyFilterLua; h != nil {
		return r.runFilterLua(h, luabindings.PhaseBodyFilter, chunk, last)
	}
	return chunk, last
}

func luaLogHandler(r *Request) Status {
	if h := r.loc.logLua; h != nil {
		r.runLogLua(h)
	}
	return Declined
}

func init() {
	luaDirective("rewrite_by_lua", hSLI, func(b *builder, h *luaHandler) error { b.loc.rewriteLua = h; return nil })
	luaDirective("server_rewrite_by_lua", conf.HTTP|conf.Server, func(b *builder, h *luaHandler) error {
		b.loc.s.serverRewriteLua = h
		return nil
	})
	luaDirective("access_by_lua", hSLI, func(b *builder, h *luaHandler) error { b.loc.accessLua = h; return nil })
	luaDirective("content_by_lua", lLI, func(b *builder, h *luaHandler) error { b.loc.handler = &luaContent{h}; return nil })
	luaDirective("header_filter_by_lua", hSLI, func(b *builder, h *luaHandler) error { b.loc.headerFilterLua = h; return nil })
	luaDirective("body_filter_by_lua", hSLI, func(b *builder, h *luaHandler) error { b.loc.bodyFilterLua = h; return nil })
	luaDirective("log_by_lua", hSLI, func(b *builder, h *luaHandler) error { b.loc.logLua = h; return nil })
	luaDirective("init_by_lua", conf.HTTP, func(b *builder, h *luaHandler) error { b.rt.initLua = h; return nil })
	luaDirective("init_worker_by_lua", conf.HTTP, func(b *builder, h *luaHandler) error { b.rt.initWorkerLua = h; return nil })
	luaDirective("exit_worker_by_lua", conf.HTTP, func(b *builder, h *luaHandler) error { b.rt.exitWorkerLua = h; return nil })

	// set_by_lua $var code [args...], set_by_lua_block $var { code }
	setLua := func(b *builder, d *conf.Directive) error {
		name := d.Args[0]
		if !strings.HasPrefix(name, "$") {
			return conf.Errorf(d, "invalid variable name \"%s\"", name)
		}
		codeArg := 1
		if strings.HasSuffix(d.Name, "_block") {
			codeArg = len(d.Args) - 1
		}
		h := b.luaHandlerFrom(d, "set_by_lua", codeArg)
		h.setVar = b.vars.declare(name[1:])
		if !strings.HasSuffix(d.Name, "_block") {
			for _, a := range d.Args[2:] {
				h.args = append(h.args, b.value(a))
			}
		}
		return b.AddScriptStep(func(r *Request) bool { return r.runSetLua(h) })
	}
	const setLuaCtx = conf.Server | conf.Location | conf.ServerIf | conf.LocationIf
	directive(setLua, conf.Spec{Name: "set_by_lua", Ctx: setLuaCtx, Args: conf.TwoMore})
	directive(setLua, conf.Spec{Name: "set_by_lua_block", Ctx: setLuaCtx, Args: conf.Take1, Block: true})
	directive(setLua, conf.Spec{Name: "set_by_lua_file", Ctx: setLuaCtx, Args: conf.TwoMore})

	directive(func(b *builder, d *conf.Directive) error {
		b.rt.luaPath = expandLuaPath(d.Args[0], b.rt.prefix)
		return nil
	}, conf.Spec{Name: "lua_package_path", Ctx: conf.HTTP, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.rt.luaCPath = expandLuaPath(d.Args[0], b.rt.prefix)
		return nil
	}, conf.Spec{Name: "lua_package_cpath", Ctx: conf.HTTP, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.codeCacheOff = -1
		if d.Args[0] == "off" {
			b.loc.s.codeCacheOff = 1
			b.confLog(errlog.Alert, d, "lua_code_cache is off; this will hurt performance")
		}
		return nil
	}, conf.Spec{Name: "lua_code_cache", Ctx: hSL, Args: conf.Flag})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := conf.ParseSize(d.Args[1])
		if err != nil || n < 8192 {
			return conf.Errorf(d, "invalid lua shared dict size \"%s\"", d.Args[1])
		}
		if _, dup := b.rt.sharedDicts[d.Args[0]]; dup {
			return conf.Errorf(d, "lua_shared_dict \"%s\" is already defined as \"%s\"", d.Args[0], d.Args[0])
		}
		b.rt.sharedDicts[d.Args[0]] = n
		return nil
	}, conf.Spec{Name: "lua_shared_dict", Ctx: conf.HTTP, Args: conf.Take2})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.rt.lua.maxPendingTimers = n
		return err
	}, conf.Spec{Name: "lua_max_pending_timers", Ctx: conf.HTTP, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.rt.lua.maxRunningTimers = n
		return err
	}, conf.Spec{Name: "lua_max_running_timers", Ctx: conf.HTTP, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.rt.lua.workerThreadVMs = n
		return err
	}, conf.Spec{Name: "lua_worker_thread_vm_pool_size", Ctx: conf.HTTP, Args: conf.Take1})
	socketTime := func(set func(b *builder, t time.Duration)) handler {
		return func(b *builder, d *conf.Directive) error {
			t, err := conf.ParseTime(d.Args[0])
			if err != nil {
				return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
			}
			set(b, t)
			return nil
		}
	}
	directive(socketTime(func(b *builder, t time.Duration) { b.rt.lua.connectTimeout = t }),
		conf.Spec{Name: "lua_socket_connect_timeout", Ctx: hSL, Args: conf.Take1})
	directive(socketTime(func(b *builder, t time.Duration) { b.rt.lua.sendTimeout = t }),
		conf.Spec{Name: "lua_socket_send_timeout", Ctx: hSL, Args: conf.Take1})
	directive(socketTime(func(b *builder, t time.Duration) { b.rt.lua.readTimeout = t }),
		conf.Spec{Name: "lua_socket_read_timeout", Ctx: hSL, Args: conf.Take1})
	directive(socketTime(func(b *builder, t time.Duration) { b.rt.lua.keepaliveTimeout = t }),
		conf.Spec{Name: "lua_socket_keepalive_timeout", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.rt.lua.poolSize = n
		return err
	}, conf.Spec{Name: "lua_socket_pool_size", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := conf.ParseSize(d.Args[0])
		if err != nil || n <= 0 || n > 1<<30 {
			return conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive", d.Args[0], d.Name)
		}
		b.rt.lua.socketBufferSize = int(n)
		return nil
	}, conf.Spec{Name: "lua_socket_buffer_size", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		b.rt.lua.socketQuiet = flag(d) == 0
		return nil
	}, conf.Spec{Name: "lua_socket_log_errors", Ctx: hSL, Args: conf.Flag})
	// goresty's own: interrupt a handler that runs Lua (not counting
	// blocking calls) longer than this; off by default
	directive(func(b *builder, d *conf.Directive) error {
		if d.Args[0] == "off" {
			b.loc.s.maxRunning = -1
			return nil
		}
		t, err := conf.ParseTime(d.Args[0])
		if err != nil || t <= 0 {
			return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
		}
		b.loc.s.maxRunning = t
		b.rt.limitRunning = true
		return nil
	}, conf.Spec{Name: "lua_max_running_time", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.rt.lua.regexCacheMax = n
		return err
	}, conf.Spec{Name: "lua_regex_cache_max_entries", Ctx: conf.HTTP, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		b.rt.lua.regexMatchLimit = n
		return err
	}, conf.Spec{Name: "lua_regex_match_limit", Ctx: conf.HTTP, Args: conf.Take1})
	flagSetting("lua_need_request_body", hSLI, func(s *settings) *int8 { return &s.needBody })
	flagSetting("lua_transform_underscores_in_response_headers", hSLI, func(s *settings) *int8 { return &s.underscoreHdr })
	flagSetting("lua_use_default_type", hSLI, func(s *settings) *int8 { return &s.defaultTypeLua })
	flagSetting("lua_http10_buffering", hSLI, func(s *settings) *int8 { return &s.http10Buf })
	flagSetting("lua_check_client_abort", hSL, func(s *settings) *int8 { return &s.checkAbort })
	directive(func(b *builder, d *conf.Directive) error {
		b.rt.amqpURL = d.Args[0]
		if len(d.Args) == 2 {
			n, err := atoiArg(d, d.Args[1])
			if err != nil {
				return err
			}
			b.rt.amqpBuffer = n
		}
		return nil
	}, conf.Spec{Name: "amqp_url", Ctx: conf.HTTP, Args: conf.Take12})
	// obsolete since lua-nginx-module 0.10.16 (resty.core is always
	// there): accepted with its deprecation warning
	directive(func(b *builder, d *conf.Directive) error {
		b.confLog(errlog.Warn, d, "lua_load_resty_core is deprecated (the lua-resty-core library is required since ngx_lua v0.10.16)")
		return nil
	}, conf.Spec{Name: "lua_load_resty_core", Ctx: conf.HTTP, Args: conf.Flag})
	accepted(
		conf.Spec{Name: "lua_malloc_trim", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "lua_sa_restart", Ctx: conf.HTTP, Args: conf.Flag},
		conf.Spec{Name: "lua_thread_cache_max_entries", Ctx: conf.HTTP, Args: conf.Take1},
		conf.Spec{Name: "rewrite_by_lua_no_postpone", Ctx: conf.HTTP, Args: conf.Flag},
		conf.Spec{Name: "access_by_lua_no_postpone", Ctx: conf.HTTP, Args: conf.Flag},
	)
}

// expandLuaPath applies lua_package_path's rules: $prefix / ${prefix} is
// the server prefix (with a trailing slash) and ";;" the default path.
func expandLuaPath(p, prefix string) string {
	pre := prefix
	if !strings.HasSuffix(pre, "/") {
		pre += "/"
	}
	p = strings.ReplaceAll(p, "${prefix}", pre)
	p = strings.ReplaceAll(p, "$prefix", pre)
	p = strings.Replace(p, ";;", ";"+defaultLuaPath()+";", 1)
	return strings.Trim(p, ";")
}

func defaultLuaPath() string {
	if v := os.Getenv("LUA_PATH"); v != "" {
		return v
	}
	return "./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
}
