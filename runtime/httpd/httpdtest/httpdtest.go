// Package httpdtest starts a configuration for tests: on goresty's
// runtime, or on a reference nginx + lua-nginx-module binary so that the
// same cases can be checked against real OpenResty.
package httpdtest

import (
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
}

// Start serves httpConf (the inside of http {}, "PORT" standing for a free
// port) from a fresh prefix. ref, when not empty, is a reference nginx
// binary to run instead of goresty. The lines before http {} are as many
// either way, so chunk names (content_by_lua(nginx.conf:N)) agree.
func Start(t testing.TB, httpConf, ref string) *Server {
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
			"load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\npid logs/nginx.pid;\n"
	}
	text := head + "worker_processes 1;\nerror_log logs/error.log info;\nevents { worker_connections 1024; }\nhttp {\n" +
		strings.ReplaceAll(httpConf, "PORT", fmt.Sprint(port)) + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Prefix: dir}
	if ref != "" {
		cmd := exec.Command(ref, "-p", dir+"/", "-c", "conf/nginx.conf", "-g", "daemon off; master_process off;")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
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
	return s
}

// ErrorLog is the server's error log so far.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs/error.log"))
	return string(b)
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
