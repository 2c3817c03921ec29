package httpd_test

// Faults in user Lua: a handler that never yields the worker, one that
// runs too long, failing filters, and what os.getenv shows.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// hangGuard bounds a request that would otherwise wait for ever on a
// broken server; it is never a measure of speed. Each request has its own
// connection: on nginx a connection belongs to the worker that accepted
// it.
var hangGuard = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func guardedGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := hangGuard.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// One worker stuck in a loop must not take later requests: they go to
// the worker that is free, as the kernel's accept sends nginx's
// connections to a worker that accepts.
func TestStuckWorkerGetsNoNewRequests(t *testing.T) {
	s := httpdtest.StartMain(t, "worker_processes 2;", `
lua_shared_dict d 1m;
server {
    listen 127.0.0.1:PORT;
    location /spin {
        content_by_lua_block {
            local d = ngx.shared.d
            d:set("spinner", ngx.worker.id())
            -- holds the worker without yielding until /stop
            while not d:get("stop") do end
            ngx.say("spun")
        }
    }
    location /spinner { content_by_lua_block { ngx.say(ngx.shared.d:get("spinner")) } }
    location /id { content_by_lua_block { ngx.say(ngx.worker.id()) } }
    location /stop { content_by_lua_block { ngx.shared.d:set("stop", true) ngx.say("ok") } }
}`, "") // goresty only: nginx 1.22 on Linux (epoll, EPOLLEXCLUSIVE) still
	// hands some new connections to the stuck worker, where they hang
	base := "http://" + s.Addr
	spun := make(chan string, 1)
	go func() {
		resp, err := hangGuard.Get(base + "/spin")
		if err != nil {
			spun <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		spun <- string(b)
	}()
	spinner := "nil\n"
	for i := 0; spinner == "nil\n"; i++ {
		if i == 2000 {
			t.Fatal("the spinning handler never started")
		}
		time.Sleep(5 * time.Millisecond)
		_, spinner = guardedGet(t, base+"/spinner")
	}
	for i := 0; i < 20; i++ {
		code, body := guardedGet(t, base+"/id")
		if code != 200 || body == spinner {
			t.Fatalf("request %d: %d %q on the stuck worker %q", i, code, body, spinner)
		}
	}
	guardedGet(t, base+"/stop")
	if got := <-spun; got != "spun\n" {
		t.Fatalf("spin: %q", got)
	}
}

// lua_max_running_time interrupts a handler that runs Lua too long, even
// inside pcall or a coroutine; time spent blocked does not count, and the
// worker goes on serving.
func TestLuaMaxRunningTime(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    lua_max_running_time 200ms;
    location /spin {
        content_by_lua_block {
            local ok = pcall(function() while true do end end)
            ngx.say("caught ", tostring(ok))
        }
    }
    location /co {
        content_by_lua_block {
            for i = 1, 3 do
                pcall(coroutine.wrap(function() while true do end end))
            end
            ngx.say("escaped")
        }
    }
    location /sleep {
        lua_max_running_time 50ms;
        content_by_lua_block { ngx.sleep(0.2) ngx.say("slept") }
    }
    location /off {
        lua_max_running_time off;
        content_by_lua_block { ngx.say("ok") }
    }
}`, "")
	base := "http://" + s.Addr
	for _, path := range []string{"/spin", "/co"} {
		if code, body := guardedGet(t, base+path); code != 500 || strings.Contains(body, "caught") || strings.Contains(body, "escaped") {
			t.Fatalf("%s: %d %q", path, code, body)
		}
	}
	log := s.ErrorLog()
	if n := strings.Count(log, "lua_max_running_time (200ms) exceeded"); n != 2 || !strings.Contains(log, "stack traceback:") ||
		!strings.Contains(log, "lua entry thread aborted") {
		t.Fatalf("error log:\n%s", log)
	}
	if testing.Verbose() {
		t.Log(log)
	}
	for _, path := range []string{"/sleep", "/off", "/sleep"} {
		if code, body := guardedGet(t, base+path); code != 200 {
			t.Fatalf("%s: %d %q", path, code, body)
		}
	}
}

var _ = fmt.Sprint
var _ = os.Getenv
var _ = strings.Contains

// rawGet sends one request and returns every byte the server sent before
// closing (or before the hang guard).
func rawGet(t *testing.T, addr, path string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path)
	b, _ := io.ReadAll(c)
	return string(b)
}

// A failing filter fails closed, as nginx: what the filter exists to
// change never reaches the client unfiltered.
func TestFilterErrorsFailClosed(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    location /body {
        content_by_lua_block { ngx.say("secret") }
        body_filter_by_lua_block { error("redact failed") }
    }
    location /body2 {
        content_by_lua_block { ngx.say("secret") ngx.flush(true) ngx.say("secret2") }
        body_filter_by_lua_block { if ngx.arg[1]:find("secret2") then error("redact failed") end }
    }
    location /header {
        content_by_lua_block { ngx.say("secret") }
        header_filter_by_lua_block { error("header failed") }
    }
}`, os.Getenv("NGX_REFERENCE"))
	// nothing at all when the error comes before the header went out
	for _, path := range []string{"/body", "/header"} {
		if got := rawGet(t, s.Addr, path); got != "" {
			t.Errorf("%s: sent %q", path, got)
		}
	}
	// after a flush: what was sent stays sent, then the connection is
	// closed without the last chunk
	got := rawGet(t, s.Addr, "/body2")
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\n7\r\nsecret\n\r\n") {
		t.Errorf("/body2: sent %q", got)
	}
	log := s.ErrorLog()
	if !strings.Contains(log, "failed to run body_filter_by_lua") || !strings.Contains(log, "failed to run header_filter_by_lua") {
		t.Errorf("error log:\n%s", log)
	}
}

