package httpd_test

// What a client and the error log see of Lua output and Lua errors, as
// lua-nginx-module produces them (these cases run on nginx too with
// NGX_REFERENCE=/usr/sbin/nginx).

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Lua output has no length when lua-nginx-module sends the header: an
// HTTP/1.1 client gets it chunked (even an empty body); an HTTP/1.0 one
// gets it buffered with a Content-Length (lua_http10_buffering). Error
// pages keep their length.
func TestLuaOutputFraming(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /say { content_by_lua_block { ngx.say("x") } }
    location /empty { content_by_lua_block { } }
    location /exit200 { content_by_lua_block { ngx.exit(200) } }
    location /sayexit { content_by_lua_block { ngx.say("x") ngx.exit(200) } }
    location /status { content_by_lua_block { ngx.status = 404 ngx.say("nf") } }
    location /rewrite { rewrite_by_lua_block { ngx.say("r") ngx.exit(200) } }
    location /exit404 { content_by_lua_block { ngx.exit(404) } }
    location /declared { content_by_lua_block { ngx.header.content_length = 3 ngx.say("Hello") } }
}`)
	for _, c := range []struct {
		path, body string
		chunked    bool
	}{
		{"/say", "x\n", true},
		{"/empty", "", true},
		{"/exit200", "", true},
		{"/sayexit", "x\n", true},
		{"/status", "nf\n", true},
		{"/rewrite", "r\n", true},
		{"/declared", "Hel", false},
	} {
		resp, body, _ := s.Exchange(t, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		chunked := len(resp.TransferEncoding) == 1 && resp.TransferEncoding[0] == "chunked"
		if chunked != c.chunked || body != c.body {
			t.Errorf("%s: chunked %v (%v), body %q, want chunked %v, %q", c.path, chunked, resp.TransferEncoding, body, c.chunked, c.body)
		}
		if c.path == "/declared" && resp.ContentLength != 3 {
			t.Errorf("%s: Content-Length %d, want 3", c.path, resp.ContentLength)
		}
		resp, body, _ = s.Exchange(t, "GET "+c.path+" HTTP/1.0\r\nHost: x\r\n\r\n")
		if len(resp.TransferEncoding) != 0 || body != c.body || resp.Proto != "HTTP/1.1" {
			t.Errorf("%s over HTTP/1.0: %s %v %q, want HTTP/1.1, no chunks, %q", c.path, resp.Proto, resp.TransferEncoding, body, c.body)
		}
	}
	resp, body, _ := s.Exchange(t, "GET /exit404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 404 || len(resp.TransferEncoding) != 0 || resp.ContentLength != int64(len(body)) {
		t.Errorf("error page: %d %v length %d for %d bytes", resp.StatusCode, resp.TransferEncoding, resp.ContentLength, len(body))
	}
}

// A Content-Length that is no number fails the assignment: 500 and
// lua-nginx-module's "failed to set header".
func TestLuaBadContentLength(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /t { content_by_lua_block { ngx.header.content_length = "text/plain" ngx.say("Hi") } }
}`)
	if code, _, _ := s.Get(t, "/t"); code != 500 {
		t.Fatalf("status %d, want 500", code)
	}
	if !strings.Contains(s.ErrorLog(), "failed to set header") {
		t.Errorf("error log lacks \"failed to set header\":\n%s", s.ErrorLog())
	}
}

