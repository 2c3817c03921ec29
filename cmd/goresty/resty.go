package main

// goresty resty: OpenResty's resty-cli. As resty-cli does, it writes an
// nginx.conf into a temporary prefix whose init_worker_by_lua starts a
// zero-delay timer running the user's code, then runs that configuration
// (here in-process, through the runtime's Load/OpenLogs/StartLua, with no
// listeners). In that timer ngx.say/ngx.print/print write to stdout,
// ngx.exit(N) and os.exit(N) end the program with status N, a Lua error
// prints "ERROR: " with a traceback on stderr and exits 1, and when the
// code returns the timers that are due run until they first block, then
// the program exits 0 (one more turn of nginx's event loop, as resty's
// graceful exit of a single-process nginx gives).

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/ngxhttp"
	"github.com/goresty/goresty/runtime/httpd"
	lua "github.com/yuin/gopher-lua"
)

// restyVersion is the resty-cli release whose options and behaviour
// goresty resty follows.
const restyVersion = "0.29"

type restyOpts struct {
	src                     []string // -e code and -l requires, in order
	incDirs, shdicts, ns    []string
	httpConfs, mainConfs    []string
	httpIncludes, mainIncls []string
	conns                   string
	errlogLevel             string
	dump, version, help     bool
	file                    string
	userArgs                []string
}

var shdictRe = regexp.MustCompile(`^[_a-zA-Z0-9]+\s+\d+(?i:[km])?$`)

// parseResty reads resty-cli's command line: options first, then the Lua
// file and its arguments ("--" ends the options).
func parseResty(args []string) (*restyOpts, error) {
	o := &restyOpts{errlogLevel: "warn"}
	i := 0
	// value returns the option's argument: "-eCODE", "-e=CODE", "--opt=V"
	// or the next word
	value := func(arg, name string) (string, error) {
		if arg != name {
			v := strings.TrimPrefix(arg, name)
			if strings.HasPrefix(name, "--") || strings.HasPrefix(v, "=") {
				v = strings.TrimPrefix(v, "=")
			}
			return v, nil
		}
		if i+1 >= len(args) {
			//lint:ignore ST1005 resty-cli's wording
			return "", fmt.Errorf("option %s takes an argument but found none.", name)
		}
		i++
		return args[i], nil
	}
	is := func(arg, name string) bool {
		if strings.HasPrefix(name, "--") {
			return arg == name || strings.HasPrefix(arg, name+"=")
		}
		return strings.HasPrefix(arg, name)
	}
	for ; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			break
		}
		var err error
		var v string
		switch {
		case arg == "--":
			i++
			goto done
		case arg == "-h" || arg == "--help":
			o.help = true
			return o, nil
		case arg == "-v" || arg == "-V":
			o.version = true
		case arg == "--dump-nginx-conf":
			o.dump = true
		case arg == "--no-stream" || arg == "--resolve-ipv6":
			// no stream {} block and no resolver of goresty's own
		case is(arg, "--nginx"):
			if _, err = value(arg, "--nginx"); err == nil {
				fmt.Fprintln(os.Stderr, "goresty resty: --nginx ignored: the Lua code runs in goresty itself")
			}
		case is(arg, "--shdict"):
			if v, err = value(arg, "--shdict"); err == nil {
				if !shdictRe.MatchString(v) {
					return nil, fmt.Errorf("ERROR: invalid --shdict option value: %s\n  (expecting NAME SIZE)", v)
				}
				o.shdicts = append(o.shdicts, v)
			}
		case is(arg, "--http-conf"):
			if v, err = value(arg, "--http-conf"); err == nil {
				o.httpConfs = append(o.httpConfs, v)
			}
		case is(arg, "--main-conf"):
			if v, err = value(arg, "--main-conf"); err == nil {
				o.mainConfs = append(o.mainConfs, v)
			}
		case is(arg, "--http-include"):
			if v, err = value(arg, "--http-include"); err == nil {
				o.httpIncludes = append(o.httpIncludes, v)
			}
		case is(arg, "--main-include"):
			if v, err = value(arg, "--main-include"); err == nil {
				o.mainIncls = append(o.mainIncls, v)
			}
		case is(arg, "--ns"):
			if v, err = value(arg, "--ns"); err == nil {
				o.ns = append(o.ns, v)
			}
		case is(arg, "--errlog-level"):
			if v, err = value(arg, "--errlog-level"); err == nil {
				o.errlogLevel = v
			}
		case is(arg, "-I"):
			if v, err = value(arg, "-I"); err == nil {
				o.incDirs = append(o.incDirs, v)
			}
		case is(arg, "-e"):
			if v, err = value(arg, "-e"); err == nil {
				o.src = append(o.src, v)
			}
		case is(arg, "-l"):
			if v, err = value(arg, "-l"); err == nil {
				o.src = append(o.src, "require("+luaQuote(v)+")")
			}
		case is(arg, "-c"):
			if v, err = value(arg, "-c"); err == nil {
				if _, e := strconv.ParseUint(v, 10, 31); e != nil {
					//lint:ignore ST1005 resty-cli's wording
					return nil, fmt.Errorf("option -c value must be a number but found '%s'.", v)
				}
				o.conns = v
			}
		default:
			restyUsage(os.Stderr)
			return nil, fmt.Errorf("ERROR: unknown option %s", arg)
		}
		if err != nil {
			return nil, err
		}
	}
