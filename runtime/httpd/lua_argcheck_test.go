package httpd_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The argument and context checks of ngx.req.set_uri, set_uri_args,
// ngx.exec, ngx.req.read_body and ngx.encode_args raise lua-nginx-module's
// messages, the function named '?' when it is called by pcall directly as
// LuaJIT names it; an unsafe URI given to set_uri is a 500 with the escaped
// URI in the error log. NGX_REFERENCE runs the cases on nginx.
func TestLuaArgumentChecks(t *testing.T) {
	s := httpdtest.StartLevel(t, `
server {
    listen 127.0.0.1:PORT;
    location /t {
        content_by_lua_block {
            local function p(...) ngx.say(select(2, pcall(...))) end
            p(ngx.encode_args, true)
            p(ngx.req.set_uri_args, true)
            p(ngx.req.set_uri_args)
            p(ngx.req.set_uri_args, "a=1", 2)
            p(ngx.req.set_uri, 1, 2)
            p(ngx.req.set_uri, "/a\nb")
            p(ngx.req.set_uri, "/a\"\\\127\128b\1")
            p(ngx.req.set_uri, "/a", true, 1)
            p(ngx.req.set_uri, "/a", true)
            p(ngx.req.set_uri)
            p(ngx.req.set_uri, "/a", false, false, 4)
            p(ngx.req.set_uri, "")
            p(ngx.exec)
            p(ngx.exec, "/a", "b", "c")
            p(ngx.exec, "/a", true)
            p(ngx.req.read_body, 1)
            ngx.say(pcall(ngx.req.set_uri, "/a b\t"), " ", ngx.var.uri)
            ngx.say(pcall(ngx.req.set_uri, "/x\ny", false, true), " ", #ngx.var.uri)
        }
    }
    location /named {
        rewrite_by_lua_block { ngx.req.set_uri_args(true) }
        content_by_lua_block { ngx.say("no") }
    }
    location /unsafe {
        rewrite_by_lua_block { ngx.req.set_uri("/foo\r\nbar", true) }
        content_by_lua_block { ngx.say("no") }
    }
    location /jump {
        rewrite_by_lua_block { ngx.req.set_uri("/bar", true) }
    }
    location /bar { return 200 "bar $uri\n"; }
    location /capdbg {
        content_by_lua_block {
            local res = ngx.location.capture("/bar?a=1", { args = "b=2" })
            ngx.print(res.body)
        }
    }
}`, os.Getenv("NGX_REFERENCE"), "debug")
	_, _, body := s.Get(t, "/t")
	want := `bad argument #1 to '?' (table expected, got boolean)
bad argument #1 to '?' (string, number, or table expected, but got boolean)
expecting 1 argument but seen 0
expecting 1 argument but seen 2
bad argument #2 to '?' (boolean expected, got number)
unsafe byte "0x0a" in uri "/a\x0Ab" (maybe you want to set the 'binary' argument?)
unsafe byte "0x7f" in uri "/a\x22\x5C\x7F\x80b\x01" (maybe you want to set the 'binary' argument?)
bad argument #3 to '?' (boolean expected, got number)
API disabled in the context of content_by_lua*
expecting 1, 2 or 3 arguments but seen 0
expecting 1, 2 or 3 arguments but seen 4
attempt to use zero-length uri
expecting one or two arguments, but got 0
expecting one or two arguments, but got 3
bad argument #2 to '?' (string, number, or table expected, but got boolean)
expecting 0 arguments but seen 1
true /a b	
true 4
`
	if body != want {
		t.Errorf("body:\n%s\nwant:\n%s", body, want)
	}
	code, _, _ := s.Get(t, "/named")
	if code != 500 {
		t.Errorf("/named: %d, want 500", code)
	}
	code, _, _ = s.Get(t, "/unsafe")
	if code != 500 {
		t.Errorf("/unsafe: %d, want 500", code)
	}
	code, _, body = s.Get(t, "/jump")
	if code != 200 || body != "bar /bar\n" {
		t.Errorf("/jump: %d %q", code, body)
	}
	s.Get(t, "/capdbg")
	log := s.WaitErrorLog(t, `lua set uri jump to "/bar"`, `lua http subrequest "/bar?a=1&b=2"`)
	for _, w := range []string{
		`bad argument #1 to 'set_uri_args' (string, number, or table expected, but got boolean)`,
		`unsafe byte "0x0d" in uri "/foo\x0D\x0Abar" (maybe you want to set the 'binary' argument?)`,
	} {
		if !strings.Contains(log, w) {
			t.Errorf("error log lacks %q", w)
		}
	}
}

// ngx.ctx is new after ngx.req.set_uri(uri, true) and after internal
// redirects, not after rewrite ... last; each ngx.ctx table is released at the end of the request with
// lua-nginx-module's debug line. NGX_REFERENCE runs the cases on nginx.
func TestNgxCtxAcrossJumps(t *testing.T) {
	s := httpdtest.StartLevel(t, `
server {
    listen 127.0.0.1:PORT;
    location = /jump {
        rewrite_by_lua_block {
            ngx.ctx.foo = 32
            ngx.req.set_uri("/f", true)
        }
        log_by_lua_block { ngx.log(ngx.WARN, "jump log ctx.foo = ", ngx.ctx.foo) }
    }
    location = /f {
        content_by_lua_block { ngx.say("f ", tostring(ngx.ctx.foo)) }
    }
    location = /exec {
        rewrite_by_lua_block { ngx.ctx.foo = "x" }
        content_by_lua_block { ngx.exec("/f") }
    }
    location = /last {
        set_by_lua_block $a { ngx.ctx.foo = "hello"; return 1 }
        rewrite ^ /f last;
    }
}`, os.Getenv("NGX_REFERENCE"), "debug")
	// rewrite ... last keeps it: the request's module contexts stay
	for p, want := range map[string]string{"/jump": "f nil\n", "/exec": "f nil\n", "/last": "f hello\n"} {
		code, _, body := s.Get(t, p)
		if code != 200 || body != want {
			t.Errorf("%s: %d %q, want 200 %q", p, code, body, want)
		}
	}
	log := s.WaitErrorLog(t, "lua release ngx.ctx at ref ")
	if strings.Contains(log, "jump log ctx.foo") {
		t.Errorf("the log phase of the location left by the jump ran")
	}
}

