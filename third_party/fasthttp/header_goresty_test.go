package fasthttp

import (
	"strings"
	"testing"
)

func TestRequestHeaderDelStable(t *testing.T) {
	for _, tc := range []struct {
		del, want string
	}{
		{"x-a", "Host=h User-Agent=u X-B=2 X-C=3 X-D=4"},
		{"X-C", "Host=h User-Agent=u X-A=1 X-B=2 X-A=5 X-D=4"},
		{"x-d", "Host=h User-Agent=u X-A=1 X-B=2 X-C=3 X-A=5"},
		{"X-None", "Host=h User-Agent=u X-A=1 X-B=2 X-C=3 X-A=5 X-D=4"},
		{"user-agent", "Host=h X-A=1 X-B=2 X-C=3 X-A=5 X-D=4"},
	} {
		var h RequestHeader
		h.SetHost("h")
		h.Set("User-Agent", "u")
		h.Add("X-A", "1")
		h.Add("x-b", "2")
		h.Add("X-C", "3")
		h.Add("X-A", "5")
		h.Add("X-D", "4")
		h.DelStable(tc.del)
		var got []string
		for k, v := range h.All() {
			got = append(got, string(k)+"="+string(v))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("DelStable(%q): %s, want %s", tc.del, g, tc.want)
		}
		// the freed entries are reused
		h.Add("X-E", "6")
		if string(h.Peek("X-E")) != "6" {
			t.Errorf("DelStable(%q): add after delete lost", tc.del)
		}
	}
}