// An aborted entry thread logs lua-nginx-module's thread traceback:
// "coroutine N:" sections, at most 22 frames each, then "...", and the
// coroutines that resumed a failed coroutine.wrap function. That wrap
// passes the error on unchanged (no caller position added).
func TestLuaThreadTraceback(t *testing.T) {
	var deep strings.Builder
	deep.WriteString("local function f1() error(\"deep\") end\n")
	for i := 2; i <= 30; i++ {
		deep.WriteString("local function f" + itoa(i) + "() local v = f" + itoa(i-1) + "() return v end\n")
	}
	deep.WriteString("f30()\n")
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /deep { content_by_lua_block {
`+deep.String()+`
    } }
    location /wrap { content_by_lua_block {
        local co1 = coroutine.wrap(function()
            local co2 = coroutine.wrap(function() error("in co2") end)
            co2()
        end)
        co1()
    } }
}`)
	if code, _, _ := s.Get(t, "/deep"); code != 500 {
		t.Fatalf("/deep: %d", code)
	}
	log := s.ErrorLog()
	i := strings.Index(log, "stack traceback:\ncoroutine 0:\n")
	if i < 0 {
		t.Fatalf("no thread traceback in\n%s", log)
	}
	tb := log[i:]
	tb = tb[:strings.Index(tb, ", client:")]
	lines := strings.Split(tb, "\n")
	// "stack traceback:", "coroutine 0:", 22 frames, "\t..."
	if len(lines) != 25 || lines[24] != "\t..." || !strings.Contains(tb, "in function 'f20'") || strings.Contains(tb, "in function 'f22'") {
		t.Errorf("deep traceback:\n%s", tb)
	}
	if code, _, _ := s.Get(t, "/wrap"); code != 500 {
		t.Fatalf("/wrap: %d", code)
	}
	log = s.ErrorLog()
	if !regexp.MustCompile(`runtime error: content_by_lua\(nginx\.conf:\d+\):\d+: in co2\nstack traceback:\ncoroutine 0:\n(.*\n)+coroutine 1:\n(.*\n)+coroutine 2:\n(.*\n)*\t.*in main chunk`).MatchString(log) {
		t.Errorf("wrap traceback:\n%s", log)
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}

// Loading Lua: a missing file is 404 with the system's reason, an
// unreadable one 503; a "#!" first line is skipped with its line still
// counted; a syntax error names a string token with its quotes; a filter
// error is "failed to run header_filter_by_lua*", and an error value
// that is no string is "unknown reason".
func TestLuaLoadAndFilterErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sb.lua"), []byte("#!/usr/bin/lua\n\nngx.say(\"line \", debug.getinfo(1).currentline)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.lua"), []byte("ngx.say(1)\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /sb { content_by_lua_file `+dir+`/sb.lua; }
    location /missing { content_by_lua_file `+dir+`/missing.lua; }
    location /secret { content_by_lua_file `+dir+`/secret.lua; }
    location /syntax { content_by_lua_block {
        'for end';
    } }
    location /hf { content_by_lua_block { ngx.say("x") } header_filter_by_lua_block { error("filter failed") } }
    location /hfnil { content_by_lua_block { ngx.say("x") } header_filter_by_lua_block { error({}) } }
}`)
	if code, _, body := s.Get(t, "/sb"); code != 200 || body != "line 3\n" {
		t.Errorf("/sb: %d %q", code, body)
	}
	if code, _, _ := s.Get(t, "/missing"); code != 404 {
		t.Errorf("/missing: %d", code)
	}
	if os.Geteuid() != 0 { // root reads the file anyway
		if code, _, _ := s.Get(t, "/secret"); code != 503 {
			t.Errorf("/secret: %d", code)
		}
	}
	if code, _, _ := s.Get(t, "/syntax"); code != 500 {
		t.Errorf("/syntax: %d", code)
	}
	for _, p := range []string{"/hf", "/hfnil"} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second)) // hang guard
		io.WriteString(c, "GET "+p+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		c.Close()
		if strings.Contains(string(b), "x\n") {
			t.Errorf("%s: the failed filter let the body out: %q", p, b)
		}
	}
	log := s.ErrorLog()
	for _, want := range []string{
		`failed to load external Lua file "` + dir + `/missing.lua": cannot open ` + dir + `/missing.lua: No such file or directory`,
		`failed to load inlined Lua code: content_by_lua(nginx.conf:`,
		`:2: unexpected symbol near ''for end''`,
		`failed to run header_filter_by_lua*: header_filter_by_lua(nginx.conf:`,
		`: filter failed`,
		`failed to run header_filter_by_lua*: unknown reason`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q", want)
		}
	}
	if os.Geteuid() != 0 && !strings.Contains(log, "secret.lua: Permission denied") {
		t.Errorf("error log lacks the permission error")
	}
}

