package errlog

import (
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
