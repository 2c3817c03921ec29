package proxycache_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// origin is an upstream that counts the requests of each path and
// answers with the route's function (n: the path's request number).
type origin struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	heads  map[string]http.Header
	routes map[string]func(w http.ResponseWriter, r *http.Request, n int)
}

func newOrigin(t *testing.T) *origin {
	o := &origin{hits: map[string]int{}, heads: map[string]http.Header{}, routes: map[string]func(http.ResponseWriter, *http.Request, int){}}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		n := o.hits[r.URL.Path]
		o.heads[r.URL.Path] = r.Header.Clone()
		fn := o.routes[r.URL.Path]
		o.mu.Unlock()
		if fn == nil {
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprintf(w, "%s %d", r.URL.Path, n)
			return
		}
		fn(w, r, n)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) route(path string, fn func(w http.ResponseWriter, r *http.Request, n int)) {
	o.mu.Lock()
	o.routes[path] = fn
	o.mu.Unlock()
}

func (o *origin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func (o *origin) head(path string) http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.heads[path]
}

func (o *origin) addr() string { return strings.TrimPrefix(o.srv.URL, "http://") }

// cacheConf is a server caching o in dir (levels=1:2).
func cacheConf(o *origin, dir, extra string) string {
	return `
proxy_cache_path ` + dir + ` levels=1:2 keys_zone=z:1m inactive=1h;
server {
    listen 127.0.0.1:PORT;
    add_header X-Cache $upstream_cache_status always;
    location / {
        proxy_pass http://` + o.addr() + `;
        proxy_cache z;
        ` + extra + `
    }
}`
}

type step struct {
	path   string
	status int
	cache  string
	body   string
}

func check(t *testing.T, s *httpdtest.Server, steps []step, headers ...string) {
	t.Helper()
	for i, st := range steps {
		code, h, body := s.Get(t, st.path, headers...)
		if code != st.status || h.Get("X-Cache") != st.cache || body != st.body {
			t.Errorf("step %d %s: got %d %q %q, want %d %q %q", i, st.path, code, h.Get("X-Cache"), body, st.status, st.cache, st.body)
			if os.Getenv("CACHE_TEST_LOG") != "" {
				t.Log(s.ErrorLog())
			}
		}
	}
}

// A response is fetched once, then answered from the cache, in nginx's
// file layout (levels from the end of the key's md5).
func TestMissHit(t *testing.T) {
	o := newOrigin(t)
	dir := t.TempDir()
	s := httpdtest.StartEnv(t, cacheConf(o, dir, ""))
	check(t, s, []step{
		{"/a", 200, "MISS", "/a 1"},
		{"/a", 200, "HIT", "/a 1"},
		{"/a?x=1", 200, "MISS", "/a 2"},
		{"/a", 200, "HIT", "/a 1"},
	})
	if n := o.count("/a"); n != 2 {
		t.Errorf("origin saw /a %d times, want 2", n)
	}
	sum := md5.Sum([]byte("http://" + o.addr() + "/a"))
	h := hex.EncodeToString(sum[:])
	p := filepath.Join(dir, h[31:], h[29:31], h)
	if _, err := os.Stat(p); err != nil {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			b, _ := os.ReadFile(p)
			t.Logf("%s %q", p, b)
			return nil
		})
		t.Errorf("cache file: %v", err)
	}
	// a HEAD is answered from the GET's entry (proxy_cache_convert_head)
	resp, body, _ := s.Exchange(t, "HEAD /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.Header.Get("X-Cache") != "HIT" || body != "" || resp.ContentLength != 4 {
		t.Errorf("HEAD: %q %q %d", resp.Header.Get("X-Cache"), body, resp.ContentLength)
	}
	// a HEAD first goes upstream as a GET
	resp, _, _ = s.Exchange(t, "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.Header.Get("X-Cache") != "MISS" {
		t.Errorf("HEAD miss: %q", resp.Header.Get("X-Cache"))
	}
	check(t, s, []step{{"/h", 200, "HIT", "/h 1"}})
}

