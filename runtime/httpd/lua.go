package httpd

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// worker is one Lua VM with its compiled handler functions.
type worker struct {
	id    int
	vm    *luabindings.VM
	fns   []*lua.LFunction
	files map[string]*fileChunk
}

type fileChunk struct {
	fn      *lua.LFunction
	missing bool
	err     error
}

// compileLua compiles source once; the proto is shared by all workers.
func compileLua(src, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	return lua.Compile(chunk, name)
}

// skipShebang drops a first line starting with "#" (a Unix executable),
// keeping its newline so that line numbers stay, as LuaJIT's loadfile.
func skipShebang(src []byte) string {
	if len(src) > 0 && src[0] == '#' {
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			return string(src[i:])
		}
		return ""
	}
	return string(src)
}

// fileOpenError is LuaJIT's message for a Lua file that does not open
// ("cannot open /x.lua: No such file or directory") and the status
// lua-nginx-module answers with: 404 for a missing file, 503 otherwise.
func fileOpenError(path string, err error) (string, int) {
	msg := "cannot open " + path
	var en syscall.Errno
	if errors.As(err, &en) {
		t := en.Error()
		if t != "" {
			t = strings.ToUpper(t[:1]) + t[1:]
		}
		msg += ": " + t
	}
	if errors.Is(err, fs.ErrNotExist) {
		return msg, 404
	}
	return msg, 503
}

// loadFile reads and compiles a Lua file for a VM.
func loadFile(L *lua.LState, path string) *fileChunk {
	src, err := os.ReadFile(path)
	if err != nil {
		return &fileChunk{missing: true, err: err}
	}
	proto, err := compileLua(skipShebang(src), path)
	if err != nil {
		return &fileChunk{err: err}
	}
	return &fileChunk{fn: L.NewFunctionFromProto(proto)}
}

// fileChunk is the worker's cached load of a *_by_lua_file path.
func (w *worker) fileChunk(path string) *fileChunk {
	fc := w.files[path]
	if fc == nil {
		fc = loadFile(w.vm.L, path)
		if w.files == nil {
			w.files = map[string]*fileChunk{}
		}
		w.files[path] = fc
	}
	return fc
}

// function returns the handler's function on this worker (VM held).
func (w *worker) function(rt *Runtime, r *Request, h *luaHandler) (*lua.LFunction, int) {
	if h.file == nil {
		if h.loadErr != nil {
			r.logf(LogErr, "failed to load inlined Lua code: %s", h.loadErr.Error())
			return nil, 500
		}
		for len(w.fns) <= h.id {
			w.fns = append(w.fns, nil)
		}
		fn := w.fns[h.id]
		if fn == nil {
			fn = w.vm.L.NewFunctionFromProto(h.proto)
			w.fns[h.id] = fn
		}
		return fn, 0
	}
	path := h.file.eval(r)
	if path == "" {
		r.logf(LogErr, "failed to load external Lua file: empty file path")
		return nil, 500
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(rt.prefix, path)
	}
	fc := w.fileChunk(path)
	if fc.missing {
		msg, code := fileOpenError(path, fc.err)
		r.logf(LogErr, "failed to load external Lua file \"%s\": %s", path, msg)
		return nil, code
	}
	if fc.err != nil {
		r.logf(LogErr, "failed to load external Lua file \"%s\": %s", path, fc.err.Error())
		return nil, 500
	}
	return fc.fn, 0
}

func (r *Request) luaCtx() *luabindings.Ctx {
	if r.lua == nil {
		r.lua = &luabindings.Ctx{VM: r.w.vm, Req: r}
	}
	return r.lua
}

// resetLuaCtx forgets ngx.ctx (an internal redirect, set_uri's jump):
// the table's number stays taken until the main request ends, as
// lua-nginx-module releases it from a pool cleanup.
func (r *Request) resetLuaCtx() {
	r.luaCtxRef = nil
}

// CtxTable is the request's ngx.ctx table (nil until first used).
func (r *Request) CtxTable() any { return r.luaCtxRef }

