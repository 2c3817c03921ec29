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
    location /rest/ {
        access_log off;
        rewrite_by_lua_block {
            require("benchfilter").check()
        }
        proxy_pass http://backend;
    }
    location /json/ {
        access_log off;
        content_by_lua_block {
            local cjson = require "cjson"
            local h = ngx.req.get_headers()
            local info = {
                method = ngx.var.request_method,
                uri = ngx.var.uri,
                args = ngx.var.args,
                remote_addr = ngx.var.remote_addr,
                host = ngx.var.host,
                accept = h["accept"],
                request_id = h["x-request-id"],
                user_agent = h["user-agent"] or "none",
                header_count = 0,
            }
            for _ in pairs(h) do
                info.header_count = info.header_count + 1
            end
            ngx.header.content_type = "application/json"
            ngx.say(cjson.encode(info))
        }
    }
    location = /hook {
        rewrite_by_lua_block {
            local m = ngx.re.match(ngx.var.uri, "^/(hook)$")
            ngx.req.set_header("X-Hook", m[1])
        }
        proxy_pass http://backend/up;
    }
}`

// benchFilter is the bench scenarios' filter.lua (hook, hook_reject): a
// PostgREST-style blacklist of (table, column, op) over the URI arguments.
const benchFilter = `
local _M = {}
local pairs = pairs
local type = type
local blacklist = {
    users_password_eq = true, users_password_like = true, users_password_ilike = true,
    users_email_like = true, users_token_eq = true, orders_card_number_eq = true,
    orders_card_number_like = true, payments_iban_like = true,
}
local function reject(column, op)
    ngx.status = ngx.HTTP_BAD_REQUEST
    ngx.header.content_type = "application/json"
    ngx.say('{"error":"filter not allowed","column":"', column, '","op":"', op, '"}')
    return ngx.exit(ngx.HTTP_OK)
end
local function blocked(tbl, column, value)
    local op = value:match("^(%a+)%.")
    if op and blacklist[tbl .. "_" .. column .. "_" .. op] then
        return op
    end
    return nil
end
function _M.check()
    local uri = ngx.var.uri
    local tbl = uri:gsub("^/rest/", "")
    local args = ngx.req.get_uri_args()
    for column, value in pairs(args) do
        if type(value) == "table" then
            for i = 1, #value do
                local v = value[i]
                if type(v) == "string" then
                    local op = blocked(tbl, column, v)
                    if op then return reject(column, op) end
                end
            end
        elseif type(value) == "string" then
            local op = blocked(tbl, column, value)
            if op then return reject(column, op) end
        end
    end
    ngx.req.set_header("X-Hooked", "1")
end
return _M
`

// benchRuntime loads benchConf; httpHead goes first in http {} (e.g. a
// lua_max_running_time for every handler).
func benchRuntime(b *testing.B, httpHead string) *httpd.Runtime {
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
	os.MkdirAll(filepath.Join(dir, "lua"), 0o755)
	os.WriteFile(filepath.Join(dir, "lua/benchfilter.lua"), []byte(benchFilter), 0o644)
	os.WriteFile(filepath.Join(dir, "static/a.txt"), []byte("static file\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "gzip/a.txt"), []byte(strings.Repeat("compress me ", 200)), 0o644)
	c := strings.NewReplacer("UPSTREAM", ln.Addr().String(), "ROOT", dir).Replace(benchConf)
	text := "worker_processes 1;\nerror_log logs/error.log error;\nevents {}\nhttp {\nlua_package_path \"" + dir + "/lua/?.lua;;\";\n" + httpHead + "\n" + c + "\n}\n"
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
	rt := benchRuntime(b, "")
	for _, path := range []string{"/return", "/rewrite", "/static/a.txt", "/gzip/a.txt", "/content", "/proxy", "/hook"} {
		b.Run(strings.ReplaceAll(strings.Trim(path, "/"), "/", "_"), func(b *testing.B) {
			benchServe(b, rt, path+"?b=1", 200)
		})
	}
}

// BenchmarkScenario runs the Lua scenarios of the shared bench harness
// in process (request → phases → Lua → response): hook_reject (filter.lua
// rejects in the rewrite phase), hook (filter.lua passes, the request is
// proxied), content_json (ngx.var + get_headers + cjson.encode).
func BenchmarkScenario(b *testing.B) { benchScenarios(b, "") }

// BenchmarkScenarioMaxRunningTime: the same with lua_max_running_time 30s
// (the runaway-handler limit, off by default) on every handler: what the
// limit costs on the Lua request path.
func BenchmarkScenarioMaxRunningTime(b *testing.B) { benchScenarios(b, "lua_max_running_time 30s;") }

func benchScenarios(b *testing.B, httpHead string) {
	rt := benchRuntime(b, httpHead)
	for _, sc := range []struct {
		name, path string
		status     int
	}{
		{"hook_reject", "/rest/users?age=gt.18&password=like.*secret*&limit=eq.10", 400},
		{"hook", "/rest/users?age=gt.18&status=eq.active&order=desc.created_at", 200},
		{"content_json", "/json/info?id=42&view=full", 200},
	} {
		b.Run(sc.name, func(b *testing.B) { benchServe(b, rt, sc.path, sc.status) })
	}
}

func benchServe(b *testing.B, rt *httpd.Runtime, uri string, status int) {
	var req fasthttp.Request
	req.SetRequestURI(uri)
	req.Header.SetHost("bench.test")
	req.Header.Set("User-Agent", "wrk")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Request-Id", "bench-0001")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("X-Tier", "gold")
	var fc fasthttp.RequestCtx
	fc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	httpd.ServeCtx(rt, "127.0.0.1:1", &fc)
	if sc := fc.Response.StatusCode(); sc != status {
		b.Fatalf("%s: status %d: %s", uri, sc, fc.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.CopyTo(&fc.Request)
		fc.Response.Reset()
		httpd.ServeCtx(rt, "127.0.0.1:1", &fc)
	}
}
