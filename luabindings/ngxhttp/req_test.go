package ngxhttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// ngx.req.*
var reqCases = []hcase{
	{name: "set_uri_args with a string escapes controls and spaces only",
		loc: `location = /req/setargs-ctrl { content_by_lua_block {
			ngx.req.set_uri_args("a\rb c\0d=语言")
			ngx.say(ngx.var.args)
		} }`,
		path: "/req/setargs-ctrl", status: 200, want: "a%0Db%20c%00d=语言\n"},
	{name: "UTF-8 argument names reach ngx.var.arg_*",
		loc: `location = /req/setargs-utf8 { content_by_lua_block {
			ngx.req.set_uri_args("语言=chinese")
			ngx.say(ngx.var.arg_语言)
		} }`,
		path: "/req/setargs-utf8", status: 200, want: "chinese\n"},
	{name: "get_uri_args decodes, repeats become tables, valueless keys are true",
		loc: `location = /req/args { content_by_lua_block {
			local a = ngx.req.get_uri_args()
			ngx.say(a.x, " ", table.concat(a.r, ","), " ", tostring(a.flag), " ", a["k y"], " ", a.empty == "")
		} }`,
		path: "/req/args?x=1&r=a&r=b&flag&k+y=v%20w&empty=", status: 200, want: "1 a,b true v w true\n"},
	{name: "get_uri_args max gives truncated",
		loc: `location = /req/argsmax { content_by_lua_block {
			local a, err = ngx.req.get_uri_args(2)
			local n = 0
			for _ in pairs(a) do n = n + 1 end
			ngx.say(n, " ", err, " ", a.c)
		} }`,
		path: "/req/argsmax?a=1&b=2&c=3", status: 200, want: "2 truncated nil\n"},
	{name: "get_uri_args max 0 is unlimited",
		loc: `location = /req/args0 { content_by_lua_block {
			local a, err = ngx.req.get_uri_args(0)
			local n = 0
			for _ in pairs(a) do n = n + 1 end
			ngx.say(n, " ", err)
		} }`,
		path: "/req/args0?a=1&b=2&c=3", status: 200, want: "3 nil\n"},
	{name: "set_uri_args with a table and a string",
		loc: `location = /req/setargs { content_by_lua_block {
			ngx.req.set_uri_args({b = "x y"})
			local s1 = ngx.var.args
			ngx.req.set_uri_args("c=3")
			ngx.say(s1, " ", ngx.var.args, " ", ngx.var.arg_c)
		} }`,
		path: "/req/setargs?a=1", status: 200, want: "b=x%20y c=3 3\n"},
	{name: "set_uri_args and encode_args follow the table's pairs order",
		loc: `location = /req/argsorder { content_by_lua_block {
			local t = {}
			for i = 1, 20 do t["k" .. i] = tostring(i) end
			local want = {}
			for k, v in pairs(t) do want[#want + 1] = k .. "=" .. v end
			want = table.concat(want, "&")
			ngx.req.set_uri_args(t)
			ngx.say(ngx.var.args == want, " ", ngx.encode_args(t) == want, " ", #ngx.var.args)
		} }`,
		path: "/req/argsorder", status: 200, want: "true true 121\n"},
	{name: "get_post_args after read_body",
		loc: `location = /req/post { content_by_lua_block {
			ngx.req.read_body()
			local a = ngx.req.get_post_args()
			ngx.say(a.a, " ", a.b)
		} }`,
		method: "POST", path: "/req/post", hdrs: []string{"Content-Type: application/x-www-form-urlencoded"},
		body: "a=1&b=x+y", status: 200, want: "1 x y\n"},
	{name: "get_post_args before read_body fails",
		loc: `location = /req/postnoread { content_by_lua_block {
			local ok, err = pcall(ngx.req.get_post_args)
			ngx.say(ok, " ", err)
		} }`,
		method: "POST", path: "/req/postnoread", body: "a=1", status: 200,
		want: "false no request body found; maybe you should turn on lua_need_request_body?\n"},
	{name: "get_body_data, set_body_data",
		loc: `location = /req/body { content_by_lua_block {
			local before = ngx.req.get_body_data()
			ngx.req.read_body()
			local got = ngx.req.get_body_data()
			ngx.req.set_body_data("replaced")
			ngx.say(before, " ", got, " ", ngx.req.get_body_data())
		} }`,
		method: "PUT", path: "/req/body", body: "payload", status: 200, want: "nil payload replaced\n"},
	{name: "get_body_data is nil for an empty body",
		loc:  `location = /req/nobody { content_by_lua_block { ngx.req.read_body() ngx.say(ngx.req.get_body_data()) } }`,
		path: "/req/nobody", status: 200, want: "nil\n"},
	{name: "get_headers lowercases, groups repeats and finds any spelling",
		loc: `location = /req/headers { content_by_lua_block {
			local h = ngx.req.get_headers()
			ngx.say(h["x-one"], " ", table.concat(h["x-rep"], ","), " ", h.my_foo_header, " ", h["My-Foo-Header"], " ", h["X-ONE"])
		} }`,
		path: "/req/headers", hdrs: []string{"X-One: 1", "X-Rep: a", "X-Rep: b", "My-Foo-Header: foo"},
		status: 200, want: "1 a,b foo foo 1\n"},
	{name: "get_headers raw keeps the case and has no metatable",
		loc: `location = /req/headersraw { content_by_lua_block {
			local h = ngx.req.get_headers(0, true)
			ngx.say(h["X-Mixed-Case"], " ", h["x-mixed-case"], " ", getmetatable(h))
		} }`,
		path: "/req/headersraw", hdrs: []string{"X-Mixed-Case: v"}, status: 200, want: "v nil nil\n"},
	{name: "get_headers max",
		loc: `location = /req/headersmax { content_by_lua_block {
			local h, err = ngx.req.get_headers(2)
			local n = 0
			for _ in pairs(h) do n = n + 1 end
			ngx.say(n, " ", err)
		} }`,
		path: "/req/headersmax", hdrs: []string{"X-A: 1", "X-B: 2"}, status: 200, want: "2 truncated\n"},
	{name: "set_header and clear_header change what the handler reads",
		loc: `location = /req/sethdr { content_by_lua_block {
			ngx.req.set_header("X-New", "n")
			ngx.req.set_header("X-List", {"a", "b"})
			ngx.req.clear_header("X-Gone")
			local h = ngx.req.get_headers()
			ngx.say(h.x_new, " ", table.concat(h.x_list, ","), " ", h.x_gone, " ", ngx.var.http_x_new)
		} }`,
		path: "/req/sethdr", hdrs: []string{"X-Gone: 1"}, status: 200, want: "n a,b nil n\n"},
	{name: "set_header and clear_header are seen by the upstream",
		loc: `location = /req/proxyhdr {
			rewrite_by_lua_block {
				ngx.req.set_header("X-Added", "yes")
				ngx.req.set_header("X-Replaced", "new")
				ngx.req.clear_header("X-Removed")
				ngx.req.set_header("Content-Type", "text/x-lua")
			}
			proxy_pass http://UPSTREAM/echo;
		}`,
		path: "/req/proxyhdr", hdrs: []string{"X-Replaced: old", "X-Removed: 1"}, status: 200,
		want: "GET /echo\nContent-Type: text/x-lua\nX-Added: yes\nX-Replaced: new\n"},
	{name: "set_method, set_body_data and set_uri_args reach the upstream",
		loc: `location = /req/proxymethod {
			rewrite_by_lua_block {
				ngx.req.set_method(ngx.HTTP_POST)
				ngx.req.read_body()
				ngx.req.set_body_data("new body")
				ngx.req.set_uri_args({q = "1"})
			}
			proxy_pass http://UPSTREAM;
		}`,
		path: "/req/proxymethod", status: 200, want: "POST /req/proxymethod?q=1\nbody: new body\n"},
	{name: "clear_header keeps the order of the other headers",
		loc: `location = /req/proxyorder {
			rewrite_by_lua_block { ngx.req.clear_header("X-Gone") }
			proxy_pass http://UPSTREAM/echo;
		}`,
		path: "/req/proxyorder", hdrs: []string{"X-Rep: 1", "X-Gone: g", "X-Rep: 2", "X-Rep: 3", "X-Last: l"}, status: 200,
		want: "GET /echo\nX-Last: l\nX-Rep: 1,2,3\n"},
	{name: "set_uri without jump changes the uri seen by later code",
		loc: `location = /req/seturi { content_by_lua_block {
			ngx.req.set_uri("/changed")
			ngx.say(ngx.var.uri, " ", ngx.var.request_uri)
		} }`,
		path: "/req/seturi", status: 200, want: "/changed /req/seturi\n"},
	{name: "set_uri with jump in rewrite finds a new location",
		loc: `location = /req/jump { rewrite_by_lua_block { ngx.req.set_uri("/req/jumped", true) ngx.log(ngx.ERR, "not reached") } }
		location = /req/jumped { content_by_lua_block { ngx.say("jumped ", ngx.var.uri, " ", ngx.var.args) } }`,
		path: "/req/jump?a=1", status: 200, want: "jumped /req/jumped a=1\n", nolog: []string{"not reached"}},
	{name: "set_uri with jump outside rewrite is disabled",
		loc: `location = /req/jumpcontent { content_by_lua_block {
			local ok, err = pcall(ngx.req.set_uri, "/x", true)
			ngx.say(err)
		} }`,
		path: "/req/jumpcontent", status: 200, want: "API disabled in the context of content_by_lua*\n"},
	{name: "set_uri rejects an empty uri",
		loc: `location = /req/seturiempty { content_by_lua_block {
			local ok, err = pcall(ngx.req.set_uri, "")
			ngx.say(err)
		} }`,
		path: "/req/seturiempty", status: 200, want: "attempt to use zero-length uri\n"},
	{name: "get_method and set_method",
		loc: `location = /req/method { content_by_lua_block {
			local m = ngx.req.get_method()
			ngx.req.set_method(ngx.HTTP_DELETE)
			ngx.say(m, " ", ngx.req.get_method(), " ", ngx.var.request_method)
		} }`,
		method: "PATCH", path: "/req/method", status: 200, want: "PATCH DELETE DELETE\n"},
	{name: "set_method rejects unknown methods",
		loc: `location = /req/badmethod { content_by_lua_block {
			local ok, err = pcall(ngx.req.set_method, 3)
			ngx.say(err)
		} }`,
		path: "/req/badmethod", status: 200, want: "unsupported HTTP method: 3\n"},
	{name: "http_version",
		loc:  `location = /req/ver { content_by_lua_block { ngx.say(ngx.req.http_version()) } }`,
		path: "/req/ver", http10: true, status: 200, want: "1\n"},
	{name: "raw_header with and without the request line",
		loc: `location = /req/raw { content_by_lua_block {
			ngx.print(ngx.req.raw_header(true))
			ngx.print(ngx.req.raw_header())
		} }`,
		path: "/req/raw", hdrs: []string{"X-Raw: v"}, status: 200,
		want: "Host: localhost\r\nConnection: close\r\nX-Raw: v\r\n\r\nGET /req/raw HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Raw: v\r\n\r\n"},
	{name: "start_time is the request's start",
		loc: `location = /req/start { content_by_lua_block {
			ngx.update_time()
			local d = ngx.now() - ngx.req.start_time()
			ngx.say(d >= 0 and d < 1, " ", ngx.req.start_time() == ngx.req.start_time())
		} }`,
		path: "/req/start", status: 200, want: "true true\n"},
	{name: "is_internal after ngx.exec",
		loc: `location = /req/internal { content_by_lua_block { ngx.exec("/req/internal2") } }
		location = /req/internal2 { content_by_lua_block { ngx.say(ngx.req.is_internal()) } }`,
		path: "/req/internal", status: 200, want: "true\n"},
	{name: "is_internal is false for a client request",
		path: "/req/internal2", status: 200, want: "false\n"},
	{name: "ngx.req in init_worker is refused",
		loc:  `location = /req/initworker { content_by_lua_block { ngx.say(init_worker_err) } }`,
		path: "/req/initworker", status: 200, want: "API disabled in the current context\n"},
}

