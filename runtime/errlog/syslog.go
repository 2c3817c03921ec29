package errlog

import (
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// SyslogPrefix starts an error_log (or access_log) target that is a
// syslog server rather than a file: "syslog:server=ADDR[,facility=F][,tag=T][,nohostname]".
const SyslogPrefix = "syslog:"

var facilities = [...]string{"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
	"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7"}

var severities = [...]string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// Syslog is a parsed syslog target (ngx_syslog_peer_t).
type Syslog struct {
	Network, Addr string // "udp" host:port, or "unixgram" path
	Facility      int
	Severity      int // for access logs; error logs use the message level
	Tag           string
	NoHostname    bool
}

// ParseSyslog parses the part after "syslog:" with nginx's messages
// (ngx_syslog_parse_args).
func ParseSyslog(spec string) (*Syslog, error) {
	s := &Syslog{Facility: 23, Severity: 6, Tag: "nginx"} // local7, info
	for _, p := range strings.Split(spec, ",") {
		name, val, _ := strings.Cut(p, "=")
		switch {
		case name == "server":
			if s.Addr != "" {
				return nil, errorString("duplicate syslog \"server\"")
			}
			if path, ok := strings.CutPrefix(val, "unix:"); ok {
				s.Network, s.Addr = "unixgram", path
				break
			}
			host, port := val, "514"
			if h, pt, err := net.SplitHostPort(val); err == nil {
				host, port = h, pt
			} else if strings.HasPrefix(val, "[") && strings.HasSuffix(val, "]") {
				host = val[1 : len(val)-1]
			}
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return nil, errorString("invalid port in syslog server \"" + val + "\"")
			}
			if host == "" {
				return nil, errorString("no host in syslog server \"" + val + "\"")
			}
			s.Network, s.Addr = "udp", net.JoinHostPort(host, port)
		case name == "facility":
			i := index(facilities[:], val)
			if i < 0 {
				return nil, errorString("unknown syslog facility \"" + val + "\"")
			}
			s.Facility = i
		case name == "severity":
			i := index(severities[:], val)
			if i < 0 {
				return nil, errorString("unknown syslog severity \"" + val + "\"")
			}
			s.Severity = i
		case name == "tag":
			if len(val) > 32 {
				return nil, errorString("syslog tag length exceeds 32")
			}
			for i := 0; i < len(val); i++ {
				c := val[i]
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
					return nil, errorString("syslog \"tag\" only allows alphanumeric characters and underscore")
				}
			}
			s.Tag = val
		case p == "nohostname":
			s.NoHostname = true
		default:
			return nil, errorString("unknown syslog parameter \"" + p + "\"")
		}
	}
	if s.Addr == "" {
		return nil, errorString("no syslog server specified")
	}
	return s, nil
}

func index(list []string, v string) int {
	for i, n := range list {
		if n == v {
			return i
		}
	}
	return -1
}

type errorString string

func (e errorString) Error() string { return string(e) }

var hostname = func() string {
	h, _ := os.Hostname()
	return strings.ToLower(h)
}()

// header is "<PRI>Mmm dd hh:mm:ss hostname tag: " (ngx_syslog_add_header).
func (s *Syslog) header(b *strings.Builder, severity int, now time.Time) {
	b.WriteByte('<')
	b.WriteString(strconv.Itoa(s.Facility*8 + severity))
	b.WriteByte('>')
	b.WriteString(now.Format("Jan _2 15:04:05"))
	b.WriteByte(' ')
	if !s.NoHostname {
		b.WriteString(hostname)
		b.WriteByte(' ')
	}
	b.WriteString(s.Tag)
	b.WriteString(": ")
}