// SetCtxTable stores the request's ngx.ctx table; a request without one
// takes a number for it, released at the end of the main request.
func (r *Request) SetCtxTable(t any) {
	if r.luaCtxRef == nil && t != nil && r.w != nil && r.w.vm != nil {
		root := r.rootReq()
		root.ctxRefs = append(root.ctxRefs, r.w.vm.CtxRef())
	}
	r.luaCtxRef = t
}

// releaseCtxRefs ends the ngx.ctx tables of a main request and its
// subrequests (ngx_http_lua_ngx_ctx_cleanup).
func (r *Request) releaseCtxRefs() {
	for _, ref := range r.ctxRefs {
		r.logf(LogDebug, "lua release ngx.ctx at ref %d", ref)
		r.w.vm.CtxUnref(ref)
	}
	r.ctxRefs = nil
}

// withVM runs fn holding the worker VM for this request; a request whose
// Lua already holds it (a filter run from ngx.say, a subrequest) runs
// fn directly.
func (r *Request) withVM(fn func()) {
	if r.vmHeld {
		fn()
		return
	}
	if r.w == nil {
		// the request's first Lua: on whichever worker is free; the
		// request stays there from now on
		c := &luabindings.Ctx{Req: r}
		r.lua = c
		if r.loc.s.codeCacheOff == 1 {
			w, err := r.rt.requestWorker()
			if err != nil {
				r.logf(LogErr, "failed to initialize Lua VM: %s", err.Error())
				r.lua = nil
				r.finalize(500)
				return
			}
			r.w, r.ownVM = w, true
			c.VM = w.vm
			w.vm.Lock(c)
		} else {
			r.w = r.rt.workers[r.rt.pool.Lock(c)]
		}
	} else {
		r.w.vm.Lock(r.luaCtx())
	}
	vm := r.w.vm
	if r.rt.limitRunning {
		// each handler has lua_max_running_time of its own
		r.lua.ResetRunningTime(max(r.loc.s.maxRunning, 0))
	}
	r.vmHeld = true
	defer func() {
		r.vmHeld = false
		vm.Unlock()
	}()
	fn()
}

// releaseVM lets go of the request's own Lua VM (lua_code_cache off).
func (r *Request) releaseVM() {
	if r.ownVM {
		r.ownVM = false
		r.w.vm.Unref()
	}
}

// unlocked runs blocking work with the VM released if this request holds it.
func (r *Request) unlocked(fn func()) {
	if r.vmHeld {
		r.w.vm.Unlocked(fn)
		return
	}
	fn()
}

// runPhaseLua runs a rewrite/access/content handler.
func (r *Request) runPhaseLua(h *luaHandler, phase luabindings.Phase) {
	r.withVM(func() { r.callPhaseLua(h, phase) })
	if r.execPending {
		r.execPending = false
		r.lenUnknown = false
		r.done = false
		r.redirectTo(r.execURI, r.execArgs)
		r.done = true
	}
}

func (r *Request) callPhaseLua(h *luaHandler, phase luabindings.Phase) {
	if r.loc.s.needBody == 1 {
		r.bodyRead = true
		if code := r.loadBody(); code != 0 {
			r.finalize(code)
			return
		}
	}
	c := r.luaCtx()
	vm := r.w.vm
	fn, fail := r.w.function(r.rt, r, h)
	if fn == nil {
		r.finalize(fail)
		return
	}
	c.Phase = phase
	if phase == luabindings.PhaseContent {
		// lua-nginx-module sends the header without a length: the
		// body is whatever the handler prints, chunked on HTTP/1.1
		r.lenUnknown = true
	}
	if r.loc.s.checkAbort == 1 && r.parent == nil && !r.luaWatching && LuaClientAbort != nil {
		// lua_check_client_abort: nginx's read event handler while Lua
		// runs (ngx_http_lua_rd_check_broken_connection)
		r.luaWatching = r.WatchClient(r.luaClientGone)
	}
	r.luaActive = true
	_, err := vm.Call(c, fn)
	if WaitLightThreads != nil {
		WaitLightThreads(vm, c)
	}
	r.luaActive = false
	c.Revive()
	if r.clientAbort {
		// the client went away with no on_abort handler: the handler
		// was stopped, the request ends with 499
		r.clientAbort = false
		r.terminate(499)
		return
	}
	r.luaFailed(err, phase)
}

