package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process-level cases of nginx's behaviour (command-line flags, signals,
// reload), run on goresty or, with NGX_REFERENCE=/usr/sbin/nginx, on nginx:
// the same configuration (nginx loads the Lua module first), the same
// commands.

// underTest is the server binary and the lines its configuration starts
// with (nginx's module loads, or as many comment lines for goresty so that
// positions agree).
func underTest(t *testing.T) (bin, head string) {
	t.Helper()
	if ref := os.Getenv("NGX_REFERENCE"); ref != "" {
		return ref, "load_module /usr/lib/nginx/modules/ndk_http_module.so;\n" +
			"load_module /usr/lib/nginx/modules/ngx_http_lua_module.so; user root;\n" // workers reopen logs in the test's private dir
	}
	return buildBinary(t), "#\n#\n"
}

// serveUnderTest starts bin in the foreground on prefix and waits for url to answer.
func serveUnderTest(t *testing.T, bin, prefix, url string) {
	t.Helper()
	cmd := exec.Command(bin, "-p", prefix+"/", "-c", "conf/nginx.conf", "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	for i := 0; ; i++ {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if i > 250 { // hang guard
			t.Fatal("server did not answer:", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sendSignal(t *testing.T, bin, prefix, sig string) {
	t.Helper()
	if out, err := exec.Command(bin, "-s", sig, "-p", prefix+"/", "-c", "conf/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("-s %s: %v %s", sig, err, out)
	}
}

func readLog(prefix, name string) string {
	b, _ := os.ReadFile(filepath.Join(prefix, "logs", name))
	return string(b)
}

// -g directives come before the file's (one in both is "duplicate" at the
// file's line), an unknown one is "in command line"; -e names the error
// log of start-up errors.
func TestParityGlobalsAndErrorLogFlag(t *testing.T) {
	bin, head := underTest(t)
	prefix := writePrefix(t, head+"daemon off;\npid logs/nginx.pid;\nevents {}\nhttp {}\n")
	out, err := exec.Command(bin, "-t", "-e", "logs/startup.log", "-p", prefix+"/", "-c", "conf/nginx.conf", "-g", "daemon off;").CombinedOutput()
	want := `"daemon" directive is duplicate in ` + filepath.Join(prefix, "conf/nginx.conf") + ":3"
	if err == nil || !strings.Contains(string(out), "[emerg] "+want) {
		t.Fatalf("duplicate through -g: %v %s", err, out)
	}
	if elog := readLog(prefix, "startup.log"); !strings.Contains(elog, "[emerg] ") || !strings.Contains(elog, want) {
		t.Fatalf("-e log %q", elog)
	}
	if out, err := exec.Command(bin, "-t", "-p", prefix+"/", "-c", "conf/nginx.conf", "-g", "worker_processes 2;").CombinedOutput(); err != nil {
		t.Fatalf("-g worker_processes: %v %s", err, out)
	}
	out, _ = exec.Command(bin, "-t", "-p", prefix+"/", "-c", "conf/nginx.conf", "-g", "no_such_thing 1;").CombinedOutput()
	if !strings.Contains(string(out), "[emerg] ") || !strings.Contains(string(out), `unknown directive "no_such_thing" in command line`) {
		t.Fatalf("unknown -g directive: %s", out)
	}
}

// A reload applies a raised client_max_body_size to the address that
// stays: a 5 KB POST refused under 1k is served after the limit is 10m.
func TestParityReloadBodyLimit(t *testing.T) {
	bin, head := underTest(t)
	port := freePort(t)
	conf := func(size string) string {
		return fmt.Sprintf("%spid logs/nginx.pid;\nerror_log logs/error.log info;\nevents {}\nhttp {\n client_max_body_size %s;\n"+
			" server {\n  listen 127.0.0.1:%d;\n  location / { return 200 \"%s\\n\"; }\n }\n}\n", head, size, port, size)
	}
	prefix := writePrefix(t, conf("1k"))
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	serveUnderTest(t, bin, prefix, url)
	post := func() (int, string) {
		resp, err := http.Post(url, "text/plain", strings.NewReader(strings.Repeat("x", 5000)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post(); code != 413 {
		t.Fatalf("5 KB POST under 1k: %d, want 413", code)
	}
	os.WriteFile(filepath.Join(prefix, "conf/nginx.conf"), []byte(conf("10m")), 0o644)
	sendSignal(t, bin, prefix, "reload")
	// the reload is asynchronous: wait until the new configuration answers
	for i := 0; ; i++ {
		code, body := post()
		if body == "10m\n" {
			if code != 200 {
				t.Fatalf("5 KB POST after raising the limit to 10m: %d, want 200", code)
			}
			break
		}
		if i > 500 { // hang guard
			t.Fatalf("the new configuration never answered: %d %q", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A reload that fails (an address taken by another process) keeps the
// running configuration, and the rejected one's init_worker timers do not
// run on: counted against the running configuration's own timer ticks.
func TestParityFailedReloadTimers(t *testing.T) {
	bin, head := underTest(t)
	port := freePort(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	conf := func(name, extra string) string {
		return fmt.Sprintf("%spid logs/nginx.pid;\nerror_log logs/error.log notice;\nevents {}\nhttp {\n"+
			" init_worker_by_lua_block { ngx.timer.every(0.01, function(p) if not p then ngx.log(ngx.NOTICE, \"tick %s\") end end) }\n"+
			" server {\n  listen 127.0.0.1:%d;\n%s  location / { return 200 \"%s\\n\"; }\n }\n}\n", head, name, port, extra, name)
	}
	prefix := writePrefix(t, conf("live", ""))
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	serveUnderTest(t, bin, prefix, url)
	os.WriteFile(filepath.Join(prefix, "conf/nginx.conf"), []byte(conf("rejected", "  listen "+busy.Addr().String()+";\n")), 0o644)
	sendSignal(t, bin, prefix, "reload")
	waitLive := func(n int) string {
		base := strings.Count(readLog(prefix, "error.log"), "tick live")
		for i := 0; ; i++ {
			l := readLog(prefix, "error.log")
			if strings.Count(l, "tick live") >= base+n {
				return l
			}
			if i > 3000 { // hang guard
				t.Fatalf("the running configuration's timer stopped:\n%s", l)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i := 0; !strings.Contains(strings.ToLower(readLog(prefix, "error.log")), "address already in use"); i++ {
		if i > 3000 { // hang guard
			t.Fatalf("no bind failure logged:\n%s", readLog(prefix, "error.log"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	n1 := strings.Count(waitLive(20), "tick rejected")
	n2 := strings.Count(waitLive(20), "tick rejected")
	if n1 != n2 {
		t.Errorf("the rejected configuration's timer ran on: %d then %d ticks", n1, n2)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "live\n" {
		t.Errorf("after the failed reload: %q", b)
	}
}

// -s reopen (SIGUSR1): after a rotation moved the logs away, lines go to
// new files at the configured paths; the rotated error log says
// "reopening logs".
func TestParityReopen(t *testing.T) {
	bin, head := underTest(t)
	port := freePort(t)
	prefix := writePrefix(t, fmt.Sprintf("%spid logs/nginx.pid;\nerror_log logs/error.log notice;\nevents {}\nhttp {\n access_log logs/access.log;\n server {\n  listen 127.0.0.1:%d;\n"+
		"  location / { content_by_lua_block { ngx.log(ngx.ERR, \"hit \", ngx.var.arg_n) ngx.say(\"ok\") } }\n }\n}\n", head, port))
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	serveUnderTest(t, bin, prefix, url+"?n=0")
	get := func(n int) {
		resp, err := http.Get(fmt.Sprintf("%s?n=%d", url, n))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get(1)
	for i := 0; !strings.Contains(readLog(prefix, "access.log"), "GET /?n=1 "); i++ {
		if i > 1000 { // hang guard
			t.Fatal("no access log line")
		}
		time.Sleep(5 * time.Millisecond)
	}
	logs := filepath.Join(prefix, "logs")
	for _, f := range []string{"access.log", "error.log"} {
		if err := os.Rename(filepath.Join(logs, f), filepath.Join(logs, f+".1")); err != nil {
			t.Fatal(err)
		}
	}
	sendSignal(t, bin, prefix, "reopen")
	n := 2
	for ; ; n++ {
		get(n)
		if strings.Contains(readLog(prefix, "access.log"), fmt.Sprintf("GET /?n=%d ", n)) && strings.Contains(readLog(prefix, "error.log"), fmt.Sprintf("hit %d", n)) {
			break
		}
		if n > 500 { // hang guard
			ents, _ := os.ReadDir(logs)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			t.Fatalf("no request reached the new logs after -s reopen: %v\naccess.log: %s\nerror.log: %s\nerror.log.1: %s", names,
				readLog(prefix, "access.log"), readLog(prefix, "error.log"), readLog(prefix, "error.log.1"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range []struct{ file, old string }{{"access.log", "GET /?n=1 "}, {"error.log", "hit 1,"}} {
		if cur := readLog(prefix, c.file); strings.Contains(cur, c.old) {
			t.Errorf("%s after reopen holds a line from before it:\n%s", c.file, cur)
		}
		if rot := readLog(prefix, c.file+".1"); !strings.Contains(rot, c.old) {
			t.Errorf("rotated %s:\n%s", c.file, rot)
		}
	}
	if rot := readLog(prefix, "error.log.1"); !strings.Contains(rot, "reopening logs") {
		t.Errorf("the rotated error log lacks \"reopening logs\":\n%s", rot)
	}
}
