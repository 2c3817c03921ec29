// Package httpdtest starts a configuration for tests: on goresty's
// runtime, or on a reference nginx + lua-nginx-module binary so that the
// same cases can be checked against real OpenResty.
package httpdtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/goresty/goresty/luabindings/all"
	"github.com/goresty/goresty/runtime/httpd"
	_ "github.com/goresty/goresty/runtime/httpd/modules"
)

// Server is a started configuration.
type Server struct {
	Addr    string         // 127.0.0.1:port
	Prefix  string         // the server prefix (logs/error.log is there)
	Process *httpd.Process // nil on the reference
	Pid     int            // the serving process (this one on goresty)
}

// Start serves httpConf (the inside of http {}, "PORT" standing for a free
// port) from a fresh prefix. ref, when not empty, is a reference nginx
// binary to run instead of goresty. The lines before http {} are as many
// either way, so chunk names (content_by_lua(nginx.conf:N)) agree.
func Start(t testing.TB, httpConf, ref string) *Server {
	t.Helper()
	return start(t, "worker_processes 1;", httpConf, ref, "info")
}

// StartLevel is Start with the error log at level (e.g. "debug").
func StartLevel(t testing.TB, httpConf, ref, level string) *Server {
	t.Helper()
	return start(t, "worker_processes 1;", httpConf, ref, level)
}

// StartMain is Start with mainConf (main-context directives such as
// worker_processes or env, on one line) before the events and http blocks.
func StartMain(t testing.TB, mainConf, httpConf, ref string) *Server {
	t.Helper()
	return start(t, mainConf, httpConf, ref, "info")
}

func start(t testing.TB, mainConf, httpConf, ref, level string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	head := "#\n#\n#\n"
	if ref != "" {
		head = "load_module /usr/lib/nginx/modules/ndk_http_module.so;\n" +
			"load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\npid logs/nginx.pid; " +
			"load_module /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so;\n"
	}
	text := head + mainConf + "\nerror_log logs/error.log " + level + ";\nevents { worker_connections 1024; }\nhttp {\n" +
		strings.ReplaceAll(httpConf, "PORT", fmt.Sprint(port)) + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Prefix: dir}
	if ref != "" {
		cmd := exec.Command(ref, "-e", "logs/error.log", "-p", dir+"/", "-c", "conf/nginx.conf", "-g", "daemon off; master_process off;")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s.Pid = cmd.Process.Pid
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for i := 0; i < 100; i++ {
			if c, err := net.Dial("tcp", s.Addr); err == nil {
				c.Close()
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		return s
	}
	rt, err := httpd.Load(dir, "conf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rt.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(false) })
	s.Process = p
	s.Pid = os.Getpid()
	return s
}

// ErrorLog is the server's error log so far.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs/error.log"))
	return string(b)
}

// WaitErrorLog returns the error log once it holds every one of want: a
// line written after the client saw its answer (a TLS session callback, a
// log phase) may land a moment later. It waits as long as the test may run
// (go test -timeout), never a fixed time.
func (s *Server) WaitErrorLog(t testing.TB, want ...string) string {
	t.Helper()
	for {
		log := s.ErrorLog()
		all := true
		for _, w := range want {
			if !strings.Contains(log, w) {
				all = false
				break
			}
		}
		if all {
			return log
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// StartEnv is Start on the reference nginx named by NGX_REFERENCE when it
// is set, on goresty otherwise: module tests run the same cases on both.
func StartEnv(t testing.TB, httpConf string) *Server {
	t.Helper()
	return Start(t, httpConf, os.Getenv("NGX_REFERENCE"))
}

// Get requests path with headers given as "Name: value" and returns the
// status, header and body; redirects are not followed.
func (s *Server) Get(t testing.TB, path string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+s.Addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if strings.EqualFold(k, "Host") {
			req.Host = strings.TrimSpace(v)
			continue
		}
		req.Header.Set(k, strings.TrimSpace(v))
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// Exchange writes raw on a new connection and reads one response (an
// interim 100 Continue counts as one). The connection stays open while
// the answer is awaited; the deadline only guards against a hang. The
// connection is returned for further use (the caller closes it).
func (s *Server) Exchange(t testing.TB, raw string) (*http.Response, string, net.Conn) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, body, err := ReadResponse(bufio.NewReader(c), raw)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return resp, body, c
}

// ReadResponse reads one response from br for the request raw (a HEAD
// response has no body).
func ReadResponse(br *bufio.Reader, raw string) (*http.Response, string, error) {
	method := "GET"
	if i := strings.IndexByte(raw, ' '); i > 0 {
		method = raw[:i]
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode == 100 {
		return resp, "", nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// AccessLog is the server's access log so far.
func (s *Server) AccessLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs/access.log"))
	return string(b)
}

// LoadError loads httpConf (the inside of http {}, on line 3 onwards of
// conf/nginx.conf) on goresty and returns the error, with the prefix's
// path replaced by "PREFIX".
func LoadError(t testing.TB, httpConf string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte("events {}\nhttp {\n"+httpConf+"\n}\n"), 0o644)
	_, err := httpd.Load(dir, "conf/nginx.conf")
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), dir, "PREFIX")
}
