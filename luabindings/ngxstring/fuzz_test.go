package ngxstring

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// argSeeds are query strings from real requests (PostgREST filters, form
// posts, tracking links) and RFC 3986's percent-encoding examples.
var argSeeds = []string{
	"select=id,title&order=id.desc&limit=10&offset=20", "id=eq.1&select=*,author(name)",
	"name=go+resty&email=a%40b.c&msg=hello%2C+world%21", "utm_source=news&utm_medium=email&utm_campaign=%E2%9C%93",
	"a=1&a=2&a&b=&=c&&", "%41%42=%zz%4&%=%%", "q=caf%C3%A9&q=%E2%82%AC+%2B", "+=+&++", "a%00b=c%00d",
	"x=%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D", "k=v;k2=v2", "%", "=", "&",
}

func tablesEqual(a, b *lua.LTable) bool {
	n, m, eq := 0, 0, true
	a.ForEach(func(k, v lua.LValue) {
		n++
		w := b.RawGet(k)
		if vt, ok := v.(*lua.LTable); ok {
			wt, ok := w.(*lua.LTable)
			eq = eq && ok && tablesEqual(vt, wt)
		} else {
			eq = eq && v == w
		}
	})
	b.ForEach(func(lua.LValue, lua.LValue) { m++ })
	return eq && n == m
}

// FuzzDecodeArgs: ngx.decode_args never panics, respects max_args, and
// decode_args(encode_args(decode_args(s))) equals decode_args(s) (encode
// escapes every byte that is syntax in a query string).
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s, 0)
		f.Add(s, 2)
	}
	L := lua.NewState()
	f.Cleanup(L.Close)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1000 {
			return
		}
		tbl, truncated := DecodeArgs(L, s, max)
		keys := 0
		tbl.ForEach(func(k, v lua.LValue) {
			keys++
			if ks, ok := k.(lua.LString); !ok || ks == "" {
				t.Fatalf("%q: key %v", s, k)
			}
		})
		pairs := strings.Count(s, "&") + 1
		if max > 0 && keys > max || truncated && (max == 0 || pairs <= max) {
			t.Fatalf("%q max %d: %d keys, truncated %v", s, max, keys, truncated)
		}
		enc, err := EncodeArgs(L, tbl)
		if err != nil {
			t.Fatalf("%q: encode: %v", s, err)
		}
		back, _ := DecodeArgs(L, enc, 0)
		if !tablesEqual(tbl, back) {
			t.Fatalf("%q -> %q does not decode to the same table", s, enc)
		}
	})
}

// FuzzUnescapeURI: unescape_uri undoes escape_uri for the component kind
// (the one that escapes "+" and "%"), and never grows its input; escaping
// gives only allowed bytes.
func FuzzUnescapeURI(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s)
	}
	for _, s := range []string{"/path/to/file name.html", "http://example.com/?q=a b#frag", "%E2%9C%93 ✓", "\x00\x1f\x7f\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := UnescapeURI(s)
		if len(u) > len(s) {
			t.Fatalf("unescape_uri(%q) = %q grew", s, u)
		}
		for kind := 0; kind <= EscapeMailAuth; kind++ {
			e := EscapeURI(s, kind)
			for i := 0; i < len(e); i++ {
				if escapeTables[kind][e[i]] && e[i] != '%' {
					t.Fatalf("escape_uri(%q, %d) = %q keeps %q", s, kind, e, e[i])
				}
			}
		}
		e := EscapeURI(s, EscapeURIComponent)
		if got := UnescapeURI(e); got != s {
			t.Fatalf("unescape_uri(escape_uri(%q)) = %q via %q", s, got, e)
		}
	})
}
