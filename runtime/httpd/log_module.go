package httpd

import (
	"os"
	"strings"
	"sync"

	"github.com/goresty/goresty/runtime/conf"
)

type logFormat struct {
	name  string
	value *cvalue
}

type accessLog struct {
	file   *logFile
	format *logFormat
	cond   *cvalue
}

type logFile struct {
	mu sync.Mutex
	f  *os.File
}

const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

func init() {
	directive(func(b *builder, d *conf.Directive) error {
		name := d.Args[0]
		args := d.Args[1:]
		if len(args) > 0 && strings.HasPrefix(args[0], "escape=") {
			args = args[1:]
		}
		b.rt.logFormats[name] = &logFormat{name: name, value: b.value(strings.Join(args, ""))}
		return nil
	}, conf.Spec{Name: "log_format", Ctx: conf.HTTP, Args: conf.TwoMore})
	directive(func(b *builder, d *conf.Directive) error {
		s := &b.loc.s
		if !s.accessLogsSet {
			s.accessLogs, s.accessLogsSet = nil, true
		}
		if d.Args[0] == "off" {
			return nil
		}
		fname := "combined"
		var cond *cvalue
		for _, a := range d.Args[1:] {
			switch {
			case strings.HasPrefix(a, "if="):
				cond = b.value(a[3:])
			case strings.Contains(a, "="):
			default:
				fname = a
			}
		}
		f := b.rt.logFormats[fname]
		if f == nil {
			if fname != "combined" {
				return conf.Errorf(d, "unknown log format \"%s\"", fname)
			}
			f = &logFormat{name: "combined", value: b.value(combinedFormat)}
			b.rt.logFormats["combined"] = f
		}
		lf, err := b.rt.openLog(d.Args[0])
		if err != nil {
			return conf.Errorf(d, "open() \"%s\" failed (%s)", b.rt.path(d.Args[0]), err.Error())
		}
		s.accessLogs = append(s.accessLogs, &accessLog{file: lf, format: f, cond: cond})
		return nil
	}, conf.Spec{Name: "access_log", Ctx: hSLI | conf.LimitExcept, Args: conf.OneMore})
	accepted(conf.Spec{Name: "open_log_file_cache", Ctx: hSL, Args: conf.OneMore})
	builtins["remote_user"] = func(r *Request) (string, bool) { return "-", false }
}

func (rt *Runtime) openLog(p string) (*logFile, error) {
	if p == "stderr" || p == "/dev/stderr" {
		return &logFile{f: os.Stderr}, nil
	}
	path := rt.path(p)
	if lf := rt.logFiles[path]; lf != nil {
		return lf, nil
	}
	if strings.Contains(path, "$") {
		return nil, os.ErrInvalid
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	lf := &logFile{f: f}
	rt.logFiles[path] = lf
	return lf, nil
}

// LogModule is ngx_http_log_module.
var LogModule = &Module{Name: "log", Hooks: func(h *Hooks) { h.Phase(LogPhase, accessLogHandler) }}

// accessLogHandler writes the access logs.
func accessLogHandler(r *Request) Status {
	for _, l := range r.loc.s.accessLogs {
		if l.cond != nil {
			if v := l.cond.eval(r); v == "" || v == "0" {
				continue
			}
		}
		line := l.format.value.eval(r) + "\n"
		l.file.mu.Lock()
		l.file.f.WriteString(line)
		l.file.mu.Unlock()
	}
	return Declined
}