// more_clear_headers Date (and Server) removes them; a Date Lua sets
// replaces the server's.
func TestClearDateHeader(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /nodate { content_by_lua_block { ngx.say("a") } more_clear_headers Date; }
    location /none { content_by_lua_block { ngx.say("b") } more_clear_headers Server Date; }
    location /own { content_by_lua_block { ngx.header.Date = "yesterday" ngx.say("c") } }
    location /default { content_by_lua_block { ngx.say("d") } }
}`)
	for _, c := range []struct{ path, date, server, body string }{
		{"/nodate", "", "yes", "a\n"},
		{"/none", "", "", "b\n"},
		{"/own", "yesterday", "yes", "c\n"},
		{"/default", "now", "yes", "d\n"},
	} {
		resp, body, _ := s.Exchange(t, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		date, server := resp.Header.Values("Date"), resp.Header.Get("Server")
		ok := body == c.body && (server != "") == (c.server != "")
		switch c.date {
		case "":
			ok = ok && len(date) == 0
		case "now":
			ok = ok && len(date) == 1 && strings.HasSuffix(date[0], " GMT")
		default:
			ok = ok && len(date) == 1 && date[0] == c.date
		}
		if !ok {
			t.Errorf("%s: Date %q, Server %q, body %q", c.path, date, server, body)
		}
	}
}

// init_body/append_body/finish_body keep a body in memory up to the
// buffer size and spill it to a temporary file beyond; get_body_file
// names it, get_body_data is nil then; init_body before the body was
// read fails.
func TestLuaBuiltBodySpills(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /file { client_body_buffer_size 4; content_by_lua_block {
        ngx.req.read_body()
        ngx.req.init_body()
        ngx.req.append_body("h") ngx.req.append_body("ell") ngx.req.append_body("o")
        ngx.req.finish_body()
        local f = assert(io.open(ngx.req.get_body_file()))
        ngx.say(ngx.var.http_content_length, " ", tostring(ngx.req.get_body_data()), " ", f:read("*a"))
        f:close()
    } }
    location /mem { content_by_lua_block {
        ngx.req.read_body()
        ngx.req.init_body(8)
        ngx.req.append_body("abc")
        ngx.req.finish_body()
        ngx.say(ngx.var.http_content_length, " ", ngx.req.get_body_data(), " ", tostring(ngx.req.get_body_file()))
    } }
    location /unread { content_by_lua_block { ngx.req.init_body() } }
}`)
	for _, c := range []struct{ path, want string }{
		{"/file", "5 nil hello\n"},
		{"/mem", "3 abc nil\n"},
	} {
		if code, _, body := s.Get(t, c.path); code != 200 || body != c.want {
			t.Errorf("%s: %d %q, want %q", c.path, code, body, c.want)
		}
	}
	if code, _, _ := s.Get(t, "/unread"); code != 500 {
		t.Errorf("/unread: %d", code)
	}
	log := s.ErrorLog()
	if !strings.Contains(log, "a client request body is buffered to a temporary file ") || !strings.Contains(log, "request body not read yet") {
		t.Errorf("error log:\n%s", log)
	}
}

// In init_by_lua (no request) coroutine.wrap is LuaJIT's own: the error
// gets the position of the call (in a request it passes unchanged, see
// TestLuaThreadTraceback).
func TestInitByLuaWrapKeepsPosition(t *testing.T) {
	s := httpdtest.StartEnv(t, `
init_by_lua_block {
    local co = coroutine.wrap(function() error("wrapped") end)
    local ok, err = pcall(function() co() end)
    ngx.log(ngx.WARN, "init err: ", err)
}
server {
    listen 127.0.0.1:PORT;
    location /t { return 204; }
}`)
	if !regexp.MustCompile(`init err: init_by_lua\(nginx\.conf:\d+\):\d+: init_by_lua\(nginx\.conf:\d+\):\d+: wrapped`).MatchString(s.ErrorLog()) {
		t.Errorf("init_by_lua:\n%s", s.ErrorLog())
	}
}

// require of a missing module fails with LuaJIT's text: the module name
// quoted, then one line per place searched.
func TestRequireMissingModuleText(t *testing.T) {
	s := httpdtest.StartEnv(t, `
lua_package_path "/nonexistent/?.lua;;";
server {
    listen 127.0.0.1:PORT;
    location /t { content_by_lua_block { local ok, err = pcall(require, "no.such") ngx.print(err) } }
}`)
	_, _, body := s.Get(t, "/t")
	want := "module 'no.such' not found:\n\tno field package.preload['no.such']\n\tno file '/nonexistent/no/such.lua'"
	if !strings.HasPrefix(body, want) {
		t.Errorf("got %q, want it to start with %q", body, want)
	}
}