done:
	if i < len(args) {
		o.file, o.userArgs = args[i], args[i+1:]
	}
	if !regexp.MustCompile(`^[a-z]+$`).MatchString(o.errlogLevel) {
		return nil, fmt.Errorf("bad --errlog-level option value: %s", o.errlogLevel)
	}
	return o, nil
}

func restyUsage(w *os.File) {
	fmt.Fprint(w, `goresty resty [options] [lua-file [args]]

Runs Lua with OpenResty's API in a timer of a temporary goresty
configuration, as OpenResty's resty command does.

Options:
    -c NUM              Set maximal connection count (default: 64).
    -e PROG             Run the inlined Lua code in "prog".
    --errlog-level LEVEL
                        Set the error_log level (default: warn).
    -h, --help          Print this help.
    --http-conf CONF    nginx.conf snippet inserted into the http {} block
                        (multiple instances are supported).
    --http-include PATH Include the file in the http {} block (repeatable).
    -I DIR              Add dir to the search paths for Lua libraries
                        (prepended to lua_package_path; repeatable).
    -l LIB              Require library "lib".
    --main-conf CONF    nginx.conf snippet inserted into the main block
                        (multiple instances are supported).
    --main-include PATH Include the file in the main block (repeatable).
    --nginx PATH        Accepted and ignored: the code runs in goresty itself.
    --no-stream, --resolve-ipv6
                        Accepted (goresty has no stream {} block).
    --ns IP             Name server for the resolver directive (repeatable).
    --shdict 'NAME SIZE'
                        Create a lua_shared_dict in the http {} block
                        (multiple instances are supported).
    -V, -v              Print version numbers.
    --dump-nginx-conf   Print the generated nginx configuration and exit.
    --                  End of options.

The Lua file gets its arguments in the global "arg" table (arg[0] is the
file name). ngx.say, ngx.print and print write to stdout; ngx.exit(N) exits
with status N; a Lua error prints "ERROR: " and a traceback on stderr and
exits with status 1.
`)
}

// luaQuote quotes s as a Lua long string that s cannot close, as resty-cli
// does ("[=[...]=]" with the shortest level not used in s). A leading
// newline would be dropped by Lua, so one more is added before it.
func luaQuote(s string) string {
	level := 1
	for strings.Contains(s, "]"+strings.Repeat("=", level)+"]") {
		level++
	}
	eq := strings.Repeat("=", level)
	nl := ""
	if strings.HasPrefix(s, "\n") || strings.HasPrefix(s, "\r") {
		nl = "\n"
	}
	return "[" + eq + "[" + nl + s + "]" + eq + "]"
}

