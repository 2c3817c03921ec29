package headers_test

import (
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestAddHeaderAndExpires(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    add_header X-Srv srv;
    location /inherit { return 200 "i"; }
    location /own { add_header X-Own $arg_v; add_header X-Always a always; return 404; }
    location /ok { add_header X-Own $arg_v; return 200 "o"; }
    location /exp { expires -1; return 200 "e"; }
    location /epoch { expires epoch; return 500; }
}`)
	if _, h, _ := s.Get(t, "/inherit"); h.Get("X-Srv") != "srv" {
		t.Errorf("inherited add_header: %q", h)
	}
	if code, h, _ := s.Get(t, "/own?v=1"); code != 404 || h.Get("X-Own") != "" || h.Get("X-Always") != "a" || h.Get("X-Srv") != "" {
		t.Errorf("404: own headers only with always, none inherited: %d %q", code, h)
	}
	if _, h, _ := s.Get(t, "/ok?v=1"); h.Get("X-Own") != "1" {
		t.Errorf("200: %q", h)
	}
	if _, h, _ := s.Get(t, "/ok"); h.Values("X-Own") != nil {
		t.Errorf("empty value adds no header: %q", h)
	}
	if _, h, _ := s.Get(t, "/exp"); h.Get("Cache-Control") != "no-cache" || h.Get("Expires") == "" {
		t.Errorf("expires -1: %q", h)
	}
	if _, h, _ := s.Get(t, "/epoch"); h.Get("Expires") != "" {
		t.Errorf("expires applies to 500: %q", h)
	}
}

// headers-more (the reference loads its module too).
func TestMoreHeaders(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    more_set_headers "X-A: a";
    location / {
        more_set_headers "X-B: b" "X-Echo: $http_x_in";
        more_clear_headers "X-Drop-*";
        more_set_headers -s 404 "X-Missing: yes";
        add_header X-Drop-Me 1;
        return 200 "ok";
    }
}`)
	_, h, _ := s.Get(t, "/", "X-In: sent")
	if h.Get("X-A") != "a" || h.Get("X-B") != "b" || h.Get("X-Echo") != "sent" || h.Get("X-Missing") != "" {
		t.Errorf("headers: %q", h)
	}
	if h.Get("X-Drop-Me") != "1" {
		// more_clear_headers runs before add_header in the filter chain
		t.Errorf("add_header after the wildcard clear: %q", h)
	}
}
