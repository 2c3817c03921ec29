package referer

import (
	"testing"

	"github.com/goresty/goresty/runtime/conf"
)

// The check of a Referer allocates nothing.
func TestValidAllocs(t *testing.T) {
	m := &matcher{exact: map[string]*entry{}, headKey: map[string]bool{}, tailKey: map[string]bool{}, d: &conf.Directive{}}
	for _, k := range []string{"example.com", "*.wild.test", "shop.*", "pre.test/a/"} {
		host, uri := k, ""
		if i := len("pre.test"); k == "pre.test/a/" {
			host, uri = k[:i], k[i:]
		}
		if msg := m.add(host, uri); msg != "" {
			t.Fatal(msg)
		}
	}
	if err := m.resolve(); err != nil {
		t.Fatal(err)
	}
	refs := [][]byte{[]byte("http://Example.com/x"), []byte("https://a.b.wild.test/"),
		[]byte("http://shop.co.uk/"), []byte("http://pre.test/a/b"), []byte("http://other.test/")}
	want := []bool{true, true, true, true, false}
	for i, r := range refs {
		if got := m.valid(r); got != want[i] {
			t.Errorf("%s: %v", r, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, r := range refs {
			m.valid(r)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
