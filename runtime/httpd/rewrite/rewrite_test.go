package rewrite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestRewrite(t *testing.T) {
	s := httpdtest.StartEnv(t, `
default_type text/plain;
server {
    listen 127.0.0.1:PORT;
    server_name localhost;
    if ($arg_srvret) { return 200 "server if\n"; }
    rewrite ^/srv/(.*)$ /show/$1 last;
    location /show/ { return 200 "show $uri|$args|$is_args\n"; }
    location /last { rewrite ^/last(.*)$ /show$1 last; return 500; }
    location /break { rewrite ^/break/(.*)$ /x/$1 break; return 500;
        content_by_lua_block { ngx.say("break ", ngx.var.uri, "|", ngx.var.args) }
    }
    location /args { rewrite ^ /show/a?x=1; }
    location /noargs { rewrite ^ /show/b?; }
    location /redir { rewrite ^/redir/(.*)$ /show/$1 redirect; }
    location /perm { rewrite ^ /show/p? permanent; }
    location /abs { rewrite ^ http://example.com/a; }
    location /noflag { rewrite ^/noflag(.*)$ /show$1; rewrite ^/nomatch /never last; }
    location /set {
        set $a "x$arg_v";
        set $b $a-y;
        set $args "q=$a";
        return 200 "$a|$b|$args\n";
    }
    location /if {
        if ($arg_v = one) { return 200 "eq\n"; }
        if ($arg_v != two) { return 200 "ne $arg_v\n"; }
        if ($http_x_a ~* ^AB(c+)$) { return 200 "re $1\n"; }
        return 200 "none\n";
    }
    location /file {
        if (-f $document_root/f.txt) { set $r "${r}f"; }
        if (-d $document_root/d) { set $r "${r}d"; }
        if (-e $document_root/nothing) { set $r "${r}e"; }
        if (!-e $document_root/nothing) { set $r "${r}!e"; }
        if (!-x $document_root/f.txt) { set $r "${r}!x"; }
        return 200 "$r\n";
    }
    location /ifloc {
        if ($arg_p) { rewrite ^ /show/fromif break; }
        return 200 "$uri\n";
    }
    location /codes {
        if ($arg_c = 204) { return 204; }
        if ($arg_c = 301) { return 301 /show/moved; }
        if ($arg_c = 302) { return http://example.com/x; }
        if ($arg_c = 403) { return 403; }
        return 202 "accepted\n";
    }
    location /setlua {
        if ($arg_v) { set_by_lua_block $s { return "lua " .. ngx.var.arg_v } }
        return 200 "$s\n";
    }
}`)
	root := filepath.Join(s.Prefix, "html")
	os.MkdirAll(filepath.Join(root, "d"), 0o755)
	os.WriteFile(filepath.Join(root, "f.txt"), []byte("f\n"), 0o644)
	for _, c := range []struct {
		path, hdr string
		code      int
		want      string // body, or Location for 3xx
	}{
		{"/srv/a?z=1", "", 200, "show /show/a|z=1|?\n"},
		{"/srv/a?z=1&srvret=1", "", 200, "server if\n"},
		{"/last/b?k=v", "", 200, "show /show/b|k=v|?\n"},
		{"/break/c?k", "", 200, "break /x/c|k\n"},
		{"/args", "", 200, "show /show/a|x=1|?\n"},
		{"/args?o=2", "", 200, "show /show/a|x=1&o=2|?\n"},
		{"/noargs?o=2", "", 200, "show /show/b||\n"},
		{"/redir/d?o=1", "", 302, "http://127.0.0.1:PORT/show/d?o=1"},
		{"/perm?o=1", "", 301, "http://127.0.0.1:PORT/show/p"},
		{"/abs?o=1", "", 302, "http://example.com/a?o=1"},
		{"/noflag/e", "", 200, "show /show/e||\n"},
		{"/set?v=1", "", 200, "x1|x1-y|q=x1\n"},
		{"/if?v=one", "", 200, "eq\n"},
		{"/if?v=three", "", 200, "ne three\n"},
		{"/if?v=two", "X-A: abCC", 200, "re CC\n"},
		{"/if?v=two", "", 200, "none\n"},
		{"/file", "", 200, "fd!e!x\n"},
		{"/ifloc?p=1", "", 404, ""},
		{"/ifloc", "", 200, "/ifloc\n"},
		{"/codes?c=204", "", 204, ""},
		{"/codes?c=301", "", 301, "http://127.0.0.1:PORT/show/moved"},
		{"/codes?c=302", "", 302, "http://example.com/x"},
		{"/codes?c=403", "", 403, ""},
		{"/codes", "", 202, "accepted\n"},
		{"/setlua?v=7", "", 200, "lua 7\n"},
		{"/setlua", "", 200, "\n"},
	} {
		var hdrs []string
		if c.hdr != "" {
			hdrs = append(hdrs, c.hdr)
		}
		code, h, body := s.Get(t, c.path, hdrs...)
		want := strings.ReplaceAll(c.want, "PORT", s.Addr[strings.LastIndexByte(s.Addr, ':')+1:])
		got := body
		if code >= 301 && code <= 308 {
			got = h.Get("Location")
		} else if code == 403 || code == 404 || code == 204 {
			got = ""
		}
		if code != c.code || got != want {
			t.Errorf("%s: %d %q, want %d %q", c.path, code, got, c.code, want)
		}
	}
}

func TestRewriteConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{`set a 1;`, `invalid variable name "a"`},
		{`set $uri 1;`, `the duplicate "uri" variable`},
		{`return abc;`, `invalid return code "abc"`},
		{`return 1000;`, `invalid return code "1000"`},
		{`rewrite ^ /x bogus;`, `invalid parameter "bogus"`},
		{`if ($a ?? b) { }`, `unexpected "??" in condition`},
		{`if (a) { }`, `invalid condition "a"`},
	} {
		msg := httpdtest.LoadError(t, "server { listen 127.0.0.1:1; location / { "+c.conf+" } }")
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: %q, want %q", c.conf, msg, c.want)
		}
	}
}
