package httpd

import (
	"os"
	"strings"
	"sync"

	"github.com/goresty/goresty/runtime/conf"
)

type logFormat struct {
	name   string
	value  *cvalue
	escape logEscape
}

// logEscape is log_format's escape= parameter: how variable values are
// written.
type logEscape uint8

const (
	escapeDefault logEscape = iota // " \ and bytes < 32 or > 126 as \xHH; a missing value is "-"
	escapeJSON                     // JSON string escapes; a missing value is empty
	escapeNone                     // as they are; a missing value is empty
)

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
		esc := escapeDefault
		if mode, ok := strings.CutPrefix(args[0], "escape="); ok {
			switch mode {
			case "default":
			case "json":
				esc = escapeJSON
			case "none":
				esc = escapeNone
			default:
				return conf.Errorf(d, "unknown log format escaping \"%s\"", mode)
			}
			args = args[1:]
			if len(args) == 0 {
				return conf.Errorf(d, "invalid number of arguments in \"log_format\" directive")
			}
		}
		b.rt.logFormats[name] = &logFormat{name: name, value: b.value(strings.Join(args, "")), escape: esc}
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

// logPhase runs log_by_lua and writes the access logs.
func (rt *Runtime) logPhase(r *Request) {
	if h := r.loc.logLua; h != nil {
		r.runLogLua(h)
	}
	for _, l := range r.loc.s.accessLogs {
		if l.cond != nil {
			if v := l.cond.eval(r); v == "" || v == "0" {
				continue
			}
		}
		line := l.format.line(r)
		l.file.mu.Lock()
		l.file.f.Write(line)
		l.file.mu.Unlock()
	}
}

// line is one access log line: the format's text with its variables
// escaped as escape= says, and a newline.
func (f *logFormat) line(r *Request) []byte {
	c := f.value
	if c.parts == nil {
		return append([]byte(c.lit), '\n')
	}
	buf := make([]byte, 0, 256)
	for _, p := range c.parts {
		if p.v == nil {
			buf = append(buf, p.lit...)
			continue
		}
		v, ok := p.v.value(r)
		switch {
		case !ok:
			if f.escape == escapeDefault {
				buf = append(buf, '-')
			}
		case f.escape == escapeJSON:
			buf = appendJSONEscaped(buf, v)
		case f.escape == escapeNone:
			buf = append(buf, v...)
		default:
			buf = appendLogEscaped(buf, v)
		}
	}
	return append(buf, '\n')
}

const upperHex = "0123456789ABCDEF"

// appendLogEscaped is nginx's ngx_http_log_escape: '"', '\\', control
// bytes, DEL and bytes past ASCII become \xHH.
func appendLogEscaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			buf = append(buf, '\\', 'x', upperHex[c>>4], upperHex[c&0xf])
		} else {
			buf = append(buf, c)
		}
	}
	return buf
}

// appendJSONEscaped is nginx's ngx_escape_json: '"' and '\\' are
// backslashed, control bytes become \n \r \t \b \f or \u00hh, other
// bytes (UTF-8 included) are kept.
func appendJSONEscaped(buf []byte, s string) []byte {
	const lowerHex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '\r':
			buf = append(buf, '\\', 'r')
		case c == '\t':
			buf = append(buf, '\\', 't')
		case c == '\b':
			buf = append(buf, '\\', 'b')
		case c == '\f':
			buf = append(buf, '\\', 'f')
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
		default:
			buf = append(buf, c)
		}
	}
	return buf
}