// conf is the generated nginx.conf; codeFile holds the -e code. all is
// the number of words on resty's command line (for arg[-n]).
func (o *restyOpts) conf(codeFile string, all int) string {
	var b strings.Builder
	conns := o.conns
	if conns == "" {
		conns = "64"
	}
	fmt.Fprintf(&b, "daemon off;\nmaster_process off;\nworker_processes 1;\npid logs/nginx.pid;\n\n")
	fmt.Fprintf(&b, "error_log stderr %s;\n\nevents {\n    worker_connections %s;\n}\n\n", o.errlogLevel, conns)
	for _, c := range o.mainConfs {
		fmt.Fprintf(&b, "%s\n", c)
	}
	for _, p := range o.mainIncls {
		fmt.Fprintf(&b, "include %s;\n", absPath(p))
	}
	b.WriteString("\nhttp {\n    access_log off;\n    lua_socket_log_errors off;\n    lua_regex_cache_max_entries 40960;\n")
	if len(o.ns) > 0 {
		fmt.Fprintf(&b, "    resolver %s;\n", strings.Join(o.ns, " "))
	}
	for _, d := range o.shdicts {
		fmt.Fprintf(&b, "    lua_shared_dict %s;\n", d)
	}
	if len(o.incDirs) > 0 {
		var p strings.Builder
		for _, d := range o.incDirs {
			d = absPath(d)
			fmt.Fprintf(&p, "%s/?.lua;%s/?/init.lua;", d, d)
		}
		// ";;" appends the default path, as resty-cli's does
		fmt.Fprintf(&b, "    lua_package_path \"%s;\";\n", p.String())
	}
	for _, c := range o.httpConfs {
		fmt.Fprintf(&b, "    %s\n", c)
	}
	for _, p := range o.httpIncludes {
		fmt.Fprintf(&b, "    include %s;\n", absPath(p))
	}

	// the arg table, as resty-cli builds it: arg[0] the Lua file (or the
	// file holding the -e code), arg[1..] the user's arguments and
	// arg[-n] the program, n being the number of words before them
	arg0 := o.file
	if arg0 == "" {
		arg0 = codeFile
	}
	var loader strings.Builder
	fmt.Fprintf(&loader, "            arg = {}\n            arg[0] = %s\n", luaQuote(arg0))
	for i, a := range o.userArgs {
		fmt.Fprintf(&loader, "            arg[%d] = %s\n", i+1, luaQuote(a))
	}
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	fmt.Fprintf(&loader, "            arg[%d] = %s\n", -(all - len(o.userArgs)), luaQuote(self))
	chunk := func(name, file, chunkName string) {
		fmt.Fprintf(&loader, `            local %s
            do
                local f = assert(io.open(%s, "r"))
                local chunk = f:read("*a")
                f:close()
                %s = assert(loadstring(chunk, %s))
            end
`, name, luaQuote(file), name, luaQuote(chunkName))
	}
	if len(o.src) > 0 {
		chunk("inline_gen", codeFile, "=(command line -e)")
	}
	if o.file != "" {
		chunk("file_gen", o.file, "@"+o.file)
	}

	fmt.Fprintf(&b, `
    init_worker_by_lua_block {
        local console = require "goresty.console"
        local ok, err = pcall(function ()
%s
            local function gen()
                if inline_gen then inline_gen() end
                if file_gen then file_gen() end
            end
            local ok, err = ngx.timer.at(0, function ()
                local ok, err = xpcall(gen, console.traceback)
                if not ok then
                    return console.fail(err)
                end
                console.done()
            end)
            if not ok then
                error(err)
            end
        end)
        if not ok then
            console.fail(err)
        end
    }
}
`, loader.String())
	return b.String()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// runResty is `goresty resty ...`; it returns the exit status.
func runResty(args []string) int {
	o, err := parseResty(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if o.help {
		restyUsage(os.Stdout)
		return 0
	}
	if o.version {
		fmt.Fprintf(os.Stderr, "resty %s (goresty resty)\n", restyVersion)
		fmt.Fprintf(os.Stderr, "goresty version: goresty/%s (nginx/1.22.1 compatible, ngx_lua 0.10.23 API)\n", version)
		return 0
	}
	if len(o.src) == 0 && o.file == "" {
		fmt.Fprintln(os.Stderr, `Neither Lua input file nor -e "" option specified.`)
		return 1
	}
	if o.file != "" {
		if _, err := os.Stat(o.file); err != nil {
			fmt.Fprintf(os.Stderr, "Lua input file %s not found.\n", o.file)
			return 1
		}
	}
	for _, p := range append(append([]string(nil), o.httpIncludes...), o.mainIncls...) {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			fmt.Fprintf(os.Stderr, "ERROR: could not find include file '%s'\n", p)
			return 1
		}
	}

	prefix, err := os.MkdirTemp("", "resty_")
	if err != nil {
		fmt.Fprintf(os.Stderr, "ERROR: %s\n", err)
		return 1
	}
	defer os.RemoveAll(prefix)
	codeFile := filepath.Join(prefix, "conf", "a.lua")
	text := o.conf(codeFile, len(args))
	if o.dump {
		fmt.Print(text)
		return 0
	}
	for _, d := range []string{"conf", "logs"} {
		if err := os.Mkdir(filepath.Join(prefix, d), 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "ERROR: %s\n", err)
			return 1
		}
	}
	confPath := filepath.Join(prefix, "conf", "nginx.conf")
	if err := os.WriteFile(confPath, []byte(text), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "ERROR: %s\n", err)
		return 1
	}
	if len(o.src) > 0 {
		if err := os.WriteFile(codeFile, []byte(strings.Join(o.src, "; ")), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "ERROR: %s\n", err)
			return 1
		}
	}

	rt, err := httpd.Load(prefix, confPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	if err := rt.OpenLogs(); err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	exit := make(chan int, 1)
	httpd.OnVM = append(httpd.OnVM, func(r *httpd.Runtime, vm *luabindings.VM) {
		if r == rt {
			installConsole(vm, exit)
		}
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	// init_worker_by_lua may itself end the program (a load error)
	go func() {
		if err := rt.StartLua(); err != nil {
			fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
			exit <- 1
		}
	}()
	select {
	case code := <-exit:
		return code
	case s := <-sigs:
		return 128 + int(s.(syscall.Signal))
	}
}

// installConsole gives the VM resty-cli's console API: output to stdout,
// exit with a status, and the goresty.console module the generated
// init_worker_by_lua uses. An exit sends the status to the command and
// keeps the VM, so that no Lua runs any more while the process ends.
func installConsole(vm *luabindings.VM, exit chan<- int) {
	L := vm.L
	ngx := vm.Ngx()
	stop := func(code int) {
		select {
		case exit <- code:
		default:
		}
		select {} // the process exits; hold the VM until then
	}
	write := func(L *lua.LState, newline bool) int {
		null := ngx.RawGetString("null")
		var buf []byte
		n := L.GetTop()
		for n > 0 && L.Get(n) == lua.LNil {
			n-- // resty-cli expands {...} up to table.maxn
		}
		for i := 1; i <= n; i++ {
			buf = expandArg(L, buf, L.Get(i), null)
		}
		if newline {
			buf = append(buf, '\n')
		}
		if _, err := os.Stdout.Write(buf); err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		L.Push(lua.LTrue)
		return 1
	}
	exitFn := L.NewFunction(func(L *lua.LState) int {
		code := 0
		switch v := L.Get(1).(type) {
		case lua.LBool:
			if !v {
				code = 1
			}
		case lua.LNumber:
			code = int(v)
		}
		stop(code)
		return 0
	})
	ok := L.NewFunction(func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	say := L.NewFunction(func(L *lua.LState) int { return write(L, true) })
	ngx.RawSetString("orig_print", ngx.RawGetString("print"))
	ngx.RawSetString("orig_say", ngx.RawGetString("say"))
	ngx.RawSetString("orig_exit", ngx.RawGetString("exit"))
	ngx.RawSetString("print", L.NewFunction(func(L *lua.LState) int { return write(L, false) }))
	ngx.RawSetString("say", say)
	ngx.RawSetString("flush", ok) // stdout is not buffered
	ngx.RawSetString("eof", ok)
	ngx.RawSetString("exit", exitFn)
	L.SetGlobal("print", say)
	if osLib, ok := L.GetGlobal("os").(*lua.LTable); ok {
		osLib.RawSetString("exit", exitFn)
	}
	if cfg, ok := ngx.RawGetString("config").(*lua.LTable); ok {
		cfg.RawSetString("is_console", lua.LTrue)
	}

	mod := L.NewTable()
	// traceback is the xpcall handler: the message and the stack from
	// the function that raised the error (a C function such as error()
	// itself is left out)
	mod.RawSetString("traceback", L.NewFunction(func(L *lua.LState) int {
		msg := L.Get(1)
		s, isStr := msg.(lua.LString)
		if !isStr {
			if n, isNum := msg.(lua.LNumber); isNum {
				s = lua.LString(n.String())
			} else {
				s = lua.LString("(error object is a " + msg.Type().String() + " value)")
			}
		}
		level := 1
		if dbg, ok := L.GetStack(1); ok {
			if L.GetInfo("S", dbg, lua.LNil); dbg.What == "G" {
				level = 2
			}
		}
		L.Push(lua.LString(string(s) + "\n" + stackTraceback(L, level)))
		return 1
	}))
	mod.RawSetString("fail", L.NewFunction(func(L *lua.LState) int {
		fmt.Fprintf(os.Stderr, "ERROR: %s\n", L.ToStringMeta(L.Get(1)).String())
		stop(1)
		return 0
	}))
	mod.RawSetString("done", L.NewFunction(func(L *lua.LState) int {
		ngxhttp.RunDueTimers(vm)
		stop(0)
		return 0
	}))
	preload := L.GetField(L.GetField(L.Get(lua.GlobalsIndex), "package"), "preload").(*lua.LTable)
	preload.RawSetString("goresty.console", L.NewFunction(func(L *lua.LState) int {
		L.Push(mod)
		return 1
	}))
}

// stackTraceback is debug.traceback's stack part from level on.
func stackTraceback(L *lua.LState, level int) string {
	dbg := L.GetField(L.GetGlobal("debug"), "traceback")
	L.Push(dbg)
	L.Push(lua.LString(""))
	L.Push(lua.LNumber(level + 1))
	L.Call(2, 1)
	s := L.Get(-1).String()
	L.Pop(1)
	return strings.TrimPrefix(s, "\n")
}

// expandArg appends v as resty-cli's console ngx.say writes it: strings
// as they are, nil/booleans/ngx.null by name, tables (array part up to
// table.maxn) flattened, anything else through tostring.
func expandArg(L *lua.LState, buf []byte, v, null lua.LValue) []byte {
	switch x := v.(type) {
	case lua.LString:
		return append(buf, x...)
	case *lua.LNilType:
		return append(buf, "nil"...)
	case lua.LBool:
		return strconv.AppendBool(buf, bool(x))
	case *lua.LTable:
		for i, n := 1, x.MaxN(); i <= n; i++ {
			buf = expandArg(L, buf, x.RawGetInt(i), null)
		}
		return buf
	}
	if v == null {
		return append(buf, "null"...)
	}
	return append(buf, L.ToStringMeta(v).String()...)
}
