package payload

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks the split rule of the package documentation on
// arbitrary payloads: the routing key is the trimmed text before the first
// '|'; the message is the rest byte for byte, minus a headers section
// found right after the key or after the last '|'; a parsed headers
// section satisfies the grammar and reads back from its canonical form;
// JSON-looking messages are never split.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a.b|first", "x.y|nobody listens", "wake", "row_change.table-todos.event-INSERT|{\"id\":1,\"title\":\"a|b\"}",
		"k|Content-Type: application/json, text/plain; X-My: v|{\"a\":1}",
		"k|A message|X-First: value1, value2; X-Second: value3", `k|["a|b", "X: y|z"]`, `k|"X: y|Z: w"`,
		"k|X:|m", "k|-X: a|m", "k|plain|text", "k|time 10:30, ok; fine|", "  my_key  |  A message  ",
		"mý_kéý|A mésságé", "|", "||", "|||", "k|X: 1|", "k||X: 1", "k|X: a\x7f|m", "k|X: a;;Y: b|m",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := Parse(p)
		i := strings.IndexByte(p, '|')
		if i < 0 {
			if got.RoutingKey != "" || got.Message != p || got.Headers != nil {
				t.Fatalf("%q without '|': %#v", p, got)
			}
			return
		}
		if got.RoutingKey != strings.TrimSpace(p[:i]) {
			t.Fatalf("%q: routing key %q", p, got.RoutingKey)
		}
		rest := p[i+1:]
		if got.Headers == nil {
			if got.Message != rest {
				t.Fatalf("%q: message %q, want the rest %q", p, got.Message, rest)
			}
			return
		}
		var section string
		switch {
		case strings.HasSuffix(rest, "|"+got.Message) && strings.HasPrefix(rest, strings.TrimSuffix(rest, "|"+got.Message)) &&
			!strings.Contains(strings.TrimSuffix(rest, "|"+got.Message), "|"):
			section = strings.TrimSuffix(rest, "|"+got.Message)
		case strings.HasPrefix(rest, got.Message+"|") && !strings.Contains(rest[len(got.Message)+1:], "|"):
			section = rest[len(got.Message)+1:]
		default:
			t.Fatalf("%q: message %q is not the rest minus a headers section", p, got.Message)
		}
		tr := strings.TrimSpace(rest)
		if tr != "" && strings.ContainsRune(`{["`, rune(tr[0])) && strings.ContainsRune(`}]"`, rune(tr[len(tr)-1])) {
			t.Fatalf("%q: JSON-looking message split at %q", p, section)
		}
		var canon []string
		for _, h := range got.Headers {
			if !validName(h.Name) || len(h.Values) == 0 {
				t.Fatalf("%q: header %#v", p, h)
			}
			for _, v := range h.Values {
				if !validValue(v) || v != strings.TrimSpace(v) {
					t.Fatalf("%q: value %q", p, v)
				}
			}
			canon = append(canon, h.Name+": "+strings.Join(h.Values, ", "))
		}
		again, ok := ParseHeaders(strings.Join(canon, "; "))
		if !ok || !reflect.DeepEqual(again, got.Headers) {
			t.Fatalf("%q: canonical form of %#v reads back as %#v", p, got.Headers, again)
		}
		if hs, _ := ParseHeaders(section); !reflect.DeepEqual(hs, got.Headers) {
			t.Fatalf("%q: section %q", p, section)
		}
	})
}
