package ngxhttp_test

// Table-driven tests of the request-level ngx API against a real server.
//
// Every test function starts one server whose server{} block holds the
// locations of all its cases, then sends each case's request and checks
// status, headers, body and what the request wrote to the error log.
//
// Setting NGX_REFERENCE to an nginx binary built with lua-nginx-module
// (e.g. NGX_REFERENCE=/usr/sbin/nginx) runs the very same cases against
// it instead, which is how the expectations were checked.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"

	_ "github.com/goresty/goresty/luabindings/all"
)

// hcase is one request against one piece of configuration.
type hcase struct {
	name string
	loc  string // configuration inside server{}, usually one location

	method string // GET by default
	path   string
	hdrs   []string // extra request header lines "Name: value"
	body   string   // request body (Content-Length is added)
	http10 bool     // send HTTP/1.0

	status int
	closed bool // the connection is closed without a response (444)
	// want is the exact response body; "~x" means the body contains x,
	// "*" means any body.
	want string
	// hdr maps response header names to the expected values joined by
	// "|"; "" means the header must be absent.
	hdr map[string]string
	// log lists substrings the request must write to the error log,
	// nolog substrings it must not write.
	log   []string
	nolog []string
	// refDiffers marks behaviour where goresty intentionally differs
	// from the reference; the case is skipped in reference mode.
	refDiffers string
	// bug marks a known goresty bug (the case holds the reference
	// behaviour): the case is skipped while it still fails and fails
	// once the bug is gone, so that the mark gets removed. Set
	// GORESTY_KNOWN_BUGS=1 to see the failures.
	bug string
}

type server struct {
	base   string
	prefix string
	ref    bool
}

// startServer serves an nginx.conf whose http{} holds httpConf and one
// server{} with serverConf and every case's loc. PORT is replaced by
// the listen port.
func startServer(t *testing.T, httpConf, serverConf string, cases []hcase) *server {
	t.Helper()
	var b strings.Builder
	b.WriteString(serverConf)
	for _, c := range cases {
		b.WriteString("\n")
		b.WriteString(c.loc)
	}
	return startConf(t, httpConf+"\nserver {\n    listen 127.0.0.1:PORT;\n"+b.String()+"\n}\n")
}

func startConf(t *testing.T, httpConf string) *server {
	t.Helper()
	ref := os.Getenv("NGX_REFERENCE")
	hs := httpdtest.Start(t, httpConf, ref)
	os.MkdirAll(filepath.Join(hs.Prefix, "html"), 0o755)
	os.WriteFile(filepath.Join(hs.Prefix, "html/index.html"), []byte("index\n"), 0o644)
	return &server{base: hs.Addr, prefix: hs.Prefix, ref: ref != ""}
}

func (s *server) logSize() int64 {
	fi, err := os.Stat(filepath.Join(s.prefix, "logs/error.log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (s *server) logSince(off int64) string {
	b, _ := os.ReadFile(filepath.Join(s.prefix, "logs/error.log"))
	if int64(len(b)) < off {
		return ""
	}
	return string(b[off:])
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request over a fresh connection, byte for byte as given.
func (s *server) do(t *testing.T, method, path string, hdrs []string, body string, http10 bool) response {
	t.Helper()
	r, err := s.try(t, method, path, hdrs, body, http10)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is do returning the error of reading the response.
func (s *server) try(t *testing.T, method, path string, hdrs []string, body string, http10 bool) (response, error) {
	t.Helper()
	if method == "" {
		method = "GET"
	}
	conn, err := net.DialTimeout("tcp", s.base, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	proto := "HTTP/1.1"
	if http10 {
		proto = "HTTP/1.0"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\nHost: localhost\r\nConnection: close\r\n", method, path, proto)
	for _, h := range hdrs {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "http://"+s.base+path, nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		// a response cut after the header was sent (error in content)
		return response{resp.StatusCode, resp.Header, string(rb) + "<cut>"}, nil
	}
	return response{resp.StatusCode, resp.Header, string(rb)}, nil
}

// waitLog polls the error log written since off until it holds every
// wanted substring (log lines may follow the response, e.g. from
// log_by_lua or timers).
func (s *server) waitLog(off int64, want []string, d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		got := s.logSince(off)
		ok := true
		for _, w := range want {
			if !strings.Contains(got, w) {
				ok = false
				break
			}
		}
		if ok || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func runCases(t *testing.T, s *server, cases []hcase) {
	t.Helper()
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			if s.ref && c.refDiffers != "" {
				t.Skip("differs from the reference: " + c.refDiffers)
			}
			off := s.logSize()
			var fails []string
			r, err := s.try(t, c.method, c.path, c.hdrs, c.body, c.http10)
			if c.closed {
				if err == nil {
					fails = append(fails, fmt.Sprintf("got a response %d %q, want the connection closed", r.status, r.body))
				}
				c.status, c.want = 0, "*"
			} else if err != nil {
				fails = append(fails, fmt.Sprintf("%s %s: %v", c.method, c.path, err))
			}
			if err == nil || c.closed {
				fails = append(fails, check(s, off, c, r)...)
			}
			report(t, s, c.bug, fails)
		})
	}
}

// report fails t with fails, or handles a known bug (see hcase.bug).
func report(t *testing.T, s *server, bug string, fails []string) {
	t.Helper()
	if bug != "" && !s.ref && os.Getenv("GORESTY_KNOWN_BUGS") == "" {
		if len(fails) == 0 {
			t.Fatalf("known bug %q no longer shows: remove the mark", bug)
		}
		t.Skipf("known bug: %s: %s", bug, strings.Join(fails, "; "))
	}
	for _, f := range fails {
		t.Error(f)
	}
}

func check(s *server, off int64, c hcase, r response) []string {
	var fails []string
	errorf := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	if c.status != 0 && r.status != c.status {
		errorf("status %d, want %d (body %q)", r.status, c.status, r.body)
	}
	switch {
	case c.want == "*":
	case strings.HasPrefix(c.want, "~"):
		if !strings.Contains(r.body, c.want[1:]) {
			errorf("body %q does not contain %q", r.body, c.want[1:])
		}
	default:
		if r.body != c.want {
			errorf("body %q, want %q", r.body, c.want)
		}
	}
	for k, want := range c.hdr {
		got := strings.Join(r.header.Values(k), "|")
		if got != want {
			errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if len(c.log) > 0 || len(c.nolog) > 0 {
		wait := time.Second
		if len(c.log) == 0 {
			wait = 50 * time.Millisecond
		}
		got := s.waitLog(off, c.log, wait)
		for _, w := range c.log {
			if !strings.Contains(got, w) {
				errorf("error log lacks %q:\n%s", w, tail(got))
			}
		}
		for _, w := range c.nolog {
			if strings.Contains(got, w) {
				errorf("error log has %q:\n%s", w, tail(got))
			}
		}
	}
	return fails
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}
