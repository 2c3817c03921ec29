package httpd_test

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// server_rewrite_by_lua runs at the server level before the location is
// found and before the server's rewrite directives; a server's handler
// replaces the http level's; subrequests run it too; ngx.exec, set_uri
// with jump, ngx.exit and output end or redirect the request as in the
// location's rewrite phase. NGX_REFERENCE runs the cases on nginx.
func TestServerRewriteByLua(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server_rewrite_by_lua_block { ngx.log(ngx.ERR, "from http level") }
server {
    listen 127.0.0.1:PORT;
    server_rewrite_by_lua_block {
        local uri = ngx.var.uri
        ngx.log(ngx.ERR, "srv rewrite ", uri, " sub=", tostring(ngx.is_subrequest), " phase=", ngx.get_phase())
        if uri == "/exec" then
            ngx.exec("/ok")
        elseif uri == "/jump" then
            ngx.req.set_uri("/ok", true)
        elseif uri == "/deny" then
            ngx.exit(503)
        elseif uri == "/say" then
            ngx.say("early")
        elseif uri == "/ctx" then
            ngx.ctx.v = "set early"
        end
    }
    rewrite ^/moved$ /ok;
    location /ok { content_by_lua_block { ngx.say("ok ", ngx.var.uri) } }
    location /ctx { content_by_lua_block { ngx.say(ngx.ctx.v) } }
    location /cap {
        content_by_lua_block {
            local res = ngx.location.capture("/ok")
            ngx.print(res.body)
        }
    }
    location /say { content_by_lua_block { ngx.say("content") } }
}`)
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/exec", 200, "ok /ok\n"},
		{"/jump", 200, "ok /ok\n"},
		{"/moved", 200, "ok /ok\n"},
		{"/ctx", 200, "set early\n"},
		{"/say", 200, "early\n"},
		{"/cap", 200, "ok /ok\n"},
	} {
		code, _, body := s.Get(t, c.path)
		if code != c.code || body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	if code, _, _ := s.Get(t, "/deny"); code != 503 {
		t.Errorf("/deny: %d, want 503", code)
	}
	log := s.ErrorLog()
	for _, want := range []string{
		"srv rewrite /moved sub=false phase=server_rewrite", // before the rewrite directive
		"srv rewrite /ok sub=true",                          // the subrequest's own run
		"srv rewrite /cap sub=false",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q", want)
		}
	}
	if strings.Contains(log, "from http level") {
		t.Errorf("the http level's handler ran beside the server's")
	}
}

// The http level's server_rewrite_by_lua applies to a server without
// its own; a syntax error is reported at request time with the chunk
// name of the directive.
func TestServerRewriteByLuaInherited(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server_rewrite_by_lua_block { ngx.ctx.from = "http" }
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.say(ngx.ctx.from) } }
}
server {
    listen 127.0.0.1:PORT;
    server_name bad;
    server_rewrite_by_lua_block {
        'for end';
    }
    location / { content_by_lua_block { ngx.say("unreached") } }
}`)
	if code, _, body := s.Get(t, "/"); code != 200 || body != "http\n" {
		t.Errorf("inherited: %d %q", code, body)
	}
	if code, _, _ := s.Get(t, "/", "Host: bad"); code != 500 {
		t.Errorf("syntax error: %d, want 500", code)
	}
	if log := s.ErrorLog(); !strings.Contains(log, "failed to load inlined Lua code: server_rewrite_by_lua(nginx.conf:") {
		t.Errorf("error log: %s", log)
	}
}

// satisfy any|all combines the access-phase handlers (allow/deny,
// auth_request, access_by_lua): with all the first denial answers, with
// any the first grant wins and a denial answers only when nothing grants.
// access_by_lua grants by finishing or ngx.exit(ngx.OK), declines with
// ngx.exit(ngx.DECLINED) and denies with 401 or 403.
func TestSatisfy(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location = /yes { return 200; }
    location = /no { return 403; }
    location = /who { return 401; }
    location /any-allow { satisfy any; allow all; access_by_lua_block { ngx.exit(403) } content_by_lua_block { ngx.say("ok") } }
    location /any-deny-403 { satisfy any; deny all; access_by_lua_block { ngx.exit(403) } content_by_lua_block { ngx.say("ok") } }
    location /any-deny-ok { satisfy any; deny all; access_by_lua_block { ngx.exit(ngx.OK) } content_by_lua_block { ngx.say("ok") } }
    location /any-deny-return { satisfy any; deny all; access_by_lua_block { return } content_by_lua_block { ngx.say("ok") } }
    location /any-deny-declined { satisfy any; deny all; access_by_lua_block { ngx.exit(ngx.DECLINED) } content_by_lua_block { ngx.say("ok") } }
    location /any-deny-capture {
        satisfy any; deny all;
        access_by_lua_block { ngx.location.capture("/yes") ngx.exit(ngx.DECLINED) }
        content_by_lua_block { ngx.say("ok") }
    }
    location /any-authreq { satisfy any; deny all; auth_request /yes; content_by_lua_block { ngx.say("ok") } }
    location /any-authreq-401 { satisfy any; deny all; auth_request /who; content_by_lua_block { ngx.say("ok") } }
    location /all-allow-lua403 { allow all; access_by_lua_block { ngx.exit(403) } content_by_lua_block { ngx.say("ok") } }
    location /all-authreq-403 { satisfy all; allow all; auth_request /no; content_by_lua_block { ngx.say("ok") } }
    location /all-ok { satisfy all; allow all; auth_request /yes; access_by_lua_block { ngx.exit(ngx.DECLINED) } content_by_lua_block { ngx.say("ok") } }
}`)
	for _, c := range []struct {
		path string
		code int
	}{
		{"/any-allow", 200},
		{"/any-deny-403", 403},
		{"/any-deny-ok", 200},
		{"/any-deny-return", 200},
		{"/any-deny-declined", 403},
		{"/any-deny-capture", 403},
		{"/any-authreq", 200},
		{"/any-authreq-401", 401},
		{"/all-allow-lua403", 403},
		{"/all-authreq-403", 403},
		{"/all-ok", 200},
	} {
		code, _, body := s.Get(t, c.path)
		if code != c.code || c.code == 200 && body != "ok\n" {
			t.Errorf("%s: %d %q, want %d", c.path, code, body, c.code)
		}
	}
	if log := s.ErrorLog(); !strings.Contains(log, "access forbidden by rule") {
		t.Errorf("no \"access forbidden by rule\" in the error log")
	}
}

// exit_worker_by_lua runs in each worker VM when the configuration is
// released (here a stop), in the exit_worker phase, with shared dicts
// still there and ngx.timer disabled; errors are logged with the
// directive's name.
func TestExitWorkerByLua(t *testing.T) {
	for _, c := range []struct {
		name, code string
		want       []string
	}{
		{"runs", `
