// Package logmodule is ngx_http_log_module: log_format and access_log,
// written in the log phase.
package logmodule

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the log module (its table is filled in by init: the handlers
// refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "log",
		Commands: []httpd.Command{
			httpd.Directive(setLogFormat, conf.Spec{Name: "log_format", Ctx: conf.HTTP, Args: conf.TwoMore}),
			httpd.Directive(setAccessLog, conf.Spec{Name: "access_log", Ctx: hSL | conf.LocationIf | conf.LimitExcept, Args: conf.OneMore}),
		},
		Accepted:       []conf.Spec{{Name: "open_log_file_cache", Ctx: hSL, Args: conf.OneMore}},
		Variables:      []httpd.Variable{{Name: "remote_user", Get: remoteUser}},
		CreateLocConf:  func() any { return &locConf{} },
		MergeLocConf:   mergeLocConf,
		CreateMainConf: func() any { return &mainConf{formats: map[string]*logFormat{}, files: map[string]*logFile{}} },
		Hooks:          func(h *httpd.Hooks) { h.Phase(httpd.LogPhase, logHandler) },
		Closed:         closeFiles,
		Reopen:         reopenFiles,
	}
}

// locConf is access_log at one level; set marks a level that has its own.
type locConf struct {
	logs []*accessLog
	set  bool
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if !c.set {
		c.logs, c.set = p.logs, p.set
	}
}

// mainConf is the configuration's formats and open files.
type mainConf struct {
	formats map[string]*logFormat
	files   map[string]*logFile
}

type logFormat struct {
	name   string
	value  *httpd.Value
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
	cond   *httpd.Value
}

type logFile struct {
	mu sync.Mutex
	f  *os.File

	// buffer=, flush= and gzip= (size 0: each line is written at once)
	size     int
	flush    time.Duration
	gzip     int
	buf      []byte
	timer    *time.Timer
	buffered bool // a buffered access_log has named the file
}

// write adds a line, as ngx_http_log_handler does: into the buffer when
// it fits (first flushing what is there when it does not), written at
// once when it is longer than the buffer; a buffer that starts filling
// arms the flush timer.
func (lf *logFile) write(line []byte) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.size == 0 {
		lf.f.Write(line)
		return
	}
	if len(line) > lf.size-len(lf.buf) {
		lf.flushLocked()
	}
	if len(line) > lf.size {
		lf.writeOut(line)
		return
	}
	if len(lf.buf) == 0 && lf.flush > 0 {
		if lf.timer == nil {
			lf.timer = time.AfterFunc(lf.flush, lf.flushNow)
		} else {
			lf.timer.Reset(lf.flush)
		}
	}
	lf.buf = append(lf.buf, line...)
}

func (lf *logFile) flushNow() {
	lf.mu.Lock()
	lf.flushLocked()
	lf.mu.Unlock()
}

func (lf *logFile) flushLocked() {
	if len(lf.buf) > 0 {
		lf.writeOut(lf.buf)
		lf.buf = lf.buf[:0]
	}
}

// writeOut writes p to the file, as one gzip member with gzip=.
func (lf *logFile) writeOut(p []byte) {
	if lf.gzip == 0 {
		lf.f.Write(p)
		return
	}
	var b bytes.Buffer
	zw, _ := kgzip.NewWriterLevel(&b, lf.gzip)
	zw.Write(p)
	zw.Close()
	lf.f.Write(b.Bytes())
}

const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// remoteUser is $remote_user: the user of an "Authorization: Basic"
// header, checked or not.
func remoteUser(r *httpd.Request) (string, bool) {
	u, _, ok := r.BasicAuth()
	return u, ok
}

func setLogFormat(b *httpd.Builder, d *conf.Directive) error {
	m := Module.MainConf(b.Runtime()).(*mainConf)
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
	m.formats[name] = &logFormat{name: name, value: b.Value(strings.Join(args, "")), escape: esc}
	return nil
}

