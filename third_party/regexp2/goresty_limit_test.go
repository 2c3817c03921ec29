package regexp2

import (
	"errors"
	"strings"
	"testing"
)

func TestMatchLimit(t *testing.T) {
	explode := MustCompile(`^(a+)+$`, RE2)
	subject := []rune(strings.Repeat("a", 40) + "b")
	if _, err := explode.FindRunesMatchStartingAtLimit(subject, 0, 100000); !errors.Is(err, ErrMatchLimit) {
		t.Fatalf("exploding pattern: err %v, want ErrMatchLimit", err)
	}
	// a subject it can match quickly is fine with the same limit
	m, err := explode.FindRunesMatchStartingAtLimit([]rune(strings.Repeat("a", 40)), 0, 100000)
	if err != nil || m == nil || m.Length != 40 {
		t.Fatalf("simple match under the limit: %v %v", m, err)
	}

	simple := MustCompile(`b(c+)d`, RE2)
	in := []rune("xxxxbcccdyy")
	want, _ := simple.FindRunesMatchStartingAt(in, 0)
	for _, limit := range []int{0, -1, 50, 1 << 30} {
		got, err := simple.FindRunesMatchStartingAtLimit(in, 0, limit)
		if err != nil || got == nil || got.Index != want.Index || got.Length != want.Length ||
			got.GroupByNumber(1).String() != "ccc" {
			t.Fatalf("limit %d: %v %v", limit, got, err)
		}
	}
	// the count restarts at each start position: a long subject scanned
	// from many positions, each attempt short, stays under a small limit
	long := []rune(strings.Repeat("x", 10000) + "bcd")
	if m, err := simple.FindRunesMatchStartingAtLimit(long, 0, 20); err != nil || m == nil {
		t.Fatalf("per-attempt count: %v %v", m, err)
	}
	// a limit of 1 is the attempt itself: a match without a backtrack
	// passes, the first backtrack fails
	if m, err := simple.FindRunesMatchStartingAtLimit([]rune("bcd"), 0, 1); err != nil || m == nil {
		t.Fatalf("limit 1, no backtrack: %v %v", m, err)
	}
	if _, err := simple.FindRunesMatchStartingAtLimit([]rune("bccxd"), 0, 1); !errors.Is(err, ErrMatchLimit) {
		t.Fatalf("limit 1: %v", err)
	}
	// the runner returned to the pool has no limit left behind
	if m, err := explode.FindRunesMatchStartingAt([]rune("aaaa"), 0); err != nil || m == nil {
		t.Fatalf("after limit: %v %v", m, err)
	}
}

// As pcre_exec: a subject with less than 1000 characters left that lacks
// the pattern's required character fails at once, whatever the limit; a
// longer one is searched and hits the limit (PCRE 8 gives the same
// answers: no match for 999 "a", -8 for 1000).
func TestMatchLimitRequiredChar(t *testing.T) {
	for _, c := range []struct {
		pattern string
		opt     RegexOptions
		subject string
		err     bool
		match   string
	}{
		{`(a+)+b`, RE2, strings.Repeat("a", 40), false, ""},
		{`(a+)+b`, RE2, strings.Repeat("a", 999), false, ""},
		{`(a+)+b`, RE2, strings.Repeat("a", 1000), true, ""},
		{`(a+)+b`, RE2, strings.Repeat("a", 40) + "b", false, strings.Repeat("a", 40) + "b"},
		{`(a|aa)+c`, RE2, strings.Repeat("a", 40), false, ""},
		{`\w*?\w*?[^a]+\w*?\w*?\w*?\w*?\w*?\w*?z`, RE2, strings.Repeat("x", 30), false, ""},
		// case-insensitive: either case of the required character is there
		{`(a+)+B`, RE2 | IgnoreCase, strings.Repeat("a", 30) + "b", false, strings.Repeat("a", 30) + "b"},
		{`(a+)+B`, RE2 | IgnoreCase, strings.Repeat("a", 30) + "c", false, ""},
		// alternatives requiring different characters: no shortcut
		{`(a+)+(b|c)`, RE2, strings.Repeat("a", 40), true, ""},
		// the same one in every alternative
		{`(a+)+(xb|yb)`, RE2, strings.Repeat("a", 40), false, ""},
		// an optional character is not required; the earlier one is
		{`(a+)+bc?`, RE2, strings.Repeat("a", 40) + "c", false, ""},
		// a required character inside a repeated group
		{`((a+)+b){2}`, RE2, strings.Repeat("a", 40), false, ""},
		// a character in a negative lookahead is not required
		{`(?!q)a+`, RE2, "aaa", false, "aaa"},
	} {
		re := MustCompile(c.pattern, c.opt)
		m, err := re.FindRunesMatchStartingAtLimit([]rune(c.subject), 0, 100000)
		if c.err != errors.Is(err, ErrMatchLimit) {
			t.Fatalf("%s on %d runes: err %v", c.pattern, len(c.subject), err)
		}
		got := ""
		if m != nil {
			got = m.String()
		}
		if got != c.match {
			t.Fatalf("%s: match %q, want %q", c.pattern, got, c.match)
		}
		// no match either without a limit (upstream's methods), on a
		// subject short enough to search whole
		if c.err || c.match != "" {
			continue
		}
		short := c.subject
		if len(short) > 16 {
			short = short[len(short)-16:]
		}
		if m, err := re.FindRunesMatchStartingAt([]rune(short), 0); err != nil || m != nil {
			t.Fatalf("%s without a limit: %v %v", c.pattern, m, err)
		}
	}
}
