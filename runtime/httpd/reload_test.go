package httpd_test

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// reload rewrites the configuration of s with httpConf and reloads it as
// SIGHUP does.
func reload(t *testing.T, s *httpdtest.Server, httpConf string) error {
	t.Helper()
	path := filepath.Join(s.Prefix, "conf/nginx.conf")
	old, _ := os.ReadFile(path)
	head, _, _ := strings.Cut(string(old), "http {\n")
	port := s.Addr[strings.LastIndexByte(s.Addr, ':')+1:]
	text := head + "http {\n" + strings.ReplaceAll(httpConf, "PORT", port) + "\n}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	next, err := httpd.Load(s.Prefix, "conf/nginx.conf")
	if err != nil {
		return err
	}
	return s.Process.Reload(next)
}

func post(t *testing.T, url string, n int) int {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader(strings.Repeat("x", n)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A reload applies new listener-level settings to an address that stays.
func TestReloadAppliesBodyLimitOnKeptAddress(t *testing.T) {
	conf := `
client_max_body_size SIZE;
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.req.read_body() ngx.say(#(ngx.req.get_body_data() or "")) } }
}`
	s := httpdtest.Start(t, strings.ReplaceAll(conf, "SIZE", "1k"), "")
	url := "http://" + s.Addr + "/"
	if code := post(t, url, 5000); code != 413 {
		t.Fatalf("5 KB POST under 1k: status %d, want 413", code)
	}
	if err := reload(t, s, strings.ReplaceAll(conf, "SIZE", "10m")); err != nil {
		t.Fatal(err)
	}
	if code := post(t, url, 5000); code != 200 {
		t.Fatalf("5 KB POST after raising the limit to 10m: status %d, want 200", code)
	}
	if err := reload(t, s, strings.ReplaceAll(conf, "SIZE", "1k")); err != nil {
		t.Fatal(err)
	}
	if code := post(t, url, 5000); code != 413 {
		t.Fatalf("5 KB POST after lowering the limit to 1k: status %d, want 413", code)
	}
}

// A reload applies a new client_header_timeout to a kept address: the
// listener's read timeout follows the configuration being served.
func TestReloadAppliesHeaderTimeout(t *testing.T) {
	conf := `
client_header_timeout TIMEOUT;
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "ok\n"; }
}`
	s := httpdtest.Start(t, strings.ReplaceAll(conf, "TIMEOUT", "60s"), "")
	if err := reload(t, s, strings.ReplaceAll(conf, "TIMEOUT", "1s")); err != nil {
		t.Fatal(err)
	}
	c, err := dialTimeout(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")) // never ends the header
	// the hang guard is far above the 1s timeout and far below the old 60s
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 64)
	_, err = c.Read(buf)
	if err == nil || isTimeout(err) {
		t.Fatalf("the connection was not closed by the new 1s header timeout (err %v)", err)
	}
}

// A rejected configuration releases what it started: its init_worker
// timers stop, and the running configuration serves on.
func TestFailedReloadStopsItsTimers(t *testing.T) {
	// the running configuration's own timer is the clock of the test
	live := filepath.Join(t.TempDir(), "live")
	s := httpdtest.Start(t, `
init_worker_by_lua_block {
    ngx.timer.every(0.01, function(premature)
        if not premature then local f = io.open("`+live+`", "a") f:write("t") f:close() end
    end)
}
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "v1\n"; }
}`, "")
	marker := filepath.Join(s.Prefix, "logs/ticks")
	// the listen address is taken by another process: the reload fails
	// after init_worker_by_lua started a timer
	busy := freeListener(t)
	err := reload(t, s, `
init_worker_by_lua_block {
    ngx.timer.every(0.01, function(premature)
        local f = io.open("`+marker+`", "a") f:write(premature and "p" or "t") f:close()
    end)
}
server {
    listen 127.0.0.1:PORT;
    listen `+busy.Addr().String()+`;
    location / { return 200 "v2\n"; }
}`)
	if err == nil {
		t.Fatal("the reload onto a busy address succeeded")
	}
	// the rejected configuration's timer has stopped: its last run was
	// the premature one, and nothing is written after it
	b, _ := os.ReadFile(marker)
	if !strings.HasSuffix(string(b), "p") {
		t.Fatalf("timer runs of the rejected configuration: %q, want a last premature run", b)
	}
	// ten periods of the running configuration's timer, which has the
	// same interval, pass without a run of the rejected one
	liveTicks := func() int { b, _ := os.ReadFile(live); return len(b) }
	for base, i := liveTicks(), 0; liveTicks() < base+10; i++ {
		if i > 3000 { // hang guard
			t.Fatalf("the running configuration's timer stopped at %d ticks", liveTicks())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if b2, _ := os.ReadFile(marker); string(b2) != string(b) {
		t.Fatalf("the timer of the rejected configuration still runs: %q then %q", b, b2)
	}
	if code, _, body := s.Get(t, "/"); code != 200 || body != "v1\n" {
		t.Fatalf("after the failed reload: %d %q", code, body)
	}
}

// -s reopen: the error and access logs are opened again, so a rotated
// file is replaced by a new one at the configured path.
func TestReopenLogs(t *testing.T) {
	s := httpdtest.Start(t, `
access_log logs/access.log;
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.log(ngx.ERR, "hit ", ngx.var.arg_n) ngx.say("ok") } }
}`, "")
	s.Get(t, "/?n=1")
	logs := filepath.Join(s.Prefix, "logs")
	for _, f := range []string{"access.log", "error.log"} {
		if err := os.Rename(filepath.Join(logs, f), filepath.Join(logs, f+".1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Process.Current().Reopen(); err != nil {
		t.Fatal(err)
	}
	s.Get(t, "/?n=2")
	for _, c := range []struct{ file, old, new string }{
		{"access.log", "GET /?n=1 ", "GET /?n=2 "},
		{"error.log", "hit 1", "hit 2"},
	} {
		cur, _ := os.ReadFile(filepath.Join(logs, c.file))
		rot, _ := os.ReadFile(filepath.Join(logs, c.file+".1"))
		if !strings.Contains(string(cur), c.new) || strings.Contains(string(cur), c.old) {
			t.Errorf("%s after reopen:\n%s", c.file, cur)
		}
		if !strings.Contains(string(rot), c.old) || strings.Contains(string(rot), c.new) {
			t.Errorf("rotated %s:\n%s", c.file, rot)
		}
	}
}

func dialTimeout(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 10*time.Second) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// freeListener holds a listening address for the test's duration.
func freeListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// A replaced configuration's pending timers run once, prematurely, as
// soon as it is released (nginx's worker exit), with ngx.worker.exiting()
// true; its VMs are closed afterwards.
func TestReloadRunsOldTimersPrematurely(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "timer")
	conf := `
init_worker_by_lua_block {
    ngx.timer.at(3600, function(premature)
        -- written aside and renamed: the test never reads half a line
        local f = io.open("` + marker + `.tmp", "w")
        f:write(tostring(premature), " ", tostring(ngx.worker.exiting()))
        f:close()
        os.rename("` + marker + `.tmp", "` + marker + `")
    end)
}
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "VERSION\n"; }
}`
	s := httpdtest.Start(t, strings.ReplaceAll(conf, "VERSION", "v1"), "")
	old := s.Process.Current()
	if err := reload(t, s, strings.ReplaceAll(strings.ReplaceAll(conf, "VERSION", "v2"), marker, marker+".2")); err != nil {
		t.Fatal(err)
	}
	if code, _, body := s.Get(t, "/"); code != 200 || body != "v2\n" {
		t.Fatalf("after the reload: %d %q", code, body)
	}
	// the hang guard is far below the timer's hour
	for i := 0; ; i++ {
		if b, _ := os.ReadFile(marker); len(b) > 0 {
			if string(b) != "true true" {
				t.Fatalf("old timer ran with premature, exiting = %q", b)
			}
			break
		}
		if i == 3000 {
			t.Fatal("the replaced configuration's timer did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.Process.Current() == old {
		t.Fatal("the old configuration is still served")
	}
	if _, err := os.Stat(marker + ".2"); err == nil {
		t.Fatal("the new configuration's timer ran")
	}
}

// A rejected configuration that resized a shared dict leaves the served
// one's zone in place: a later reload with the old size keeps the data,
// as nginx keeps shared memory across reloads.
func TestFailedReloadKeepsSharedDicts(t *testing.T) {
	conf := `
lua_shared_dict d SIZE;
server {
    listen 127.0.0.1:PORT;
    EXTRA
    location /set { content_by_lua_block { ngx.shared.d:set("k", "kept") ngx.say("ok") } }
    location /get { content_by_lua_block { ngx.say(ngx.shared.d:get("k"), " ", ngx.shared.d:capacity()) } }
}`
	mk := func(size, extra string) string {
		return strings.NewReplacer("SIZE", size, "EXTRA", extra).Replace(conf)
	}
	s := httpdtest.Start(t, mk("1m", ""), "")
	s.Get(t, "/set")
	busy := freeListener(t)
	if err := reload(t, s, mk("2m", "listen "+busy.Addr().String()+";")); err == nil {
		t.Fatal("the reload onto a busy address succeeded")
	}
	if err := reload(t, s, mk("1m", "")); err != nil {
		t.Fatal(err)
	}
	if _, _, body := s.Get(t, "/get"); body != "kept 1048576\n" {
		t.Fatalf("after a rejected resize and a reload: %q", body)
	}
}
