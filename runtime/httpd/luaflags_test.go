package httpd_test

import (
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// TestLuaDefaultTypeAndUnderscores: lua_use_default_type off leaves Lua
// output without a Content-Type; lua_transform_underscores_in_response_headers
// (on by default) makes ngx.header.foo_bar the header "foo-bar", off keeps
// the underscore.
func TestLuaDefaultTypeAndUnderscores(t *testing.T) {
	s := httpdtest.StartEnv(t, `
default_type text/plain;
server { listen 127.0.0.1:PORT;
    location /on { content_by_lua_block { ngx.header.foo_bar = "1" ngx.say("x") } }
    location /off {
        lua_use_default_type off;
        lua_transform_underscores_in_response_headers off;
        content_by_lua_block { ngx.header.foo_bar = "1" ngx.say("x") }
    }
}`)
	for _, c := range []struct {
		path, ct, key string
	}{
		{"/on", "text/plain", "Foo-Bar"},
		{"/off", "", "Foo_bar"},
	} {
		resp, body, _ := s.Exchange(t, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 200 || body != "x\n" {
			t.Fatalf("%s: %d %q\n%s", c.path, resp.StatusCode, body, s.ErrorLog())
		}
		if ct, ok := resp.Header["Content-Type"]; c.ct == "" && ok || c.ct != "" && (len(ct) != 1 || ct[0] != c.ct) {
			t.Errorf("%s: Content-Type %q, want %q", c.path, ct, c.ct)
		}
		if v := resp.Header[c.key]; len(v) != 1 || v[0] != "1" || len(resp.Header) == 0 {
			t.Errorf("%s: header %s %q, want \"1\" (%v)", c.path, c.key, v, resp.Header)
		}
	}
}