// proxy_cache_valid per status; without one, only the headers' times.
func TestValid(t *testing.T) {
	o := newOrigin(t)
	for _, p := range []string{"/nf", "/plain", "/e500"} {
		p := p
		o.route(p, func(w http.ResponseWriter, r *http.Request, n int) {
			code := 200
			switch p {
			case "/nf":
				code = 404
			case "/e500":
				code = 500
			}
			w.WriteHeader(code)
			fmt.Fprintf(w, "%s %d", p, n)
		})
	}
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), "proxy_cache_valid 200 1m; proxy_cache_valid 404 1m;"))
	check(t, s, []step{
		{"/plain", 200, "MISS", "/plain 1"},
		{"/plain", 200, "HIT", "/plain 1"},
		{"/nf", 404, "MISS", "/nf 1"},
		{"/nf", 404, "HIT", "/nf 1"},
		{"/e500", 500, "MISS", "/e500 1"},
		{"/e500", 500, "MISS", "/e500 2"},
	})
	o2 := newOrigin(t)
	o2.route("/x", func(w http.ResponseWriter, r *http.Request, n int) { fmt.Fprintf(w, "x %d", n) })
	s = httpdtest.StartEnv(t, cacheConf(o2, t.TempDir(), "proxy_cache_valid any 1m;"))
	check(t, s, []step{{"/x", 200, "MISS", "x 1"}, {"/x", 200, "HIT", "x 1"}})
	// no proxy_cache_valid and no header time: not stored
	s = httpdtest.StartEnv(t, cacheConf(o2, t.TempDir(), ""))
	check(t, s, []step{{"/x", 200, "MISS", "x 2"}, {"/x", 200, "MISS", "x 3"}})
}

// Cache-Control, Expires, X-Accel-Expires, Set-Cookie and Vary decide
// as nginx's header handlers do.
func TestHeaders(t *testing.T) {
	o := newOrigin(t)
	set := func(path string, hs ...string) {
		o.route(path, func(w http.ResponseWriter, r *http.Request, n int) {
			for _, h := range hs {
				k, v, _ := strings.Cut(h, ": ")
				if v == "FUTURE" {
					v = time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
				}
				w.Header().Add(k, v)
			}
			fmt.Fprintf(w, "%s %d", path, n)
		})
	}
	set("/nocache", "Cache-Control: no-cache")
	set("/private", "Cache-Control: private, max-age=60")
	set("/maxage0", "Cache-Control: max-age=0")
	set("/smaxage", "Cache-Control: s-maxage=60")
	set("/expires", "Expires: FUTURE")
	set("/expired", "Expires: Thu, 01 Jan 1970 00:00:01 GMT")
	// (Go's server sends the headers sorted: Cache-Control first)
	set("/xae", "X-Accel-Expires: 60", "Cache-Control: no-store")
	set("/xaeat", "X-Accel-Expires: @1", "Cache-Control: max-age=60")
	set("/xae0", "X-Accel-Expires: 0", "Cache-Control: max-age=60")
	set("/cookie", "Cache-Control: max-age=60", "Set-Cookie: a=b")
	set("/varystar", "Cache-Control: max-age=60", "Vary: *")
	set("/vary", "Cache-Control: max-age=60", "Vary: Accept-Language")
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), ""))
	check(t, s, []step{
		{"/nocache", 200, "MISS", "/nocache 1"},
		{"/nocache", 200, "MISS", "/nocache 2"},
		{"/private", 200, "MISS", "/private 1"},
		{"/private", 200, "MISS", "/private 2"},
		{"/maxage0", 200, "MISS", "/maxage0 1"},
		{"/maxage0", 200, "MISS", "/maxage0 2"},
		{"/smaxage", 200, "MISS", "/smaxage 1"},
		{"/smaxage", 200, "HIT", "/smaxage 1"},
		{"/expires", 200, "MISS", "/expires 1"},
		{"/expires", 200, "HIT", "/expires 1"},
		{"/expired", 200, "MISS", "/expired 1"},
		{"/expired", 200, "MISS", "/expired 2"},
		{"/xae", 200, "MISS", "/xae 1"},
		{"/xae", 200, "MISS", "/xae 2"},
		{"/xaeat", 200, "MISS", "/xaeat 1"},
		{"/xaeat", 200, "EXPIRED", "/xaeat 2"},
		{"/xae0", 200, "MISS", "/xae0 1"},
		{"/xae0", 200, "MISS", "/xae0 2"},
		{"/cookie", 200, "MISS", "/cookie 1"},
		{"/cookie", 200, "MISS", "/cookie 2"},
		{"/varystar", 200, "MISS", "/varystar 1"},
		{"/varystar", 200, "MISS", "/varystar 2"},
	})
	// a variant per Accept-Language value
	check(t, s, []step{{"/vary", 200, "MISS", "/vary 1"}, {"/vary", 200, "HIT", "/vary 1"}}, "Accept-Language: en")
	check(t, s, []step{{"/vary", 200, "MISS", "/vary 2"}, {"/vary", 200, "HIT", "/vary 2"}}, "Accept-Language: fr")
	check(t, s, []step{{"/vary", 200, "HIT", "/vary 1"}}, "Accept-Language: en")

	// proxy_ignore_headers lets the others decide
	o2 := newOrigin(t)
	o2.route("/c", func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Set-Cookie", "a=b")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, "c %d", n)
	})
	s = httpdtest.StartEnv(t, cacheConf(o2, t.TempDir(), "proxy_ignore_headers Set-Cookie Cache-Control; proxy_cache_valid 1m;"))
	check(t, s, []step{{"/c", 200, "MISS", "c 1"}, {"/c", 200, "HIT", "c 1"}})
}

