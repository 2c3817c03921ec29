// Package errlog writes nginx's error log: "2006/01/02 15:04:05 [level] pid#tid: *conn message".
package errlog

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Levels, numbered like ngx.STDERR .. ngx.DEBUG.
const (
	Stderr = iota
	Emerg
	Alert
	Crit
	Err
	Warn
	Notice
	Info
	Debug
)

var names = [...]string{"", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// LevelName is the word nginx prints between brackets (none for
// ngx.STDERR: "[]").
func LevelName(l int) string {
	if l < 0 || l >= len(names) {
		return "notice"
	}
	return names[l]
}

// ParseLevel maps an error_log level word to its number.
func ParseLevel(s string) (int, bool) {
	for i, n := range names {
		if i > 0 && n == s {
			return i, true
		}
	}
	return 0, false
}

// Log is one error log destination with a threshold level.
type Log struct {
	mu    sync.Mutex
	w     io.Writer
	f     *os.File
	level int
	pid   string
	sys   *Syslog // syslog target: w is its socket
	path  string  // the file's path, for Reopen
}

// Open opens path for appending ("stderr" means standard error,
// "syslog:..." a syslog server reached over UDP or a unix datagram socket).
func Open(path string, level int) (*Log, error) {
	l := &Log{level: level, pid: strconv.Itoa(os.Getpid())}
	if path == "stderr" || path == "/dev/stderr" {
		l.w = os.Stderr
		return l, nil
	}
	if spec, ok := strings.CutPrefix(path, SyslogPrefix); ok {
		s, err := ParseSyslog(spec)
		if err != nil {
			return nil, err
		}
		c, err := net.Dial(s.Network, s.Addr)
		if err != nil {
			return nil, err
		}
		l.w, l.sys = c, s
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	l.w, l.f, l.path = f, f, path
	return l, nil
}

// Reopen opens the file again at its path (-s reopen, after a log
// rotation moved it away); stderr and syslog stay as they are. On error
// the old file stays in use.
func (l *Log) Reopen() error {
	if l == nil || l.f == nil {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.f
	l.w, l.f = f, f
	l.mu.Unlock()
	return old.Close()
}

// Stderr logs to standard error at the given level.
func NewStderr(level int) *Log {
	return &Log{w: os.Stderr, level: level, pid: strconv.Itoa(os.Getpid())}
}

// Enabled reports whether messages at level are written.
func (l *Log) Enabled(level int) bool { return l != nil && level <= l.level }

// Level is the threshold.
func (l *Log) Level() int { return l.level }

// Printf writes one line if level passes the threshold. conn is the
// connection number nginx prints as "*N" (0 for none).
func (l *Log) Printf(level int, conn uint64, format string, args ...any) {
	if !l.Enabled(level) {
		return
	}
	l.Write(level, conn, fmt.Sprintf(format, args...))
}

// Write writes one preformatted message.
func (l *Log) Write(level int, conn uint64, msg string) {
	if !l.Enabled(level) {
		return
	}
	var b strings.Builder
	b.Grow(len(msg) + 48)
	now := time.Now()
	if l.sys != nil {
		// one datagram: the syslog header, then the line as a file gets it
		l.sys.header(&b, max(level-1, 0), now)
	}
	b.WriteString(now.Format("2006/01/02 15:04:05"))
	b.WriteString(" [")
	b.WriteString(LevelName(level))
	b.WriteString("] ")
	b.WriteString(l.pid)
	b.WriteString("#0: ")
	if conn > 0 {
		b.WriteByte('*')
		b.WriteString(strconv.FormatUint(conn, 10))
		b.WriteByte(' ')
	}
	b.WriteString(msg)
	if l.sys == nil {
		b.WriteByte('\n')
	}
	l.mu.Lock()
	io.WriteString(l.w, b.String())
	l.mu.Unlock()
}

// Close closes the file or syslog socket.
func (l *Log) Close() error {
	if l != nil && l.f != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.f.Close()
	}
	if l != nil && l.sys != nil {
		return l.w.(io.Closer).Close()
	}
	return nil
}

// File is the log's file (nil for stderr and syslog).
func (l *Log) File() *os.File {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f
}