exit_worker_by_lua_block {
    ngx.log(ngx.NOTICE, "exiting in ", ngx.get_phase(), " dog=", ngx.shared.dog:get("k"))
    local ok, err = pcall(ngx.timer.at, 0, function() end)
    ngx.log(ngx.NOTICE, "timer: ", err)
}`, []string{"exiting in exit_worker dog=42", "timer: API disabled in the context of exit_worker_by_lua*"}},
		{"error", `
exit_worker_by_lua_block { error("boom") }`, []string{"exit_worker_by_lua error: exit_worker_by_lua(nginx.conf:"}},
		{"syntax", `
exit_worker_by_lua_block { ngx.log( }`, []string{"exit_worker_by_lua error: exit_worker_by_lua(nginx.conf:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := httpdtest.Start(t, `
lua_shared_dict dog 1m;`+c.code+`
server {
    listen 127.0.0.1:PORT;
    location / { content_by_lua_block { ngx.shared.dog:set("k", 42) ngx.say("ok") } }
}`, "")
			if code, _, body := s.Get(t, "/"); code != 200 || body != "ok\n" {
				t.Fatalf("%d %q", code, body)
			}
			if strings.Contains(s.ErrorLog(), "exit_worker_by_lua") {
				t.Fatalf("ran before the stop")
			}
			s.Process.Shutdown(true)
			log := s.ErrorLog()
			for _, w := range c.want {
				if !strings.Contains(log, w) {
					t.Errorf("error log lacks %q:\n%s", w, log)
				}
			}
		})
	}
}

// ngx.location.capture's "vars" option: configured variables and $args
// are given to the subrequest; a built-in variable is not changeable,
// an unknown one cannot be assigned, a value must be a string or number
// and the option a table; the capturing handler fails with a 500. $query_string
// is read-only to ngx.var; a variable name must be a string or number.
func TestSubrequestVarsAndVarNames(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /other { content_by_lua_block { ngx.say(ngx.var.dog, " ", ngx.var.args) } }
    location /cap {
        set $dog '';
        content_by_lua_block {
            local vars = {
                good = { dog = "hello", args = "a=1" },
                unknown = { cat = 1 },
                builtin = { query_string = "x" },
                badvalue = { dog = true },
                badopt = "hello",
            }
            local res = ngx.location.capture("/other", { vars = vars[ngx.var.arg_case] })
            ngx.print(res.body)
        }
    }
    location /qs { content_by_lua_block { ngx.var.query_string = "x" } }
    location /badget { content_by_lua_block { ngx.say(ngx.var[true]) } }
    location /badset { content_by_lua_block { ngx.var[true] = 1 } }
}`)
	if code, _, body := s.Get(t, "/cap?case=good"); code != 200 || body != "hello a=1\n" {
		t.Errorf("good vars: %d %q", code, body)
	}
	for _, c := range []struct{ path, log string }{
		{"/cap?case=unknown", `variable "cat" cannot be assigned a value (maybe you forgot to define it first?)`},
		{"/cap?case=builtin", `variable "query_string" not changeable`},
		{"/cap?case=badvalue", "attempt to use bad variable value type boolean"},
		{"/cap?case=badopt", "Bad vars option value"},
		{"/qs", `variable "query_string" not changeable`},
		{"/badget", "bad variable name"},
		{"/badset", "bad variable name"},
	} {
		if code, _, _ := s.Get(t, c.path); code != 500 {
			t.Errorf("%s: %d, want 500", c.path, code)
		}
		if !strings.Contains(s.ErrorLog(), c.log) {
			t.Errorf("%s: error log lacks %q", c.path, c.log)
		}
	}
}
