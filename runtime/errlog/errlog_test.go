package errlog

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestFormatAndThreshold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l, err := Open(path, Warn)
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Err, 7, "boom, client: 127.0.0.1")
	l.Write(Info, 0, "not written")
	l.Printf(Warn, 0, "n=%d", 3)
	l.Close()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%q", b)
	}
	re := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#0: \*7 boom, client: 127.0.0.1$`)
	if !re.MatchString(lines[0]) {
		t.Fatalf("line %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], "[warn] "+strings.Split(lines[1], "] ")[1]) || !strings.HasSuffix(lines[1], "#0: n=3") {
		t.Fatalf("line %q", lines[1])
	}
}

func TestParseLevel(t *testing.T) {
	for i, n := range []string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"} {
		if l, ok := ParseLevel(n); !ok || l != i+1 || LevelName(l) != n {
			t.Fatalf("%s: %d %v", n, l, ok)
		}
	}
	if _, ok := ParseLevel("loud"); ok {
		t.Fatal("accepted an unknown level")
	}
}

// A syslog target gets one datagram per message: nginx's header
// "<PRI>Mmm dd hh:mm:ss hostname tag: " then the line a file would get.
func TestSyslogTarget(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	l, err := Open("syslog:server="+pc.LocalAddr().String()+",facility=local3,tag=gw_1", Warn)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Write(Info, 0, "below the threshold")
	l.Write(Err, 3, "boom")
	buf := make([]byte, 2048)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := os.Hostname()
	re := regexp.MustCompile(`^<155>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d ` + regexp.QuoteMeta(strings.ToLower(h)) +
		` gw_1: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#0: \*3 boom$`)
	if !re.Match(buf[:n]) {
		t.Fatalf("datagram %q", buf[:n])
	}
}

func TestParseSyslogErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"server=127.0.0.1,bogus":          `unknown syslog parameter "bogus"`,
		"facility=local7":                 `no syslog server specified`,
		"server=a,server=b":               `duplicate syslog "server"`,
		"server=a,facility=nope":          `unknown syslog facility "nope"`,
		"server=a,tag=a-b":                `syslog "tag" only allows alphanumeric characters and underscore`,
		"server=127.0.0.1:99999":          `invalid port in syslog server "127.0.0.1:99999"`,
		"server=unix:/dev/log,nohostname": ``,
	} {
		s, err := ParseSyslog(spec)
		if want == "" {
			if err != nil || s.Network != "unixgram" || s.Addr != "/dev/log" || !s.NoHostname {
				t.Fatalf("%s: %+v %v", spec, s, err)
			}
			continue
		}
		if err == nil || err.Error() != want {
			t.Fatalf("%s: %v, want %s", spec, err, want)
		}
	}
}

// ngx.STDERR messages are always written, with an empty level: "[]".
func TestStderrLevelIsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l, err := Open(path, Emerg)
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Stderr, 0, "to stderr")
	l.Close()
	b, _ := os.ReadFile(path)
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[\] \d+#0: to stderr\n$`).Match(b) {
		t.Fatalf("%q", b)
	}
}
