package ngxhttp_test

import "testing"

// ngx.header and ngx.resp.get_headers.
var headerCases = []hcase{
	{name: "names are case-insensitive and _ stands for -",
		loc: `location = /hdr/case { content_by_lua_block {
			ngx.header["X-Foo-Bar"] = "a"
			ngx.say(ngx.header.x_foo_bar, ngx.header["x-FOO-bar"], ngx.header.X_Foo_Bar)
		} }`,
		path: "/hdr/case", status: 200, want: "aaa\n", hdr: map[string]string{"X-Foo-Bar": "a"}},
	{name: "setting twice replaces",
		loc:  `location = /hdr/replace { content_by_lua_block { ngx.header.x_r = "1" ngx.header["X-R"] = "2" ngx.say("ok") } }`,
		path: "/hdr/replace", status: 200, want: "ok\n", hdr: map[string]string{"X-R": "2"}},
	{name: "a table gives repeated headers, read back as a table",
		loc: `location = /hdr/multi { content_by_lua_block {
			ngx.header.x_multi = {"a", "b", 3}
			local v = ngx.header.x_multi
			ngx.say(type(v), " ", table.concat(v, ","))
		} }`,
		path: "/hdr/multi", status: 200, want: "table a,b,3\n", hdr: map[string]string{"X-Multi": "a|b|3"}},
	{name: "nil and an empty table clear",
		loc: `location = /hdr/clear { content_by_lua_block {
			ngx.header.x_a = "1"
			ngx.header.x_b = "2"
			ngx.header.x_a = nil
			ngx.header.x_b = {}
			ngx.say(ngx.header.x_a, " ", ngx.header.x_b)
		} }`,
		path: "/hdr/clear", status: 200, want: "nil nil\n", hdr: map[string]string{"X-A": "", "X-B": ""}},
	{name: "numbers and booleans become strings",
		loc:  `location = /hdr/num { content_by_lua_block { ngx.header.x_n = 12.5 ngx.header.x_b = true ngx.say(ngx.header.x_n) } }`,
		path: "/hdr/num", status: 200, want: "12.5\n", hdr: map[string]string{"X-N": "12.5", "X-B": "true"}},
	{name: "CR and LF in values are escaped",
		loc:  `location = /hdr/crlf { content_by_lua_block { ngx.header.x_crlf = "a\r\nX-Injected: 1" ngx.say("ok") } }`,
		path: "/hdr/crlf", status: 200, want: "ok\n",
		hdr: map[string]string{"X-Crlf": "a%0D%0AX-Injected: 1", "X-Injected": ""}},
	{name: "content-type from a table keeps the last value",
		loc:  `location = /hdr/ct { content_by_lua_block { ngx.header.content_type = {"text/a", "text/b"} ngx.say("ok") } }`,
		path: "/hdr/ct", status: 200, want: "ok\n", hdr: map[string]string{"Content-Type": "text/b"}},
	{name: "content_type is read back",
		loc:  `location = /hdr/ctread { default_type text/x-default; content_by_lua_block { ngx.header.content_type = "text/y" ngx.say(ngx.header.content_type) } }`,
		path: "/hdr/ctread", status: 200, want: "text/y\n", hdr: map[string]string{"Content-Type": "text/y"}},
	{name: "unset headers read as nil",
		loc:  `location = /hdr/unset { content_by_lua_block { ngx.say(ngx.header.x_nothing) } }`,
		path: "/hdr/unset", status: 200, want: "nil\n"},
	{name: "setting after the header was sent logs an error",
		loc: `location = /hdr/late { content_by_lua_block {
			ngx.say("x")
			ngx.flush(true)
			ngx.header.x_late = "1"
			ngx.say(ngx.header.x_late)
		} }`,
		path: "/hdr/late", status: 200, want: "x\nnil\n", hdr: map[string]string{"X-Late": ""},
		log: []string{"attempt to set ngx.header.HEADER after sending out response headers"}},
	{name: "header_filter sets and clears headers",
		loc: `location = /hdr/hf {
			content_by_lua_block { ngx.header.x_from_content = "1" ngx.header.x_drop = "1" ngx.say("body") }
			header_filter_by_lua_block {
				ngx.header.x_from_filter = ngx.header.x_from_content .. "+"
				ngx.header.x_drop = nil
			}
		}`,
		path: "/hdr/hf", status: 200, want: "body\n",
		hdr: map[string]string{"X-From-Content": "1", "X-From-Filter": "1+", "X-Drop": ""}},
	// the header is out by then: the assignment only logs
	{name: "setting ngx.header and ngx.status in body_filter logs",
		loc: `location = /hdr/bf {
			content_by_lua_block { ngx.say("body") }
			body_filter_by_lua_block {
				if ngx.arg[2] then
					local ok, err = pcall(function() ngx.header.x_bf = "1" end)
					local ok2, err2 = pcall(function() ngx.status = 201 end)
					ngx.log(ngx.ERR, "bf header: ", tostring(ok), " ", tostring(err), " ", tostring(ngx.header.x_bf),
						" ", tostring(ok2), " ", ngx.status)
				end
			}
		}`,
		path: "/hdr/bf", status: 200, want: "body\n", hdr: map[string]string{"X-Bf": ""},
		log: []string{"attempt to set ngx.header.HEADER after sending out response headers",
			"attempt to set ngx.status after sending out response headers", "bf header: true nil nil true 200"}},
	{name: "setting ngx.header and ngx.status in log_by_lua logs",
		loc: `location = /hdr/logset {
			content_by_lua_block { ngx.say("body") }
			log_by_lua_block {
				local ok, err = pcall(function() ngx.header.x_l = "1" end)
				local ok2, err2 = pcall(function() ngx.status = 201 end)
				ngx.log(ngx.ERR, "log set: ", tostring(ok), " ", tostring(ok2))
			}
		}`,
		path: "/hdr/logset", status: 200, want: "body\n",
		log: []string{"attempt to set ngx.header.HEADER after sending out response headers",
			"attempt to set ngx.status after sending out response headers", "log set: true true"}},
	{name: "reading in log_by_lua works",
		loc: `location = /hdr/log {
			content_by_lua_block { ngx.header.x_l = "v" ngx.say("body") }
			log_by_lua_block { ngx.log(ngx.ERR, "log header: ", ngx.header.x_l) }
		}`,
		path: "/hdr/log", status: 200, want: "body\n", log: []string{"log header: v"}},
	{name: "resp.get_headers lowercases names, groups repeats, finds any spelling",
		loc: `location = /hdr/get { content_by_lua_block {
			ngx.header.x_one = "1"
			ngx.header["X-Two"] = {"a", "b"}
			local h = ngx.resp.get_headers()
			ngx.say(h["x-one"], " ", table.concat(h["x-two"], ","), " ", h["X-One"])
		} }`,
		path: "/hdr/get", status: 200, want: "1 a,b 1\n"},
	{name: "resp.get_headers raw keeps the case",
		loc: `location = /hdr/getraw { content_by_lua_block {
			ngx.header["X-Raw-Case"] = "1"
			local h = ngx.resp.get_headers(0, true)
			ngx.say(h["X-Raw-Case"], " ", h["x-raw-case"])
		} }`,
		path: "/hdr/getraw", status: 200, want: "1 nil\n"},
	{name: "resp.get_headers with max returns truncated",
		loc: `location = /hdr/getmax { content_by_lua_block {
			ngx.header.x_a = "1"
			ngx.header.x_b = "2"
			ngx.header.x_c = "3"
			local h, err = ngx.resp.get_headers(2)
			local n = 0
			for _ in pairs(h) do n = n + 1 end
			ngx.say(n, " ", err)
		} }`,
		path: "/hdr/getmax", status: 200, want: "2 truncated\n"},
	{name: "ngx.resp.add_header appends a value",
		loc: `location = /hdr/add { content_by_lua_block {
			local resp = require "ngx.resp"
			ngx.header.x_add = "a"
			resp.add_header("X-Add", "b")
			resp.add_header("X-Add", {"c", "d"})
			ngx.say("ok")
		} }`,
		path: "/hdr/add", status: 200, want: "ok\n", hdr: map[string]string{"X-Add": "a|b|c|d"}},
	{name: "unsafe bytes of header names and values are escaped",
		loc: `location = /hdr/unsafe { content_by_lua_block {
			ngx.header["a: b\rc\nd"] = "x\001y\tz"
			ngx.say("ok")
		} }`,
		path: "/hdr/unsafe", status: 200, want: "ok\n",
		hdr: map[string]string{"a%3A%20b%0Dc%0Ad": "x%01y\tz", "a": "", "d": ""}},
	{name: "a number is a header name",
		loc: `location = /hdr/numname { content_by_lua_block {
			ngx.header[32] = "private"
			ngx.say(ngx.header[32], " ", ngx.var.sent_http_32)
		} }`,
		path: "/hdr/numname", status: 200, want: "private private\n", hdr: map[string]string{"32": "private"}},
}

func TestHeader(t *testing.T) {
	s := startServer(t, "", "", headerCases)
	runCases(t, s, headerCases)
}