// header_filter_by_lua may change the status of a proxied or a Lua
// response: the header is not out while the header filters run.
func TestHeaderFilterSetsStatus(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location /up { return 200 "upstream\n"; }
		location /p { proxy_pass http://127.0.0.1:PORT/up; header_filter_by_lua_block { ngx.status = 403 } }
		location /l { content_by_lua_block { ngx.say("lua") } header_filter_by_lua_block { ngx.status = 403 } }
	}`, os.Getenv("NGX_REFERENCE"))
	for p, body := range map[string]string{"/p": "upstream\n", "/l": "lua\n"} {
		if code, _, got := s.Get(t, p); code != 403 || got != body {
			t.Errorf("%s: %d %q, want 403 %q", p, code, got, body)
		}
	}
	if log := s.ErrorLog(); strings.Contains(log, "attempt to set ngx.status") {
		t.Errorf("error log: %s", log)
	}
}

// ngx.req.set_header and clear_header are visible to ngx.var.http_* in the
// same request, as in nginx.
func TestSetHeaderVisibleToVar(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location /t { content_by_lua_block {
			local a = ngx.var.http_x_a
			ngx.req.set_header("X-A", "new")
			ngx.req.set_header("X-B", "b")
			ngx.req.clear_header("X-C")
			ngx.say(a, " ", ngx.var.http_x_a, " ", ngx.var.http_x_b, " ", ngx.var.http_x_c)
		} }
	}`, os.Getenv("NGX_REFERENCE"))
	if _, _, body := s.Get(t, "/t", "X-A: old", "X-C: c"); body != "old new b nil\n" {
		t.Fatalf("%q", body)
	}
}

// ngx.location.capture with share_all_vars: the subrequest's "set" is the
// main request's (nginx shares the variables array); without it, not.
func TestCaptureShareAllVars(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location /sub { set $a 12; set $b "$b+"; return 204; }
		location /u { content_by_lua_block {
			ngx.location.capture("/sub", { share_all_vars = true })
			ngx.say(ngx.var.a)
		} }
		location /t { content_by_lua_block {
			ngx.var.b = "x"
			ngx.location.capture("/sub")
			local before = tostring(ngx.var.a) .. " " .. ngx.var.b
			ngx.location.capture("/sub", { share_all_vars = true })
			ngx.say(before, " ", ngx.var.a, " ", ngx.var.b)
		} }
	}`, os.Getenv("NGX_REFERENCE"))
	if _, _, body := s.Get(t, "/t"); body != " x 12 x+\n" {
		t.Fatalf("%q", body)
	}
	// the main request had no variable set before the subrequest
	if _, _, body := s.Get(t, "/u"); body != "12\n" {
		t.Fatalf("untouched main request: %q", body)
	}
}

// A HEAD ngx.location.capture gets the status and no body (the
// subrequest is header-only); ngx.exec("") is an error (500).
func TestCaptureHeadAndEmptyExec(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location /sub { content_by_lua_block { ngx.say("body") } }
		location /sub2 { return 200 "ret\n"; }
		location /t { content_by_lua_block {
			local r = ngx.location.capture("/sub", { method = ngx.HTTP_HEAD })
			local r2 = ngx.location.capture("/sub2", { method = ngx.HTTP_HEAD })
			local r3 = ngx.location.capture("/sub2")
			ngx.say(r.status, " [", r.body, "] ", r2.status, " [", r2.body, "] [", r3.body, "]")
		} }
		location /e { content_by_lua_block { ngx.exec("") } }
	}`, os.Getenv("NGX_REFERENCE"))
	if _, _, body := s.Get(t, "/t"); body != "200 [] 200 [] [ret\n]\n" {
		t.Fatalf("%q", body)
	}
	if code, _, _ := s.Get(t, "/e"); code != 500 {
		t.Fatalf("ngx.exec(\"\"): %d", code)
	}
	if log := s.ErrorLog(); !strings.Contains(log, "The uri argument is empty") {
		t.Fatalf("error log: %s", log)
	}
}

// coroutine.status of an ngx.thread: running while it sleeps, zombie when
// it ended unwaited, dead after wait or kill; plain coroutines unchanged.
func TestLightThreadStatus(t *testing.T) {
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location /t { content_by_lua_block {
			local t1 = ngx.thread.spawn(function() ngx.sleep(0.01) end)
			local t2 = ngx.thread.spawn(function() return 1 end)
			local t3 = ngx.thread.spawn(function() ngx.sleep(0.01) end)
			local t4 = ngx.thread.spawn(function() return 4 end)
			ngx.say(coroutine.status(t1), " ", coroutine.status(t2), " ", coroutine.status(t3))
			ngx.thread.wait(t1)
			ngx.thread.kill(t3)
			ngx.say(ngx.thread.kill(t4))
			ngx.say(coroutine.status(t1), " ", coroutine.status(t3), " ", coroutine.status(t4))
			local co = coroutine.create(function() end)
			ngx.say(coroutine.status(co))
			coroutine.resume(co)
			ngx.say(coroutine.status(co))
		} }
	}`, os.Getenv("NGX_REFERENCE"))
	if _, _, body := s.Get(t, "/t"); body != "running zombie running\nnilalready terminated\ndead dead dead\nsuspended\ndead\n" {
		t.Fatalf("%q", body)
	}
}
