package authrequest_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx. The auth
// location answers the status the client sends in X-Code (the subrequest
// sees the client's headers).
func TestAuthRequest(t *testing.T) {
	s := httpdtest.StartEnv(t, `
log_format st '$uri $status "$auth_user"';
server {
    listen 127.0.0.1:PORT;
    access_log logs/access.log st;
    location = /auth {
        internal;
        content_by_lua_block {
            ngx.header["X-User"] = "bob"
            ngx.header["WWW-Authenticate"] = 'Bearer realm="api"'
            local code = tonumber(ngx.var.http_x_code) or 200
            if code == 200 then
                ngx.say("auth body is not sent")
                return
            end
            ngx.exit(code)
        }
    }
    location = /auth-static {
        internal;
        return 204;
    }
    location /private {
        auth_request /auth;
        auth_request_set $auth_user $sent_http_x_user;
        auth_request_set $auth_args "$args|$uri";
        content_by_lua_block { ngx.say("private ", ngx.var.auth_user, " ", ngx.var.auth_args) }
        location /private/open {
            auth_request off;
            content_by_lua_block { ngx.say("open ", tostring(ngx.var.auth_user)) }
        }
    }
    location /rewrite {
        auth_request /auth-static;
        return 200 "rewrite phase first\n";
    }
    location /static {
        auth_request /auth-static;
        content_by_lua_block { ngx.say("static ok") }
    }
    location /none {
        auth_request /nowhere;
        content_by_lua_block { ngx.say("never") }
    }
    location /auth {
        content_by_lua_block { ngx.say("the prefix location") }
    }
}`)
	for _, c := range []struct {
		path, code string
		status     int
		body       string
		challenge  string
	}{
		{"/private?a=1", "", 200, "private bob |/auth\n", ""},
		{"/private", "204", 200, "private bob |/auth\n", ""},
		{"/private", "299", 200, "private bob |/auth\n", ""},
		{"/private", "401", 401, "", `Bearer realm="api"`},
		{"/private", "403", 403, "", ""},
		{"/private", "404", 500, "", ""},
		{"/private", "302", 500, "", ""},
		{"/private", "500", 500, "", ""},
		{"/private/open", "403", 200, "open nil\n", ""},
		{"/rewrite", "403", 200, "rewrite phase first\n", ""},
		{"/static", "", 200, "static ok\n", ""},
		{"/none", "", 500, "", ""},
		// the exact location wins, and is internal
		{"/auth", "403", 404, "", ""},
	} {
		var hs []string
		if c.code != "" {
			hs = append(hs, "X-Code: "+c.code)
		}
		st, h, body := s.Get(t, c.path, hs...)
		if st != c.status || (c.body != "" && body != c.body) {
			t.Errorf("%s %s: got %d %q, want %d %q", c.path, c.code, st, body, c.status, c.body)
		}
		if got := h.Get("WWW-Authenticate"); got != c.challenge {
			t.Errorf("%s %s: WWW-Authenticate %q, want %q", c.path, c.code, got, c.challenge)
		}
		if h.Get("X-User") != "" {
			t.Errorf("%s %s: the subrequest's header reached the client", c.path, c.code)
		}
	}
	log := s.ErrorLog()
	for _, re := range []string{
		`\[error\] \d+#\d+: \*\d+ auth request unexpected status: 404, client: 127\.0\.0\.1, server: , request: "GET /private HTTP/1\.1", host: "127\.0\.0\.1:\d+"`,
		`auth request unexpected status: 302`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("no line %s:\n%s", re, grepLines(log, "unexpected"))
		}
	}
	if al := s.AccessLog(); !strings.Contains(al, `/private 401 "bob"`) || !strings.Contains(al, `/private 200 "bob"`) {
		t.Errorf("access log:\n%s", al)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The subrequest shares the main request's variables (nginx's
// ngx_http_subrequest: sr->variables = r->variables): a value set before
// auth_request is seen by the auth location, and one the auth location
// sets is seen afterwards. ngx.eof() in the auth location's rewrite phase
// ends it with 200.
func TestAuthRequestSharesVariables(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location = /auth {
        internal;
        rewrite_by_lua_block {
            if ngx.var.user == "agentzh" then
                ngx.var.seen = "by auth"
                ngx.eof()
            else
                ngx.exit(403)
            end
        }
        content_by_lua_block { ngx.exit(ngx.OK) }
    }
    location /api {
        set $user $arg_user;
        set $seen "";
        auth_request /auth;
        content_by_lua_block { ngx.say("logged in ", ngx.var.seen) }
    }
}`)
	if st, _, body := s.Get(t, "/api?user=agentzh"); st != 200 || body != "logged in by auth\n" {
		t.Errorf("allowed: got %d %q", st, body)
	}
	if st, _, _ := s.Get(t, "/api?user=bob"); st != 403 {
		t.Errorf("refused: got %d", st)
	}
}
