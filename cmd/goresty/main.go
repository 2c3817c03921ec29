// Command goresty serves an nginx.conf with OpenResty's Lua API, and runs
// the database-event bridge and queue workers (goresty bridge|worker).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/amqp"
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/httpd"

	_ "github.com/goresty/goresty/luabindings/all"
)

const version = "0.1.0"

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "bridge":
			os.Exit(runBridge(os.Args[2:]))
		case "worker":
			os.Exit(runWorker(os.Args[2:]))
		case "resty":
			os.Exit(runResty(os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:]))
}

func init() { httpd.Version = version }

func usage() {
	fmt.Fprintf(os.Stderr, `Usage: goresty [-?hvVtTq] [-s signal] [-p prefix]
               [-e filename] [-c filename] [-g directives]
       goresty bridge [options]     database events to RabbitMQ (pg-amqp-bridge compatible)
       goresty worker [options]     RabbitMQ consumer running Lua handlers

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -t            : test configuration and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: .)
  -e filename   : set error log file (default: logs/error.log)
  -c filename   : set configuration file (default: conf/nginx.conf)
  -g directives : set global directives out of configuration file
`)
}

func run(args []string) int {
	fs := flag.NewFlagSet("goresty", flag.ContinueOnError)
	fs.Usage = usage
	var (
		showV  = fs.Bool("v", false, "")
		showVV = fs.Bool("V", false, "")
		test   = fs.Bool("t", false, "")
		dump   = fs.Bool("T", false, "")
		quiet  = fs.Bool("q", false, "")
		sig    = fs.String("s", "", "")
		prefix = fs.String("p", ".", "")
		cfile  = fs.String("c", "conf/nginx.conf", "")
		elog   = fs.String("e", "", "")
		global = fs.String("g", "", "")
		help   = fs.Bool("h", false, "")
	)
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if *help {
		usage()
		return 0
	}
	if *showV || *showVV {
		fmt.Fprintf(os.Stderr, "goresty version: goresty/%s (nginx/1.22.1 compatible, ngx_lua 0.10.23 API)\n", version)
		if *showVV {
			fmt.Fprintf(os.Stderr, "built-in Lua modules: %s\n", strings.Join(luabindings.BuiltinModules(), " "))
		}
		return 0
	}
	pfx, _ := filepath.Abs(*prefix)
	confPath := *cfile
	if !filepath.IsAbs(confPath) {
		confPath = filepath.Join(pfx, confPath)
	}
	opts := httpd.Options{Globals: *global, ErrorLog: *elog}
	if *sig != "" {
		return signalMaster(pfx, confPath, opts, *sig)
	}
	rt, err := httpd.LoadWith(pfx, confPath, opts)
	if *test || *dump {
		if err != nil {
			emerg(pfx, *elog, err.Error())
			fmt.Fprintf(os.Stderr, "goresty: configuration file %s test failed\n", confPath)
			return 1
		}
		printConfigMessages(rt)
		if !*quiet {
			fmt.Fprintf(os.Stderr, "goresty: the configuration file %s syntax is ok\n", confPath)
			fmt.Fprintf(os.Stderr, "goresty: configuration file %s test is successful\n", confPath)
		}
		if *dump {
			rt.Config().Dump(os.Stdout)
		}
		return 0
	}
	if err != nil {
		emerg(pfx, *elog, err.Error())
		return 1
	}
	if os.Getenv(daemonEnv) == "" {
		printConfigMessages(rt) // the daemon logs them to its error log
	}
	st := &startup{}
	if rt.Daemon() {
		if os.Getenv(daemonEnv) == "" {
			return daemonize()
		} else {
			os.Unsetenv(daemonEnv)
			syscall.CloseOnExec(3)
			st.report = os.NewFile(3, "daemon-ready")
		}
	}
	return serve(rt, pfx, confPath, opts, st)
}

func printConfigMessages(rt *httpd.Runtime) {
	for _, m := range rt.ConfigMessages() {
		fmt.Fprintf(os.Stderr, "goresty: %s\n", m)
	}
}