// rawExchange sends raw on a new connection and reads until the server
// closes it; Date and Server lines are dropped.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	var out []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasPrefix(l, "Date:") && !strings.HasPrefix(l, "Server:") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// A body filter returning ngx.ERROR (or a status >= 300) cuts the
// response as a failing filter does; in a subrequest it closes the main
// request's connection with nothing sent. ngx.exit(ngx.ERROR) in a
// subrequest gives the parent status 500 (unless sent) and a truncated
// body, as does a body filter clearing ngx.arg[2] there. A HEAD answer carries no body or chunk, Lua output or not, and
// the next pipelined request is answered right after it. NGX_REFERENCE runs
// the cases on nginx.
func TestBodyFilterErrorSubrequestErrorAndHead(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /sub {
        content_by_lua_block { ngx.say("hello world") }
        body_filter_by_lua_block { return ngx.ERROR }
    }
    location /main {
        content_by_lua_block {
            local res = ngx.location.capture("/sub")
            ngx.say("status: ", res.status)
        }
    }
    location /cut {
        content_by_lua_block { ngx.say("one") ngx.flush(true) ngx.say("two") }
        body_filter_by_lua_block { if ngx.arg[1]:find("two") then return 500 end }
    }
    location /ok {
        content_by_lua_block { ngx.say("one") }
        body_filter_by_lua_block { return "299" }
    }
    location /suberr { content_by_lua_block { ngx.exit(ngx.ERROR) } }
    location /suberr2 { content_by_lua_block { ngx.say("x") ngx.exit(ngx.ERROR) } }
    location /cap {
        content_by_lua_block {
            local res = ngx.location.capture(ngx.var.arg_u)
            ngx.say(res.status, " ", res.body, " ", tostring(res.truncated))
        }
    }
    location /noeof {
        content_by_lua_block { ngx.say("hi") }
        body_filter_by_lua_block { if ngx.arg[2] then ngx.arg[2] = false end }
    }
    location /say { content_by_lua_block { ngx.say("hello") } }
    location /flush { content_by_lua_block { ngx.say("hello") ngx.flush(true) ngx.say("more") } }
    location /sent { content_by_lua_block { ngx.send_headers() ngx.say("x") } }
}`)
	if got := rawExchange(t, s.Addr, "GET /main HTTP/1.1\r\nHost: a\r\n\r\n"); got != "" {
		t.Errorf("/main: %q, want the connection closed with nothing sent", got)
	}
	got := rawExchange(t, s.Addr, "GET /cut HTTP/1.1\r\nHost: a\r\n\r\n")
	if !strings.HasSuffix(got, "\r\n\r\n4\r\none\n\r\n") {
		t.Errorf("/cut: %q, want the first chunk and a cut", got)
	}
	if code, _, body := s.Get(t, "/ok"); code != 200 || body != "one\n" {
		t.Errorf("/ok: %d %q", code, body)
	}
	if _, _, body := s.Get(t, "/cap?u=/suberr"); body != "500  true\n" {
		t.Errorf("/suberr: %q", body)
	}
	if _, _, body := s.Get(t, "/cap?u=/suberr2"); body != "200 x\n true\n" {
		t.Errorf("/suberr2: %q", body)
	}
	// a body filter clearing the end of a subrequest's body truncates it
	if _, _, body := s.Get(t, "/cap?u=/noeof"); body != "200 hi\n true\n" {
		t.Errorf("/noeof: %q", body)
	}
	const next = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nhello\n\r\n0\r\n\r\n"
	for _, p := range []string{"/say", "/flush", "/sent"} {
		got := rawExchange(t, s.Addr, "HEAD "+p+" HTTP/1.1\r\nHost: a\r\n\r\nGET /say HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
		want := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n" + next
		if got != want {
			t.Errorf("HEAD %s:\n%q\nwant\n%q", p, got, want)
		}
	}
}

// A Content-Length set by ngx.req.set_header before the body is read
// bounds what is read as the body. NGX_REFERENCE runs it on nginx.
func TestSetContentLengthBeforeReadBody(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /lua {
        rewrite_by_lua_block { ngx.req.set_header("content-length", 5) }
        content_by_lua_block { ngx.req.read_body() ngx.say(ngx.req.get_body_data()) }
    }
}`)
	got := rawExchange(t, s.Addr, "POST /lua HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello")
	if !strings.HasSuffix(got, "\r\n\r\nhello\n") {
		t.Errorf("same length: %q", got)
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("POST /lua HTTP/1.0\r\nContent-Length: 11\r\n\r\nhello world"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "hello\n" {
		t.Errorf("body %q, want the 5 bytes the new Content-Length names", body)
	}
}
