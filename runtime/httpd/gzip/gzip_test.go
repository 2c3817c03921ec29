package gzip_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestGzip(t *testing.T) {
	body := strings.Repeat("compress me ", 100)
	s := httpdtest.StartEnv(t, `
gzip on;
gzip_types application/json;
gzip_vary on;
server {
    listen 127.0.0.1:PORT;
    location /json { default_type application/json; return 200 "`+body+`"; }
    location /plain { default_type text/plain; return 200 "`+body+`"; }
    location /short { default_type application/json; return 200 "{}"; }
    location /off { gzip off; default_type application/json; return 200 "`+body+`"; }
    location /missing { default_type application/json; return 404; }
}`)
	code, h, b := s.Get(t, "/json", "Accept-Encoding: gzip")
	if code != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("/json: %d %q", code, h)
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(b)))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != body {
		t.Errorf("decompressed body: %q", plain)
	}
	if _, h, _ := s.Get(t, "/json"); h.Get("Content-Encoding") != "" || h.Get("Vary") != "Accept-Encoding" {
		t.Errorf("no Accept-Encoding: %q", h)
	}
	for _, p := range []string{"/plain", "/short", "/off"} {
		if _, h, b := s.Get(t, p, "Accept-Encoding: gzip"); h.Get("Content-Encoding") != "" || len(b) < 2 {
			t.Errorf("%s compressed: %q", p, h)
		}
	}
	if code, h, _ := s.Get(t, "/missing", "Accept-Encoding: gzip"); code != 404 || h.Get("Content-Encoding") != "gzip" {
		t.Errorf("404 page (text/html) is compressed: %d %q", code, h)
	}
}