// upstream echoes the request line, a sorted subset of headers and the body.
func upstream(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.RequestURI())
		var names []string
		for k := range r.Header {
			if strings.HasPrefix(k, "X-") || k == "Content-Type" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.Header.Values(k), ","))
		}
		if body, _ := io.ReadAll(r.Body); len(body) > 0 {
			fmt.Fprintf(&b, "body: %s\n", body)
		}
		io.WriteString(w, b.String())
	}))
	return strings.TrimPrefix(srv.URL, "http://")
}

var upstreamAddr string

// withUpstream points UPSTREAM in the cases' config at the echo server.
func withUpstream(t *testing.T, in []hcase) []hcase {
	if upstreamAddr == "" {
		upstreamAddr = upstream(t)
	}
	cases := make([]hcase, len(in))
	for i, c := range in {
		c.loc = strings.ReplaceAll(c.loc, "UPSTREAM", upstreamAddr)
		cases[i] = c
	}
	return cases
}

func TestReq(t *testing.T) {
	cases := withUpstream(t, reqCases)
	s := startServer(t, `init_worker_by_lua_block { init_worker_err = select(2, pcall(ngx.req.get_headers)) }`, "", cases)
	runCases(t, s, cases)
}

// Request bodies in files: client_body_in_file_only, a body past
// client_body_buffer_size, ngx.req.set_body_file.
var reqBodyFileCases = []hcase{
	{name: "client_body_in_file_only puts the body in a file",
		loc: `location = /bf/only {
			client_body_in_file_only clean;
			content_by_lua_block {
				ngx.req.read_body()
				local f = ngx.req.get_body_file()
				local fh = io.open(f)
				ngx.say(ngx.req.get_body_data(), " ", fh:read("*a"),
					" ", ngx.var.request_body, " ", ngx.var.request_body_file == f, " ", select(2, ngx.req.get_post_args()))
				fh:close()
			}
		}`,
		method: "POST", path: "/bf/only", body: "a=1", status: 200,
		want: "nil a=1 nil true request body in temp file not supported\n"},
	{name: "a body past client_body_buffer_size goes to a file",
		loc: `location = /bf/big {
			client_body_buffer_size 4;
			content_by_lua_block {
				ngx.req.read_body()
				ngx.say(ngx.req.get_body_data(), " ", ngx.req.get_body_file() ~= nil)
				ngx.say(#ngx.location.capture("/bf/echo", {method = ngx.HTTP_POST}).body)
			}
		}
		location = /bf/preread {
			client_body_buffer_size 4;
			content_by_lua_block {
				ngx.req.read_body()
				ngx.say(ngx.req.get_body_data(), " ", ngx.req.get_body_file())
			}
		}
		location = /bf/echo { content_by_lua_block { ngx.req.read_body() ngx.print(ngx.req.get_body_data()) } }`,
		method: "POST", path: "/bf/big", body: strings.Repeat("hello, world", 100), status: 200,
		want: "nil true\n3\n", // the subrequest's body is the same file
		log:  []string{"[warn]", "a client request body is buffered to a temporary file"}},
	{name: "a body read with the request head stays in memory",
		method: "POST", path: "/bf/preread", body: "hello, world", status: 200, want: "hello, world nil\n"},
	{name: "a small body stays in memory",
		loc: `location = /bf/small { content_by_lua_block {
			ngx.req.read_body()
			ngx.say(ngx.req.get_body_data(), " ", ngx.req.get_body_file())
		} }`,
		method: "POST", path: "/bf/small", body: "hello", status: 200, want: "hello nil\n"},
	{name: "set_body_file replaces the body, clean removes the file",
		loc: `location = /bf/set { content_by_lua_block {
			ngx.req.read_body()
			local dir = ngx.config.prefix() .. "logs/"
			for _, n in ipairs{"bf_a", "bf_b"} do
				local f = io.open(dir .. n, "w") f:write(n, " content") f:close()
			end
			ngx.req.set_body_file(dir .. "bf_a", true)
			ngx.req.set_body_file(dir .. "bf_b", false)
			ngx.say(io.open(dir .. "bf_a") == nil, " ", ngx.req.get_body_file() == dir .. "bf_b", " ",
				ngx.req.get_headers()["content-length"], " ", ngx.req.get_body_data())
			ngx.say(pcall(ngx.req.set_body_file, dir .. "none"))
		} }`,
		method: "POST", path: "/bf/set", body: "x", status: 200,
		want: "~true true 12 nil\nfalsestat() \""},
	{name: "set_body_data and set_body_file need the body read",
		loc: `location = /bf/unread { content_by_lua_block {
			ngx.say(pcall(ngx.req.set_body_data, "x"))
			ngx.say(pcall(ngx.req.set_body_file, "/x"))
			ngx.say(pcall(ngx.req.set_body_data))
			ngx.req.discard_body()
			ngx.say(pcall(ngx.req.set_body_data, "x"))
		} }`,
		method: "POST", path: "/bf/unread", body: "x", status: 200,
		want: "falserequest body not read yet\nfalserequest body not read yet\nfalseexpecting 1 arguments but seen 0\n" +
			"falserequest body not read yet\n"},
}

func TestReqBodyFile(t *testing.T) {
	s := startServer(t, "", "", reqBodyFileCases)
	runCases(t, s, reqBodyFileCases)
}
