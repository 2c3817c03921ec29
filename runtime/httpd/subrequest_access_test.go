package httpd_test

import (
	"os"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Subrequests skip the access phase (ngx_http_core_access_phase): neither
// deny nor access_by_lua applies to them, only to the main request.
// NGX_REFERENCE=/usr/sbin/nginx runs the same case on nginx.
func TestSubrequestSkipsAccessPhase(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    location /sub {
        deny all;
        access_by_lua_block { ngx.exit(401) }
        content_by_lua_block { ngx.print("sub ran") }
    }
    location /main {
        content_by_lua_block {
            local res = ngx.location.capture("/sub")
            ngx.print(res.status, " ", res.body)
        }
    }
}`, os.Getenv("NGX_REFERENCE"))
	if code, _, body := s.Get(t, "/main"); code != 200 || body != "200 sub ran" {
		t.Errorf("capture: %d %q", code, body)
	}
	if code, _, _ := s.Get(t, "/sub"); code != 403 {
		t.Errorf("main request: %d, want 403", code)
	}
}