// luaClientGone runs on the watcher's goroutine when the client of a
// request running Lua closed the connection.
func (r *Request) luaClientGone() {
	vm, c := r.w.vm, r.lua
	vm.Lock(c)
	defer vm.Unlock()
	if !r.luaActive {
		return
	}
	r.logf(LogInfo, "client prematurely closed connection")
	if LuaClientAbort(vm, c) {
		return // the on_abort handler runs
	}
	r.clientAbort = true
}

// WaitLightThreads, set by the ngx.thread binding, waits for the light
// threads a handler spawned before its phase ends.
var WaitLightThreads func(vm *luabindings.VM, c *luabindings.Ctx)

// LuaClientAbort, set by the ngx bindings, is called holding the VM when
// the client of a request running Lua went away (lua_check_client_abort):
// it starts the request's ngx.on_abort handler as a light thread and
// returns true, or, with none registered, stops the request's Lua
// threads and returns false.
var LuaClientAbort func(vm *luabindings.VM, c *luabindings.Ctx) bool

// LuaCtx is the request's Lua entity (its entry thread), nil before any
// Lua ran.
func (r *Request) LuaCtx() *luabindings.Ctx { return r.lua }

// luaFailed handles a handler's error: a 500 before the header was sent,
// an aborted response after.
func (r *Request) luaFailed(err error, phase luabindings.Phase) bool {
	if err == nil || errors.Is(err, luabindings.ErrExit) {
		return false
	}
	r.logf(LogErr, "lua entry thread aborted: runtime error: %s", luaThreadErrorText(err))
	if r.headerSent || r.pendingSubreqs > 0 {
		// with captures in flight nginx finalizes with NGX_ERROR
		r.abort()
	} else if phase != luabindings.PhaseHeaderFilter && phase != luabindings.PhaseBodyFilter && phase != luabindings.PhaseLog {
		r.finalize(500)
	}
	return true
}

// luaErrorText is the message plus traceback as nginx logs it.
func luaErrorText(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		msg := ae.Object.String()
		if ae.StackTrace != "" {
			msg += "\n" + ae.StackTrace
		}
		return msg
	}
	return err.Error()
}

// luaThreadErrorText is the message plus the thread traceback
// lua-nginx-module writes for an aborted entry thread ("coroutine 0:").
func luaThreadErrorText(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if tb := ae.ThreadTraceback(); tb != "" {
			return ae.Object.String() + "\n" + tb
		}
	}
	return luaErrorText(err)
}

// luaFilterErrorText is the error of a handler lua-nginx-module runs
// with debug.traceback as the message handler (filters, set_by_lua,
// log_by_lua): a string or number gets the traceback, any other value
// is "unknown reason".
func luaFilterErrorText(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		switch ae.Object.(type) {
		case lua.LString, lua.LNumber:
		default:
			return "unknown reason"
		}
	}
	return luaErrorText(err)
}

// runFilterLua runs a header or body filter with the VM possibly already
// held by a content handler of the same request.
func (r *Request) runFilterLua(h *luaHandler, phase luabindings.Phase, chunk []byte, last bool) (out []byte, eof bool) {
	out, eof = chunk, last
	r.withVM(func() { out, eof = r.callFilterLua(h, phase, chunk, last) })
	return
}

func (r *Request) callFilterLua(h *luaHandler, phase luabindings.Phase, chunk []byte, last bool) ([]byte, bool) {
	c := r.luaCtx()
	vm := r.w.vm
	fn, _ := r.w.function(r.rt, r, h)
	if fn == nil {
		// the filter did not load: nginx's filter fails, the
		// response is cut
		r.abort()
		return nil, false
	}
	prev := c.Phase
	c.Phase = phase
	r.filterChunk, r.filterEOF = chunk, last
	rets, err := vm.Call(c, fn)
	c.Phase = prev
	if err != nil && !errors.Is(err, luabindings.ErrExit) {
		r.logf(LogErr, "failed to run %s*: %s", phaseHandlerName(phase), luaFilterErrorText(err))
		// fail closed as nginx: nothing more reaches the client, not
		// the unfiltered output the filter may exist to change
		r.filterFailed()
		return nil, false
	}
	if phase == luabindings.PhaseBodyFilter && len(rets) > 0 {
		// a body filter returning ngx.ERROR or a status >= 300 fails
		// as an error does (ngx_http_lua_body_filter_by_chunk reads
		// the first result with lua_tointeger), without a log line
		if rc := filterReturnCode(rets[0]); rc == -1 || rc >= 300 {
			r.filterFailed()
			return nil, false
		}
	}
	return r.filterChunk, r.filterEOF
}

