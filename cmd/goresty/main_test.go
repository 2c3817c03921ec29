package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// built is the goresty binary the CLI tests share, compiled on first use
// into binDir (removed by TestMain).
var (
	buildOnce sync.Once
	binDir    string
	built     string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary compiles goresty once for the CLI tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "goresty-cli"); buildErr != nil {
			return
		}
		bin := filepath.Join(binDir, "goresty")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
			return
		}
		built = bin
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return built
}

func writePrefix(t *testing.T, conf string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestConfigTest(t *testing.T) {
	bin := buildBinary(t)
	good := writePrefix(t, "events {}\nhttp { server { listen 127.0.0.1:1; location / { return 200; } } }\n")
	out, err := exec.Command(bin, "-t", "-p", good, "-c", "conf/nginx.conf").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "syntax is ok") || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("-t on a good config: %v %s", err, out)
	}
	bad := writePrefix(t, "events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    listen;\n  }\n}\n")
	out, err = exec.Command(bin, "-t", "-p", bad, "-c", "conf/nginx.conf").CombinedOutput()
	want := `invalid number of arguments in "listen" directive in ` + filepath.Join(bad, "conf/nginx.conf") + ":5"
	if err == nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "test failed") {
		t.Fatalf("-t on a bad config: %v %s", err, out)
	}
	out, _ = exec.Command(bin, "-T", "-p", good, "-c", "conf/nginx.conf").CombinedOutput()
	if !strings.Contains(string(out), "# configuration file "+filepath.Join(good, "conf/nginx.conf")+":") {
		t.Fatalf("-T: %s", out)
	}
}