// proxy_cache_bypass answers from the upstream (and stores the answer);
// proxy_no_cache does not store; proxy_cache_min_uses waits for uses.
func TestBypassNoCacheMinUses(t *testing.T) {
	o := newOrigin(t)
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), "proxy_cache_bypass $http_x_bypass; proxy_no_cache $http_x_nostore;"))
	check(t, s, []step{{"/a", 200, "MISS", "/a 1"}, {"/a", 200, "HIT", "/a 1"}})
	check(t, s, []step{{"/a", 200, "BYPASS", "/a 2"}}, "X-Bypass: 1")
	check(t, s, []step{{"/a", 200, "HIT", "/a 2"}})
	check(t, s, []step{{"/a", 200, "HIT", "/a 2"}}, "X-Bypass: 0")
	check(t, s, []step{{"/b", 200, "MISS", "/b 1"}, {"/b", 200, "MISS", "/b 2"}}, "X-Nostore: yes")
	check(t, s, []step{{"/b", 200, "MISS", "/b 3"}, {"/b", 200, "HIT", "/b 3"}})

	s = httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), "proxy_cache_min_uses 3;"))
	check(t, s, []step{
		{"/m", 200, "MISS", "/m 1"},
		{"/m", 200, "MISS", "/m 2"},
		{"/m", 200, "MISS", "/m 3"},
		{"/m", 200, "HIT", "/m 3"},
	})
	// proxy_cache_methods: a POST is not cached unless named
	resp, body, _ := s.Exchange(t, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	if resp.Header.Get("X-Cache") != "" || body != "/p 1" {
		t.Errorf("POST: %q %q", resp.Header.Get("X-Cache"), body)
	}
}