// filterFailed ends a response whose Lua filter failed (NGX_ERROR from
// the filter chain). In a subrequest, nginx's ngx_http_finalize_request
// then terminates the main request: its connection closes too.
func (r *Request) filterFailed() {
	r.abort()
	if r.subOut != nil {
		r.subOut.terminate = true
	}
}

// filterReturnCode is lua_tointeger of a filter's first result: a number
// or a numeric string, truncated; 0 for anything else.
func filterReturnCode(v lua.LValue) int64 {
	switch v := v.(type) {
	case lua.LNumber:
		return int64(v)
	case lua.LString:
		if n, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return int64(n)
		}
	}
	return 0
}

func phaseHandlerName(p luabindings.Phase) string {
	switch p {
	case luabindings.PhaseHeaderFilter:
		return "header_filter_by_lua"
	case luabindings.PhaseBodyFilter:
		return "body_filter_by_lua"
	case luabindings.PhaseLog:
		return "log_by_lua"
	}
	return p.String()
}

// FilterArg is ngx.arg[1]/[2] in a body filter.
func (r *Request) FilterArg() ([]byte, bool) { return r.filterChunk, r.filterEOF }

// SetFilterChunk replaces ngx.arg[1]; SetFilterEOF replaces ngx.arg[2].
func (r *Request) SetFilterChunk(b []byte) { r.filterChunk = b }
func (r *Request) SetFilterEOF(v bool)     { r.filterEOF = v }

// SetArgs is ngx.arg in set_by_lua.
func (r *Request) SetArgs() []string { return r.setArgs }

// runSetLua runs set_by_lua and stores its result.
func (r *Request) runSetLua(h *luaHandler) (ok bool) {
	r.withVM(func() { ok = r.callSetLua(h) })
	return
}

func (r *Request) callSetLua(h *luaHandler) bool {
	c := r.luaCtx()
	vm := r.w.vm
	fn, fail := r.w.function(r.rt, r, h)
	if fn == nil {
		_ = fail
		return false
	}
	args := make([]string, len(h.args))
	for i, a := range h.args {
		args[i] = a.eval(r)
	}
	r.setArgs = args
	prev := c.Phase
	c.Phase = luabindings.PhaseSet
	rets, err := vm.Call(c, fn)
	c.Phase = prev
	r.setArgs = nil
	if err != nil && !errors.Is(err, luabindings.ErrExit) {
		r.logf(LogErr, "failed to run set_by_lua*: %s", luaFilterErrorText(err))
		return false
	}
	v := ""
	if len(rets) > 0 && rets[0] != lua.LNil {
		v = lua.LVAsString(rets[0])
		if b, ok := rets[0].(lua.LBool); ok {
			if b {
				v = "true"
			} else {
				v = "false"
			}
		}
	}
	r.setVar(h.setVar, v)
	return true
}

// runLogLua runs log_by_lua after the response was sent.
func (r *Request) runLogLua(h *luaHandler) {
	r.withVM(func() { r.callLogLua(h) })
}

func (r *Request) callLogLua(h *luaHandler) {
	c := r.luaCtx()
	vm := r.w.vm
	fn, _ := r.w.function(r.rt, r, h)
	if fn == nil {
		return
	}
	c.Phase = luabindings.PhaseLog
	if _, err := vm.Call(c, fn); err != nil && !errors.Is(err, luabindings.ErrExit) {
		r.logf(LogErr, "failed to run log_by_lua*: %s", luaFilterErrorText(err))
	}
}
