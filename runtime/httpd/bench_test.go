package httpd_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/valyala/fasthttp"
)

// benchConf mirrors the scripts/bench scenarios (proxy, hook, content)
// and the modules a request meets on the way (rewrite, map, headers,
// gzip, static, log), run in process: allocations per request are the
// number to watch.
const benchConf = `
map $http_x_tier $tier { default basic; gold premium; }
log_format bench '$remote_addr $request $status $tier';
upstream backend { server UPSTREAM; keepalive 16; }
proxy_http_version 1.1;
proxy_set_header Connection "";
server {
    listen 127.0.0.1:1;
    root ROOT;
    access_log ROOT/access.log bench;
    location = /return { return 200 "ok\n"; }
    location = /rewrite {
        set $x "a$arg_b";
        rewrite ^ /return last;
    }
    location /static/ {
        add_header X-Tier $tier;
        expires 1h;
        more_set_headers "X-More: 1";
    }
    location /gzip/ { gzip on; gzip_types text/plain; gzip_min_length 1; }
    location = /content {
        content_by_lua_block {
            local cjson = require "cjson"
            ngx.say(cjson.encode({ok = true, uri = ngx.var.uri, n = 1}))
        }
    }
    location = /proxy { proxy_pass http://backend/up; }
    location = /hook {
        rewrite_by_lua_block {
            local m = ngx.re.match(ngx.var.uri, "^/(hook)$")
            ngx.req.set_header("X-Hook", m[1])
        }
        proxy_pass http://backend/up;
    }
}`

func benchRuntime(b *testing.B) *httpd.Runtime {
	b.Helper()
	up := &fasthttp.Server{Handler: func(fc *fasthttp.RequestCtx) {
		fc.SetContentType("text/plain")
		fc.SetBodyString("upstream body\n")
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go up.Serve(ln)
	b.Cleanup(func() { up.Shutdown() })
	dir := b.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "static"), 0o755)
	os.MkdirAll(filepath.Join(dir, "gzip"), 0o755)
	os.WriteFile(filepath.Join(dir, "static/a.txt"), []byte("static file\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "gzip/a.txt"), []byte(strings.Repeat("compress me ", 200)), 0o644)
	c := strings.NewReplacer("UPSTREAM", ln.Addr().String(), "ROOT", dir).Replace(benchConf)
	text := "worker_processes 1;\nerror_log logs/error.log error;\nevents {}\nhttp {\n" + c + "\n}\n"
	os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(text), 0o644)
	rt, err := httpd.Load(dir, "conf/nginx.conf")
	if err != nil {
		b.Fatal(err)
	}
	if err := rt.OpenLogs(); err != nil {
		b.Fatal(err)
	}
	if err := rt.StartLua(); err != nil {
		b.Fatal(err)
	}
	return rt
}

func BenchmarkRequest(b *testing.B) {
	rt := benchRuntime(b)
	for _, path := range []string{"/return", "/rewrite", "/static/a.txt", "/gzip/a.txt", "/content", "/proxy", "/hook"} {
		b.Run(strings.ReplaceAll(strings.Trim(path, "/"), "/", "_"), func(b *testing.B) {
			var req fasthttp.Request
			req.SetRequestURI(path + "?b=1")
			req.Header.SetHost("bench.test")
			req.Header.Set("Accept-Encoding", "gzip")
			req.Header.Set("X-Tier", "gold")
			var fc fasthttp.RequestCtx
			fc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
			httpd.ServeCtx(rt, "127.0.0.1:1", &fc)
			if sc := fc.Response.StatusCode(); sc != 200 {
				b.Fatalf("%s: status %d: %s", path, sc, fc.Response.Body())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req.CopyTo(&fc.Request)
				fc.Response.Reset()
				httpd.ServeCtx(rt, "127.0.0.1:1", &fc)
			}
		})
	}
}