// An expired entry (X-Accel-Expires: @1 is long past) is fetched again;
// on an upstream failure proxy_cache_use_stale answers with it.
func TestUseStale(t *testing.T) {
	o := newOrigin(t)
	o.route("/s", func(w http.ResponseWriter, r *http.Request, n int) {
		if n > 1 {
			w.WriteHeader(503)
			fmt.Fprintf(w, "down %d", n)
			return
		}
		w.Header().Set("X-Accel-Expires", "@1")
		fmt.Fprintf(w, "old %d", n)
	})
	o.route("/e", func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("X-Accel-Expires", "@1")
		fmt.Fprintf(w, "e %d", n)
	})
	dir := t.TempDir()
	s := httpdtest.StartEnv(t, cacheConf(o, dir, "proxy_cache_use_stale error timeout http_503;"))
	check(t, s, []step{
		{"/s", 200, "MISS", "old 1"},
		{"/s", 200, "STALE", "old 1"},
		{"/e", 200, "MISS", "e 1"},
		{"/e", 200, "EXPIRED", "e 2"},
	})
	// the upstream gone: error
	o.srv.Close()
	check(t, s, []step{{"/e", 200, "STALE", "e 2"}})
	// without use_stale the failure is the answer
	o2 := newOrigin(t)
	o2.route("/s", o.routes["/s"])
	s = httpdtest.StartEnv(t, cacheConf(o2, t.TempDir(), ""))
	check(t, s, []step{{"/s", 200, "MISS", "old 1"}, {"/s", 503, "EXPIRED", "down 2"}})
}

// proxy_cache_revalidate asks with the entry's validators; a 304 renews it.
func TestRevalidate(t *testing.T) {
	o := newOrigin(t)
	lm := "Mon, 02 Jan 2006 15:04:05 GMT"
	o.route("/r", func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("If-Modified-Since") == lm && r.Header.Get("If-None-Match") == `"v1"` {
			w.Header().Set("Cache-Control", "max-age=60")
			w.WriteHeader(304)
			return
		}
		w.Header().Set("X-Accel-Expires", "@1")
		w.Header().Set("Last-Modified", lm)
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprintf(w, "r %d", n)
	})
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), "proxy_cache_revalidate on;"))
	check(t, s, []step{{"/r", 200, "MISS", "r 1"}})
	if h := o.head("/r"); h.Get("If-Modified-Since") != "" {
		t.Errorf("first request had If-Modified-Since %q", h.Get("If-Modified-Since"))
	}
	check(t, s, []step{
		{"/r", 200, "REVALIDATED", "r 1"},
		{"/r", 200, "HIT", "r 1"},
	})
	if n := o.count("/r"); n != 2 {
		t.Errorf("origin saw /r %d times, want 2", n)
	}
	// the client's own conditions do not reach the upstream
	check(t, s, []step{{"/q", 200, "MISS", "/q 1"}}, "If-None-Match: \"zz\"", "Range: bytes=0-1")
	if h := o.head("/q"); h.Get("If-None-Match") != "" || h.Get("Range") != "" {
		t.Errorf("client conditions sent upstream: %v", h)
	}
}

// proxy_cache_use_stale updating with proxy_cache_background_update:
// the stale entry answers at once and is refreshed behind it.
func TestBackgroundUpdate(t *testing.T) {
	o := newOrigin(t)
	o.route("/b", func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("X-Accel-Expires", "@1")
		} else {
			w.Header().Set("Cache-Control", "max-age=60")
		}
		fmt.Fprintf(w, "b %d", n)
	})
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), "proxy_cache_use_stale updating; proxy_cache_background_update on;"))
	check(t, s, []step{{"/b", 200, "MISS", "b 1"}, {"/b", 200, "STALE", "b 1"}})
	waitFor(t, "the refreshed entry", func() bool {
		_, h, body := s.Get(t, "/b")
		return h.Get("X-Cache") == "HIT" && body == "b 2"
	})
	if n := o.count("/b"); n != 2 {
		t.Errorf("origin saw /b %d times, want 2", n)
	}
}