// emerg reports a start-up failure as nginx does: on stderr and in the
// error log in use before the configuration is read (-e or logs/error.log),
// when that can be opened.
func emerg(prefix, elog, msg string) {
	fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", msg)
	if path := httpd.DefaultErrorLog(prefix, elog); path != "stderr" {
		if l, err := errlog.Open(path, errlog.Emerg); err == nil {
			l.Write(errlog.Emerg, 0, msg)
			l.Close()
		}
	}
}

func serve(rt *httpd.Runtime, prefix, confPath string, opts httpd.Options, st *startup) int {
	// Request garbage is short-lived: collect less often than Go's default
	// unless GOGC says otherwise (trades a few MiB of RSS for throughput).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// GORESTY_CPUPROFILE=FILE writes a CPU profile until the server stops
	if path := os.Getenv("GORESTY_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := os.MkdirAll(filepath.Join(prefix, "logs"), 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
	}
	if err := rt.OpenLogs(); err != nil {
		return st.fail(nil, err)
	}
	elog := rt.ErrorLog()
	if st.report != nil {
		// a daemon's stderr goes to its error log, as nginx's does
		redirectStderr(elog)
		st.daemon = true
	}
	proc, err := httpd.NewProcess(rt)
	if err != nil {
		code := st.fail(elog, err)
		rt.Close()
		return code
	}
	pidPath := rt.PidPath()
	os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer os.Remove(pidPath)
	elog.Write(6, 0, "goresty/"+version+" started")
	st.ready()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1)
	for s := range sigs {
		switch s {
		case syscall.SIGHUP:
			// a configuration that cannot be served is closed by
			// Reload: its init_worker timers, VMs and files go with it
			next, err := httpd.LoadWith(prefix, confPath, opts)
			if err == nil {
				err = proc.Reload(next)
			}
			if err != nil {
				proc.Current().ErrorLog().Write(1, 0, "reload failed, keeping the running configuration: "+err.Error())
				continue
			}
			next.ErrorLog().Write(6, 0, "configuration reloaded")
		case syscall.SIGUSR1:
			cur := proc.Current()
			cur.ErrorLog().Write(6, 0, "reopening logs")
			if err := cur.Reopen(); err != nil {
				cur.ErrorLog().Write(1, 0, "reopen failed: "+err.Error())
			}
			if st.daemon {
				redirectStderr(cur.ErrorLog())
			}
		case syscall.SIGQUIT:
			proc.Current().ErrorLog().Write(6, 0, "gracefully shutting down")
			proc.Shutdown(true)
			amqp.Shutdown(5 * time.Second)
			return 0
		default:
			proc.Shutdown(false)
			amqp.Shutdown(0)
			return 0
		}
	}
	return 0
}

// signalMaster sends -s SIGNAL to the pid in the pid file, like nginx.
func signalMaster(prefix, confPath string, opts httpd.Options, name string) int {
	sigs := map[string]syscall.Signal{"stop": syscall.SIGTERM, "quit": syscall.SIGQUIT, "reload": syscall.SIGHUP, "reopen": syscall.SIGUSR1}
	s, ok := sigs[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "goresty: invalid option: \"-s %s\"\n", name)
		return 1
	}
	// as nginx: the configuration is read first (for its pid file), and
	// an error in it ends the command
	rt, err := httpd.LoadWith(prefix, confPath, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
		return 1
	}
	pidPath := rt.PidPath()
	b, err := os.ReadFile(pidPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [error] open() \"%s\" failed (%s)\n", pidPath, errors.Unwrap(err))
		return 1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [error] invalid PID number \"%s\" in \"%s\"\n", strings.TrimSpace(string(b)), pidPath)
		return 1
	}
	if err := syscall.Kill(pid, s); err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [error] kill(%d, %d) failed (%s)\n", pid, s, err)
		return 1
	}
	return 0
}

var _ = conf.Load
