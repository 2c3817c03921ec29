package proxycache

import (
	"context"
	"os"
	"testing"
	"time"
)

func newTestZone(t *testing.T, maxSize int64, inactive time.Duration) *Zone {
	z := &Zone{name: "t", size: 1 << 20, path: t.TempDir(), levels: []int{1, 2}, maxSize: maxSize, inactive: inactive}
	z.init()
	return z
}

func put(t *testing.T, z *Zone, key string, body string) [16]byte {
	h := hashKey(key)
	n := z.acquire(h, time.Now())
	w, err := z.create(n, &meta{valid: time.Now().Unix() + 60, lastModified: -1, key: key}, []byte("HTTP/1.1 200 X\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(body))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	z.release(n, false)
	return h
}

func exists(z *Zone, h [16]byte) bool {
	_, err := os.Stat(z.filePath(h))
	return err == nil
}

// Over max_size the least recently used entries go, files and all.
func TestMaxSize(t *testing.T) {
	z := newTestZone(t, 0, time.Hour)
	a := put(t, z, "a", string(make([]byte, 200)))
	per := z.used
	z.setBounds(2*per+per/2, time.Hour)
	b := put(t, z, "b", string(make([]byte, 200)))
	z.acquire(a, time.Now()) // a is used again: b is the oldest
	z.release(z.nodes[a], false)
	c := put(t, z, "c", string(make([]byte, 200)))
	if !exists(z, a) || exists(z, b) || !exists(z, c) {
		t.Errorf("after eviction: a %v b %v c %v", exists(z, a), exists(z, b), exists(z, c))
	}
	if z.used > z.maxSize {
		t.Errorf("used %d", z.used)
	}
}

// Entries not used for inactive are removed; held ones stay.
func TestInactive(t *testing.T) {
	z := newTestZone(t, 0, time.Minute)
	a := put(t, z, "a", "x")
	b := put(t, z, "b", "y")
	held := z.acquire(b, time.Now())
	z.expire(time.Now().Add(2 * time.Minute))
	if exists(z, a) || !exists(z, b) || z.nodes[a] != nil {
		t.Errorf("after expire: a %v b %v", exists(z, a), exists(z, b))
	}
	z.release(held, false)
}

// The loader rebuilds the index from the files; temporary ones go.
func TestLoad(t *testing.T) {
	z := newTestZone(t, 0, time.Hour)
	a := put(t, z, "a", "hello")
	tmp := z.filePath(a) + ".7.tmp"
	os.WriteFile(tmp, []byte("partial"), 0o600)
	z2 := &Zone{name: "t", size: 1 << 20, path: z.path, levels: z.levels, inactive: time.Hour}
	z2.init()
	z2.load(context.Background())
	n := z2.nodes[a]
	if n == nil || !n.exists || n.fsize != z.nodes[a].fsize || z2.cold.Load() {
		t.Errorf("loaded node %+v", n)
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Error("temporary file left")
	}
}