// SIGHUP through "-s reload" re-reads the config while clients keep
// sending requests: none fails, and the new config answers afterwards.
func TestSignalReloadUnderLoadAndQuit(t *testing.T) {
	bin := buildBinary(t)
	port := freePort(t)
	conf := func(v string) string {
		return fmt.Sprintf("worker_processes 2;\nerror_log logs/error.log info;\nevents {}\nhttp {\n server {\n  listen 127.0.0.1:%d;\n"+
			"  location / { content_by_lua_block { ngx.sleep(0.002) ngx.say(%q) } }\n }\n}\n", port, v)
	}
	prefix := writePrefix(t, conf("v1"))
	cmd := exec.Command(bin, "-p", prefix, "-c", "conf/nginx.conf", "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for i := 0; ; i++ {
		if _, err := http.Get(url); err == nil {
			break
		}
		if i > 100 {
			t.Fatal("server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(prefix, "logs/nginx.pid")); err != nil {
		t.Fatal("no pid file:", err)
	}
	var ok, failed atomic.Int64
	stop := make(chan struct{})
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
				resp, err := http.Get(url)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok.Add(1)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	os.WriteFile(filepath.Join(prefix, "conf/nginx.conf"), []byte(conf("v2")), 0o644)
	if out, err := exec.Command(bin, "-s", "reload", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("-s reload: %v %s", err, out)
	}
	time.Sleep(400 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || ok.Load() < 20 {
		t.Fatalf("%d failed, %d ok across the reload", failed.Load(), ok.Load())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "v2\n" {
		t.Fatalf("after reload: %q", b)
	}
	if out, err := exec.Command(bin, "-s", "quit", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("-s quit: %v %s", err, out)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop on quit")
	}
	if _, err := os.Stat(filepath.Join(prefix, "logs/nginx.pid")); !os.IsNotExist(err) {
		t.Fatal("pid file left behind")
	}
}

// "daemon on" (nginx's default) returns once the server listens, leaving
// it in the background under its own session with the pid file written;
// -e names the error log of a configuration that names none.
func TestDaemonReturnsOnceListening(t *testing.T) {
	bin := buildBinary(t)
	port := freePort(t)
	prefix := writePrefix(t, fmt.Sprintf("events {}\nhttp {\n server {\n  listen 127.0.0.1:%d;\n"+
		"  location / { content_by_lua_block { ngx.log(ngx.ERR, \"served\") ngx.say(\"up\") } }\n }\n}\n", port))
	cmd := exec.Command(bin, "-e", "logs/other.log", "-p", prefix, "-c", "conf/nginx.conf")
	done := make(chan error, 1)
	go func() { done <- cmd.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("start: %v", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the command did not return: no daemon")
	}
	b, err := os.ReadFile(filepath.Join(prefix, "logs/nginx.pid"))
	if err != nil {
		t.Fatal("no pid file:", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || pid == cmd.Process.Pid {
		t.Fatalf("pid file holds %q (the foreground process was %d)", b, cmd.Process.Pid)
	}
	if sid, _, _ := syscall.Syscall(syscall.SYS_GETSID, uintptr(pid), 0, 0); int(sid) != pid {
		t.Fatalf("daemon %d is not a session leader (sid %d)", pid, sid)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port)) // listening already: no retry
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "up\n" {
		t.Fatalf("body %q", body)
	}
	if out, err := exec.Command(bin, "-s", "stop", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("-s stop: %v %s", err, out)
	}
	for i := 0; syscall.Kill(pid, 0) == nil; i++ {
		if i > 1000 {
			t.Fatal("daemon did not stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	elog, _ := os.ReadFile(filepath.Join(prefix, "logs/other.log"))
	if !strings.Contains(string(elog), "served") {
		t.Fatalf("-e log: %q", elog)
	}
}

// A daemon that cannot start makes the command fail with its reason, as
// nginx's does; nothing stays behind.
func TestDaemonReportsStartupFailure(t *testing.T) {
	bin := buildBinary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	prefix := writePrefix(t, fmt.Sprintf("pid logs/nginx.pid;\nevents {}\nhttp { server { listen %s; } }\n", busy.Addr()))
	out, err := exec.Command(bin, "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput()
	if err == nil {
		t.Fatalf("started on a busy port: %s", out)
	}
	want := fmt.Sprintf("bind() to %s failed (98: Address already in use)", busy.Addr())
	if !strings.Contains(string(out), want) {
		t.Fatalf("stderr %q, want %q", out, want)
	}
	elog, _ := os.ReadFile(filepath.Join(prefix, "logs/error.log"))
	if !strings.Contains(string(elog), "[emerg] ") || !strings.Contains(string(elog), want) {
		t.Fatalf("error.log %q", elog)
	}
	if _, err := os.Stat(filepath.Join(prefix, "logs/nginx.pid")); !os.IsNotExist(err) {
		t.Fatal("pid file left behind")
	}
}

// -g directives are read before the file, in the main context: a
// directive given twice is refused as nginx does, and a configuration
// error also goes to the -e log.
func TestGlobalsAndErrorLogOption(t *testing.T) {
	bin := buildBinary(t)
	prefix := writePrefix(t, "daemon off;\nevents {}\nhttp {}\n")
	out, err := exec.Command(bin, "-t", "-e", "logs/startup.log", "-p", prefix, "-c", "conf/nginx.conf", "-g", "daemon off;").CombinedOutput()
	want := `"daemon" directive is duplicate in ` + filepath.Join(prefix, "conf/nginx.conf") + ":1"
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("%v %s", err, out)
	}
	elog, _ := os.ReadFile(filepath.Join(prefix, "logs/startup.log"))
	if !strings.Contains(string(elog), "[emerg] ") || !strings.Contains(string(elog), want) {
		t.Fatalf("-e log %q", elog)
	}
	out, err = exec.Command(bin, "-t", "-p", prefix, "-c", "conf/nginx.conf", "-g", "worker_processes 2;").CombinedOutput()
	if err != nil {
		t.Fatalf("%v %s", err, out)
	}
	out, _ = exec.Command(bin, "-t", "-p", prefix, "-c", "conf/nginx.conf", "-g", "no_such_thing 1;").CombinedOutput()
	if !strings.Contains(string(out), `unknown directive "no_such_thing" in command line`) {
		t.Fatalf("%s", out)
	}
}

// error_log syslog:... is a syslog target, never a file of that name;
// a bad syslog parameter fails -t with nginx's message.
func TestErrorLogSyslogIsNoFile(t *testing.T) {
	bin := buildBinary(t)
	prefix := writePrefix(t, "error_log syslog:server=127.0.0.1:9,nosuch info;\nevents {}\nhttp {}\n")
	out, err := exec.Command(bin, "-t", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown syslog parameter "nosuch" in `+filepath.Join(prefix, "conf/nginx.conf")+":1") {
		t.Fatalf("%v %s", err, out)
	}
	os.WriteFile(filepath.Join(prefix, "conf/nginx.conf"), []byte("error_log syslog:server=127.0.0.1:9 info;\nevents {}\nhttp {}\n"), 0o644)
	if out, err := exec.Command(bin, "-t", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	for _, dir := range []string{prefix, filepath.Join(prefix, "conf"), filepath.Join(prefix, "logs")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "syslog") {
				t.Fatalf("file %s created", filepath.Join(dir, e.Name()))
			}
		}
	}
}

// -s reload reads the configuration first, as nginx does: an error in it
// is reported with file:line (not as a missing pid file) and nothing is
// signalled.
func TestSignalWithBrokenConf(t *testing.T) {
	bin := buildBinary(t)
	prefix := writePrefix(t, "events {}\nhttp {\n  x;\n}\n")
	out, err := exec.Command(bin, "-s", "reload", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput()
	want := `goresty: [emerg] unknown directive "x" in ` + filepath.Join(prefix, "conf/nginx.conf") + ":3\n"
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || string(out) != want {
		t.Fatalf("%v %q, want status 1 and %q", err, out, want)
	}
}

// "-s reopen" (SIGUSR1) opens the error and access logs again: after a
// rotation moved them away, new lines go to new files at the configured
// paths.
func TestSignalReopen(t *testing.T) {
	bin := buildBinary(t)
	port := freePort(t)
	prefix := writePrefix(t, fmt.Sprintf("error_log logs/error.log notice;\nevents {}\nhttp {\n access_log logs/access.log;\n server {\n  listen 127.0.0.1:%d;\n"+
		"  location / { content_by_lua_block { ngx.log(ngx.ERR, \"hit \", ngx.var.arg_n) ngx.say(\"ok\") } }\n }\n}\n", port))
	cmd := exec.Command(bin, "-p", prefix, "-c", "conf/nginx.conf", "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	get := func(n int) {
		for i := 0; ; i++ {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/?n=%d", port, n))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return
			}
			if i > 100 {
				t.Fatal("server did not answer:", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	get(1)
	logs := filepath.Join(prefix, "logs")
	for _, f := range []string{"access.log", "error.log"} {
		if err := os.Rename(filepath.Join(logs, f), filepath.Join(logs, f+".1")); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(bin, "-s", "reopen", "-p", prefix, "-c", "conf/nginx.conf").CombinedOutput(); err != nil {
		t.Fatalf("-s reopen: %v %s", err, out)
	}
	// the signal is handled asynchronously: requests go on until one has
	// been logged into both new files; the ones before it may sit in
	// either, but nothing from before the rotation is in the new files
	read := func(f string) string { b, _ := os.ReadFile(filepath.Join(logs, f)); return string(b) }
	n := 2
	for ; ; n++ {
		get(n)
		if strings.Contains(read("access.log"), fmt.Sprintf("GET /?n=%d ", n)) && strings.Contains(read("error.log"), fmt.Sprintf("hit %d", n)) {
			break
		}
		if n > 500 {
			t.Fatalf("no request reached the new logs after -s reopen:\n%s\n%s", read("access.log"), read("error.log"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range []struct{ file, old string }{
		{"access.log", "GET /?n=1 "},
		{"error.log", "hit 1"},
	} {
		if cur := read(c.file); strings.Contains(cur, c.old) {
			t.Errorf("%s after reopen holds a line from before it:\n%s", c.file, cur)
		}
		if rot := read(c.file + ".1"); !strings.Contains(rot, c.old) {
			t.Errorf("rotated %s:\n%s", c.file, rot)
		}
	}
	// once both new files had a line, no later request goes to the old ones
	get(n + 1)
	if rot := read("access.log.1"); strings.Contains(rot, fmt.Sprintf("GET /?n=%d ", n+1)) {
		t.Errorf("a request after the reopen went to the rotated access log:\n%s", rot)
	}
	if rot, _ := os.ReadFile(filepath.Join(logs, "error.log.1")); !strings.Contains(string(rot), "reopening logs") {
		t.Errorf("the rotated error log lacks nginx's \"reopening logs\":\n%s", rot)
	}
}