// proxy_cache_lock: concurrent misses of one key make one upstream
// request; the others get its answer from the cache.
func TestLock(t *testing.T) {
	o := newOrigin(t)
	release := make(chan struct{})
	o.route("/l", func(w http.ResponseWriter, r *http.Request, n int) {
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "l %d", n)
	})
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), "proxy_cache_lock on; proxy_cache_lock_timeout 30s;"))
	type res struct{ cache, body string }
	out := make(chan res, 3)
	go func() {
		_, h, b := s.Get(t, "/l")
		out <- res{h.Get("X-Cache"), b}
	}()
	waitFor(t, "the first request upstream", func() bool { return o.count("/l") == 1 })
	for i := 0; i < 2; i++ {
		go func() {
			_, h, b := s.Get(t, "/l")
			out <- res{h.Get("X-Cache"), b}
		}()
	}
	// the waiters may or may not have arrived: either way the origin
	// sees one request
	time.Sleep(200 * time.Millisecond)
	close(release)
	got := map[string]int{}
	for i := 0; i < 3; i++ {
		r := <-out
		if r.body != "l 1" {
			t.Errorf("body %q", r.body)
		}
		got[r.cache]++
	}
	if got["MISS"] != 1 || got["HIT"] != 2 || o.count("/l") != 1 {
		t.Errorf("statuses %v, origin hits %d", got, o.count("/l"))
	}
}

// The cache outlives the server: a new one on the same directory answers
// from the files.
func TestRestart(t *testing.T) {
	o := newOrigin(t)
	dir := t.TempDir()
	s := httpdtest.StartEnv(t, cacheConf(o, dir, ""))
	check(t, s, []step{{"/a", 200, "MISS", "/a 1"}, {"/a", 200, "HIT", "/a 1"}})
	if s.Process != nil {
		s.Process.Shutdown(false)
	}
	s = httpdtest.StartEnv(t, cacheConf(o, dir, ""))
	check(t, s, []step{{"/a", 200, "HIT", "/a 1"}, {"/b", 200, "MISS", "/b 1"}})
}

func TestConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"proxy_cache_path /tmp/x keys_zone=a:1m levels=3;", `invalid "levels" "levels=3" in PREFIX/conf/nginx.conf:3`},
		{"proxy_cache_path /tmp/x levels=1;", `"proxy_cache_path" must have "keys_zone" parameter in PREFIX/conf/nginx.conf:3`},
		{"proxy_cache_path /tmp/x keys_zone=a:1m foo=1;", `invalid parameter "foo=1" in PREFIX/conf/nginx.conf:3`},
		{"proxy_cache_path /tmp/x keys_zone=a:1m;\nproxy_cache_path /tmp/y keys_zone=a:1m;", `duplicate zone "a" in PREFIX/conf/nginx.conf:4`},
		{"proxy_cache nope;", `"proxy_cache" zone "nope" is unknown in PREFIX/conf/nginx.conf:3`},
		{"proxy_cache_use_stale off error;", `invalid value "off" in PREFIX/conf/nginx.conf:3`},
		{"proxy_cache_valid 200 abc;", `invalid time value "abc" in PREFIX/conf/nginx.conf:3`},
		{"proxy_ignore_headers Foo;", `invalid value "Foo" in PREFIX/conf/nginx.conf:3`},
		{"proxy_cache_methods PUT;", `invalid value "PUT" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}

// waitFor polls cond (a hang guard, not a time limit of the behaviour).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("waiting for %s", what)
}

// A chunked upstream answer is stored decoded and answered from the
// cache without a length (chunked), as nginx; a client's matching
// If-Modified-Since gets a 304 from the cached answer.
func TestChunkedAndConditional(t *testing.T) {
	o := newOrigin(t)
	o.route("/c", func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Write([]byte("part1-"))
		w.(http.Flusher).Flush()
		w.Write([]byte("part2"))
	})
	s := httpdtest.StartEnv(t, cacheConf(o, t.TempDir(), ""))
	check(t, s, []step{{"/c", 200, "MISS", "part1-part2"}})
	resp, body, _ := s.Exchange(t, "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.Header.Get("X-Cache") != "HIT" || body != "part1-part2" || resp.ContentLength != -1 {
		t.Errorf("HIT: %q %q %d %v", resp.Header.Get("X-Cache"), body, resp.ContentLength, resp.TransferEncoding)
	}
	resp, _, _ = s.Exchange(t, "GET /c HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Mon, 02 Jan 2006 15:04:05 GMT\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 304 || resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("conditional: %d %q", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
}
