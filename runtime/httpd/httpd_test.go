package httpd_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"

	_ "github.com/goresty/goresty/luabindings/all"
	"github.com/goresty/goresty/runtime/httpd"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start serves an nginx.conf whose http{} body is httpConf; PORT in it
// is replaced by the listen port.
func start(t *testing.T, httpConf string) (string, *httpd.Process) {
	t.Helper()
	s := httpdtest.Start(t, httpConf, "")
	return "http://" + s.Addr, s.Process
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// The worker model: requests blocking in Lua (inside pcall) must not
// stop others on the same worker. Each request waits, inside pcall, until
// all n requests have arrived: that can only finish if every blocked
// request released the worker, so all n were in flight at once.
func TestWorkerModelConcurrentSleeps(t *testing.T) {
	const n = 200
	base, _ := start(t, fmt.Sprintf(`
server {
    listen 127.0.0.1:PORT;
    location /sleep {
        content_by_lua_block {
            arrived = (arrived or 0) + 1
            local ok = pcall(function()
                while arrived < %d do ngx.sleep(0.01) end
            end)
            counter = (counter or 0) + 1
            ngx.say(ok)
        }
    }
    location /count { content_by_lua_block { ngx.say(counter) } }
}`, n))
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	// The timeout only guards against a hang (a worker held by a sleeper).
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(base + "/sleep")
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "true\n" {
				errs <- fmt.Errorf("body %q", b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, body, _ := get(t, base+"/count"); body != fmt.Sprintf("%d\n", n) {
		t.Fatalf("global counter = %q, want %d", body, n)
	}
}

// A Lua error is a 500 with a logged traceback, and the worker lives on.
func TestLuaErrorIs500AndWorkerLives(t *testing.T) {
	base, p := start(t, `
server {
    listen 127.0.0.1:PORT;
    location /boom { content_by_lua_block { local t = nil; return t.x } }
    location /ok { content_by_lua_block { ngx.say("alive") } }
}`)
	if code, _, _ := get(t, base+"/boom"); code != 500 {
		t.Fatalf("status %d", code)
	}
	if code, body, _ := get(t, base+"/ok"); code != 200 || body != "alive\n" {
		t.Fatalf("after error: %d %q", code, body)
	}
	log, _ := os.ReadFile(filepath.Join(p.Current().Prefix(), "logs/error.log"))
	if !strings.Contains(string(log), "attempt to index") || !strings.Contains(string(log), "stack traceback") {
		t.Fatalf("error log lacks the Lua error and traceback:\n%s", log)
	}
}

// Proxying to a real upstream, and 502 when it is down.
func TestProxyAndUpstreamDown(t *testing.T) {
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Up", "1")
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), r.Header.Get("X-Hooked"))
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(ln)
	defer up.Close()
	dead := freePort(t)
	base, _ := start(t, fmt.Sprintf(`
upstream backend { server %s; keepalive 8; }
server {
    listen 127.0.0.1:PORT;
    location /api/ {
        rewrite_by_lua_block { ngx.req.set_header("X-Hooked", "yes") }
        proxy_pass http://backend/v1/;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
    location /dead { proxy_pass http://127.0.0.1:%d; }
}`, ln.Addr(), dead))
	code, body, h := get(t, base+"/api/items?a=1")
	if code != 200 || body != "GET /v1/items?a=1 yes" || h.Get("X-Up") != "1" {
		t.Fatalf("proxy: %d %q %v", code, body, h)
	}
	if code, _, _ := get(t, base+"/dead"); code != 502 {
		t.Fatalf("upstream down: status %d, want 502", code)
	}
}

// A bad config names the file and line like nginx.
func TestBadConfigFileLine(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte("events {}\nhttp {\n  server {\n    bogus on;\n  }\n}\n"), 0o644)
	_, err := httpd.Load(dir, "conf/nginx.conf")
	if err == nil || !strings.Contains(err.Error(), `unknown directive "bogus"`) || !strings.HasSuffix(err.Error(), "nginx.conf:4") {
		t.Fatalf("err = %v", err)
	}
}

// A reload under load loses no request.
func TestReloadUnderLoad(t *testing.T) {
	base, p := start(t, `
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.sleep(0.005) ngx.say("v1") } }
}`)
	// Requests run all the time; each reload waits for some of them to
	// complete on the configuration it replaces, so the count does not
	// depend on how fast the machine is.
	stop := make(chan struct{})
	completed := make(chan struct{}, 64)
	var failures, total int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(base + "/")
				mu.Lock()
				total++
				if err != nil || resp.StatusCode != 200 {
					failures++
				}
				mu.Unlock()
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				select {
				case completed <- struct{}{}:
				default:
				}
			}
		}()
	}
	waitFor := func(n int) {
		for drained := false; !drained; { // completions from before the last reload do not count
			select {
			case <-completed:
			default:
				drained = true
			}
		}
		for i := 0; i < n; i++ {
			<-completed
		}
	}
	prefix := p.Current().Prefix()
	for i := 0; i < 3; i++ {
		waitFor(16)
		next, err := httpd.Load(prefix, "conf/nginx.conf")
		if err != nil {
			t.Fatal(err)
		}
		next.OpenLogs()
		if err := next.StartLua(); err != nil {
			t.Fatal(err)
		}
		if err := p.Reload(next); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(16)
	close(stop)
	wg.Wait()
	if failures > 0 || total < 4*16 {
		t.Fatalf("%d of %d requests failed across reloads", failures, total)
	}
}

var _ = bufio.NewReader