// Lua sees the environment nginx gives its workers: TZ and what the env
// directives name or set; nothing else, and the process is not changed.
func TestEnvIsolation(t *testing.T) {
	t.Setenv("GORESTY_TEST_SECRET", "s3cret")
	t.Setenv("GORESTY_TEST_PASSED", "yes")
	t.Setenv("TZ", "UTC")
	s := httpdtest.StartMain(t, "worker_processes 1; env GORESTY_TEST_PASSED; env GORESTY_TEST_SET=v1; env GORESTY_TEST_ABSENT;", `
server {
    listen 127.0.0.1:PORT;
    location /env {
        content_by_lua_block {
            for _, k in ipairs({"GORESTY_TEST_SECRET", "GORESTY_TEST_PASSED", "GORESTY_TEST_SET", "GORESTY_TEST_ABSENT", "TZ", "PATH", "HOME"}) do
                ngx.say(k, "=", tostring(os.getenv(k)))
            end
        }
    }
}`, os.Getenv("NGX_REFERENCE"))
	code, body := guardedGet(t, "http://"+s.Addr+"/env")
	want := "GORESTY_TEST_SECRET=nil\nGORESTY_TEST_PASSED=yes\nGORESTY_TEST_SET=v1\nGORESTY_TEST_ABSENT=nil\nTZ=UTC\nPATH=nil\nHOME=nil\n"
	if code != 200 || body != want {
		t.Fatalf("%d\n%s", code, body)
	}
	if s.Process != nil {
		if v, ok := os.LookupEnv("GORESTY_TEST_SET"); ok {
			t.Fatalf("the process environment was changed: GORESTY_TEST_SET=%s", v)
		}
	}
}

// liarUpstream answers /liar with a Content-Length of 100 GiB and three
// bytes, /big with a 200 KiB body and /small with a short one.
func liarUpstream(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				n := 0
				for !strings.Contains(string(buf[:n]), "\r\n\r\n") && n < len(buf) {
					k, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += k
				}
				switch line := string(buf[:n]); {
				case strings.HasPrefix(line, "GET /liar"):
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 107374182400\r\n\r\nabc")
				case strings.HasPrefix(line, "GET /big"):
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", 200<<10, strings.Repeat("x", 200<<10))
				default:
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nsmall")
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A declared upstream length is never allocated: the body is relayed as
// it arrives, and one cut short ends the client's response there.
func TestUpstreamLengthNotTrusted(t *testing.T) {
	up := liarUpstream(t)
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    location / { proxy_pass http://`+up+`; }
    location /nobuf/ { proxy_buffering off; proxy_pass http://`+up+`/; }
    location /resty {
        content_by_lua_block {
            local httpc = require("resty.http").new()
            local res, err = httpc:request_uri("http://`+up+`/liar")
            ngx.say(tostring(res), " ", err)
        }
    }
    location /cap {
        content_by_lua_block {
            local res = ngx.location.capture("/liar")
            ngx.say(res.status, " ", res.body, " ", tostring(res.truncated))
        }
    }
}`, os.Getenv("NGX_REFERENCE"))
	for _, path := range []string{"/liar", "/nobuf/liar", "/liar"} {
		got := rawGet(t, s.Addr, path)
		if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.Contains(got, "\r\nContent-Length: 107374182400\r\n") ||
			!strings.HasSuffix(got, "\r\n\r\nabc") {
			t.Fatalf("%s: %q", path, got)
		}
	}
	if code, body := guardedGet(t, "http://"+s.Addr+"/cap"); code != 200 || body != "200 abc true\n" {
		t.Fatalf("/cap: %d %q", code, body)
	}
	if code, body := guardedGet(t, "http://"+s.Addr+"/big"); code != 200 || body != strings.Repeat("x", 200<<10) {
		t.Fatalf("/big: %d, %d bytes", code, len(body))
	}
	if s.Process != nil { // lua-resty-http is goresty's built-in
		code, body := guardedGet(t, "http://"+s.Addr+"/resty")
		if code != 200 || body != "nil closed\n" {
			t.Fatalf("/resty: %d %q", code, body)
		}
	}
	resp, err := hangGuard.Get("http://" + s.Addr + "/small")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ContentLength != 5 || string(b) != "small" {
		t.Fatalf("/small: length %d, %q", resp.ContentLength, b)
	}
}
