package conf

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512", 512, true}, {"10k", 10240, true}, {"10K", 10240, true},
		{"1m", 1 << 20, true}, {"1M", 1 << 20, true}, {"0", 0, true},
		{"", 0, false}, {"k", 0, false}, {"1g", 0, false}, {"1.5m", 0, false},
		{"-1", 0, false}, {" 1", 0, false}, {"1kb", 0, false},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"9007199254740992k", 0, false},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v", c.in, got, err)
		}
	}
	if v, err := ParseOffset("2g"); err != nil || v != 2<<30 {
		t.Errorf("ParseOffset(2g) = %d, %v", v, err)
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"60s", 60 * time.Second, true},
		{"60", 60 * time.Second, true},
		{"1m", time.Minute, true},
		{"500ms", 500 * time.Millisecond, true},
		{"1h30m", 90 * time.Minute, true},
		{"1h 30m", 90 * time.Minute, true},
		{"1d", 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"1s500ms", 1500 * time.Millisecond, true},
		{"1m30", 90 * time.Second, true}, // trailing bare number is seconds
		{"0", 0, true},
		{"", 0, false},
		{"s", 0, false},
		{"1y", 0, false}, // not for msec values
		{"1M", 0, false},
		{"30m1h", 0, false}, // units must decrease
		{"1s1s", 0, false},
		{"1x", 0, false},
		{"-1s", 0, false},
		{"1.5s", 0, false},
		{"10 ", 10 * time.Second, true},
		{"1s 5", 6 * time.Second, true},
		{"1s 5 ", 0, false}, // a " " unit after seconds is a step error
	}
	for _, c := range cases {
		got, err := ParseTime(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseTime(%q) = %v, %v", c.in, got, err)
		}
	}
	secs := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1y", 365 * 86400, true}, {"1M", 30 * 86400, true}, {"1d12h", 86400 + 12*3600, true},
		{"30", 30, true}, {"1ms", 0, false}, {"2M1y", 0, false},
	}
	for _, c := range secs {
		got, err := ParseSeconds(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSeconds(%q) = %v, %v", c.in, got, err)
		}
	}
}