func setAccessLog(b *httpd.Builder, d *conf.Directive) error {
	m := Module.MainConf(b.Runtime()).(*mainConf)
	s := Module.Conf(b.Loc()).(*locConf)
	if !s.set {
		s.logs, s.set = nil, true
	}
	if d.Args[0] == "off" {
		return nil
	}
	fname := "combined"
	if len(d.Args) > 1 {
		fname = d.Args[1]
	}
	var cond *httpd.Value
	var size int
	var flush time.Duration
	var gzip int
	for _, a := range d.Args[min(2, len(d.Args)):] {
		switch {
		case strings.HasPrefix(a, "buffer="):
			n, err := conf.ParseSize(a[7:])
			if err != nil || n <= 0 {
				return conf.Errorf(d, "invalid buffer size \"%s\"", a[7:])
			}
			size = int(n)
		case strings.HasPrefix(a, "flush="):
			t, err := conf.ParseTime(a[6:])
			if err != nil || t <= 0 {
				return conf.Errorf(d, "invalid flush time \"%s\"", a[6:])
			}
			flush = t
		case a == "gzip" || strings.HasPrefix(a, "gzip="):
			if size == 0 {
				size = 64 * 1024
			}
			gzip = 1
			if a != "gzip" {
				n, err := b.Atoi(d, a[5:])
				if err != nil || n < 1 || n > 9 {
					return conf.Errorf(d, "invalid compression level \"%s\"", a[5:])
				}
				gzip = n
			}
		case strings.HasPrefix(a, "if="):
			cond = b.Value(a[3:])
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	if flush > 0 && size == 0 {
		return conf.Errorf(d, "no buffer is defined for access_log \"%s\"", d.Args[0])
	}
	f := m.formats[fname]
	if f == nil {
		if fname != "combined" {
			return conf.Errorf(d, "unknown log format \"%s\"", fname)
		}
		f = &logFormat{name: "combined", value: b.Value(combinedFormat)}
		m.formats["combined"] = f
	}
	lf, err := m.open(b.Runtime(), d.Args[0])
	if err != nil {
		return conf.Errorf(d, "open() \"%s\" failed (%s)", b.Runtime().Path(d.Args[0]), err.Error())
	}
	if size > 0 {
		if lf.buffered && (lf.size != size || lf.flush != flush || lf.gzip != gzip) {
			return conf.Errorf(d, "access_log \"%s\" already defined with conflicting parameters", d.Args[0])
		}
		lf.size, lf.flush, lf.gzip, lf.buffered = size, flush, gzip, true
		lf.buf = make([]byte, 0, size)
	}
	s.logs = append(s.logs, &accessLog{file: lf, format: f, cond: cond})
	return nil
}

func (m *mainConf) open(rt *httpd.Runtime, p string) (*logFile, error) {
	if p == "stderr" || p == "/dev/stderr" {
		return &logFile{f: os.Stderr}, nil
	}
	path := rt.Path(p)
	if lf := m.files[path]; lf != nil {
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
	m.files[path] = lf
	return lf, nil
}

// reopenFiles opens every access log file again at its path (a rotated
// file is left to whoever moved it).
func reopenFiles(rt *httpd.Runtime) error {
	var first error
	for path, lf := range Module.MainConf(rt).(*mainConf).files {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		lf.mu.Lock()
		old := lf.f
		lf.f = f
		lf.mu.Unlock()
		old.Close()
	}
	return first
}

func closeFiles(rt *httpd.Runtime) {
	for _, lf := range Module.MainConf(rt).(*mainConf).files {
		lf.mu.Lock()
		if lf.timer != nil {
			lf.timer.Stop()
		}
		lf.flushLocked() // what a buffer holds is written before the file closes
		if lf.f != os.Stderr {
			lf.f.Close()
		}
		lf.mu.Unlock()
	}
}

// logHandler writes the access logs of the request's location.
func logHandler(r *httpd.Request) httpd.Status {
	for _, l := range Module.Conf(r.Loc()).(*locConf).logs {
		if l.cond != nil {
			if v := l.cond.Eval(r); v == "" || v == "0" {
				continue
			}
		}
		l.file.write(l.format.line(r))
	}
	return httpd.Declined
}

// line is one access log line: the format's text with its variables
// escaped as escape= says, and a newline.
func (f *logFormat) line(r *httpd.Request) []byte {
	var esc func(buf []byte, v string, found bool) []byte
	switch f.escape {
	case escapeJSON:
		esc = appendJSONValue
	case escapeNone:
		esc = appendRawValue
	default:
		esc = appendDefaultValue
	}
	buf := f.value.AppendEval(make([]byte, 0, 256), r, esc)
	return append(buf, '\n')
}

func appendDefaultValue(buf []byte, v string, found bool) []byte {
	if !found {
		return append(buf, '-')
	}
	return appendLogEscaped(buf, v)
}

func appendJSONValue(buf []byte, v string, found bool) []byte {
	if !found {
		return buf
	}
	return appendJSONEscaped(buf, v)
}

func appendRawValue(buf []byte, v string, found bool) []byte {
	if !found {
		return buf
	}
	return append(buf, v...)
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
