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
