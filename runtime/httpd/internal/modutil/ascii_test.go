package modutil

import "testing"

func TestEqualFold(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Content-Type", "content-type", true},
		{"CONTENT-TYPE", "Content-Type", true},
		{"Content-Type", "Content-Typ", false},
		{"Host", "Hosts", false},
		{"", "", true},
		{"X-A", "X-B", false},
		{"@", "`", false}, // not letters: '@'+32 is '`'
		{"[", "{", false},
		// no Unicode folding: U+212A KELVIN SIGN is not 'k', U+017F not 's'
		{"\u212aeep-Alive", "keep-alive", false},
		{"Ho\u017ft", "host", false},
	} {
		if got := EqualFold(c.a, c.b); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v", c.a, c.b, got)
		}
		if got := EqualFoldBytes([]byte(c.a), c.b); got != c.want {
			t.Errorf("EqualFoldBytes(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
