package ngxhttp_test

import "testing"

// ngx.location.capture and capture_multi.
var subrequestCases = []hcase{
	{name: "capture returns status, headers and body",
		loc: `location = /sub/main { content_by_lua_block {
			local res = ngx.location.capture("/sub/echo?a=1")
			ngx.say(res.status, " ", res.header["X-Sub"], " ", res.truncated, " [", res.body, "]")
		} }
		location = /sub/echo { content_by_lua_block {
			ngx.status = 201
			ngx.header["X-Sub"] = "yes"
			ngx.print(ngx.var.uri, "?", ngx.var.args, " ", ngx.req.get_method(), " ", ngx.is_subrequest)
		} }`,
		path: "/sub/main", status: 200, want: "201 yes false [/sub/echo?a=1 GET true]\n"},
	{name: "capture with method, body and table args",
		loc: `location = /sub/post { content_by_lua_block {
			local res = ngx.location.capture("/sub/body", {method = ngx.HTTP_POST, body = "payload", args = {x = "1 2"}})
			ngx.say(res.body)
		} }
		location = /sub/body { content_by_lua_block {
			ngx.req.read_body()
			ngx.print(ngx.req.get_method(), " ", ngx.var.args, " ", ngx.req.get_body_data())
		} }`,
		path: "/sub/post", status: 200, want: "POST x=1%202 payload\n"},
	{name: "capture of an error status has the status and the error page",
		loc: `location = /sub/err { content_by_lua_block {
			local res = ngx.location.capture("/sub/fail")
			ngx.say(res.status, " ", #res.body)
		} }
		location = /sub/fail { content_by_lua_block { ngx.exit(403) } }`,
		path: "/sub/err", status: 200, want: "403 0\n"},
	{name: "capture of a missing location is 404",
		loc: `location = /sub/missing { content_by_lua_block {
			ngx.say(ngx.location.capture("/no/such/sub").status)
		} }`,
		path: "/sub/missing", status: 200, want: "404\n"},
	{name: "vars and copy_all_vars",
		loc: `location = /sub/vars {
			set $v "parent";
			content_by_lua_block {
				local a = ngx.location.capture("/sub/showvar", {vars = {v = "given"}})
				local b = ngx.location.capture("/sub/showvar", {copy_all_vars = true})
				ngx.var.v = "changed"
				local c = ngx.location.capture("/sub/showvar", {share_all_vars = true})
				local after_share = ngx.var.v
				local d = ngx.location.capture("/sub/showvar")
				ngx.say(a.body, " ", b.body, " ", c.body, " ", after_share, " [", d.body, "] ", ngx.var.v)
			}
		}
		location = /sub/showvar { content_by_lua_block { ngx.print(ngx.var.v) ngx.var.v = "sub" } }`,
		path: "/sub/vars", status: 200, want: "given parent changed sub [] sub\n"},
	{name: "ctx option shares a table",
		loc: `location = /sub/ctx { content_by_lua_block {
			local t = {n = 1}
			ngx.location.capture("/sub/ctxsub", {ctx = t})
			ngx.say(t.n, " ", ngx.ctx.n)
		} }
		location = /sub/ctxsub { content_by_lua_block { ngx.ctx.n = ngx.ctx.n + 1 } }`,
		path: "/sub/ctx", status: 200, want: "2 nil\n"},
	{name: "capture_multi runs all and returns in order",
		loc: `location = /sub/multi { content_by_lua_block {
			local a, b, c = ngx.location.capture_multi{{"/sub/n?n=1"}, {"/sub/n", {args = "n=2"}}, {"/sub/fail"}}
			ngx.say(a.body, b.body, " ", c.status)
		} }
		location = /sub/n { content_by_lua_block { ngx.print(ngx.var.arg_n) } }`,
		path: "/sub/multi", status: 200, want: "12 403\n"},
	{name: "capture is disabled in header_filter",
		loc: `location = /sub/hf {
			content_by_lua_block { ngx.say("ok") }
			header_filter_by_lua_block { ngx.header["X-Err"] = select(2, pcall(ngx.location.capture, "/sub/n")) }
		}`,
		path: "/sub/hf", status: 200, want: "ok\n", hdr: map[string]string{"X-Err": "API disabled in the context of header_filter_by_lua*"}},
	{name: "capture of a proxied location",
		loc: `location = /sub/proxied { content_by_lua_block {
			local res = ngx.location.capture("/sub/up")
			ngx.say(res.status, " ", res.body)
		} }
		location = /sub/up { internal; proxy_pass http://UPSTREAM/echo; }`,
		path: "/sub/proxied", status: 200, want: "200 GET /echo\n\n"},
	{name: "a self-capturing location stops at nginx's subrequest depth",
		loc: `location = /sub/self { content_by_lua_block {
			local depth = tonumber(ngx.var.arg_d or 0)
			local ok, err = pcall(ngx.location.capture, "/sub/self?d=" .. (depth + 1))
			if ok then
				ngx.print(err.body)
			else
				ngx.print(depth, " ", err)
			end
		} }`,
		path: "/sub/self", status: 200, want: "51 failed to issue subrequest: -1",
		log: []string{`lua subrequests cycle while processing "/sub/self", client: 127.0.0.1, server: , request: "GET /sub/self HTTP/1.1", subrequest: "/sub/self", host: "localhost"`}},
	{name: "capture argument and option checks",
		loc: `location = /sub/check { content_by_lua_block {
			local function try(...)
				local ok, err = pcall(...)
				ngx.say(err)
			end
			local cap, multi = ngx.location.capture, ngx.location.capture_multi
			try(cap)
			try(cap, "/sub/n", {}, 1)
			try(multi, {})
			try(multi, {{"/sub/n"}}, 1)
			try(multi, {"/sub/n"})
			try(multi, {{}})
			try(cap, "/sub/n", {method = "GET"})
			try(cap, "/sub/n", {body = {}})
			try(cap, "/sub/n", {ctx = 1})
			try(cap, "/sub/n", {args = true})
			try(cap, "/sub/n", {vars = 1})
			try(cap, "/sub/n", {share_all_vars = 1})
			try(cap, "/sub/n", {copy_all_vars = "yes"})
			try(multi, {{"/sub/n", 1}})
			ngx.say(cap("/sub/echo", {args = 7}).body)
		} }`,
		path: "/sub/check", status: 200, want: "expecting one or two arguments\n" +
			"expecting one or two arguments\n" +
			"at least one subrequest should be specified\n" +
			"only one argument is expected, but got 2\n" +
			"the query argument 0 is not a table, but a string\n" +
			"query argument 0 expecting one or two arguments\n" +
			"Bad http request method\n" +
			"Bad http request body\n" +
			"Bad ctx option value type number, expected a Lua table\n" +
			"Bad args option value\n" +
			"Bad vars option value\n" +
			"Bad share_all_vars option value\n" +
			"Bad copy_all_vars option value\n" +
			"expecting table as the 2nd argument for subrequest 0, but got number\n" +
			"/sub/echo?7 GET true\n"},
}

func TestSubrequest(t *testing.T) {
	s := startServer(t, "", "", withUpstream(t, subrequestCases))
	runCases(t, s, withUpstream(t, subrequestCases))
}
