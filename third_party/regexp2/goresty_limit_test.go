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
	// a limit of 1 stops at the first step of the first attempt
	if _, err := simple.FindRunesMatchStartingAtLimit([]rune("bcd"), 0, 1); !errors.Is(err, ErrMatchLimit) {
		t.Fatalf("limit 1: %v", err)
	}
	// the runner returned to the pool has no limit left behind
	if m, err := explode.FindRunesMatchStartingAt([]rune("aaaa"), 0); err != nil || m == nil {
		t.Fatalf("after limit: %v %v", m, err)
	}
}
