package ngxhttp_test

import "testing"

// ngx.exit, ngx.redirect, ngx.exec and ngx.ctx across phases.
var controlCases = []hcase{
	// ngx.exit
	{name: "exit(0) in rewrite goes on to content",
		loc: `location = /exit/rw0 {
			rewrite_by_lua_block { ngx.ctx.rw = 1 ngx.exit(0) ngx.ctx.rw = 2 }
			content_by_lua_block { ngx.say("content ", ngx.ctx.rw) }
		}`,
		path: "/exit/rw0", status: 200, want: "content 1\n"},
	{name: "exit(ngx.OK) in access goes on to content",
		loc: `location = /exit/ac0 {
			access_by_lua_block { ngx.exit(ngx.OK) }
			content_by_lua_block { ngx.say("content") }
		}`,
		path: "/exit/ac0", status: 200, want: "content\n"},
	{name: "exit(200) in rewrite ends the request with an empty body",
		loc: `location = /exit/rw200 {
			rewrite_by_lua_block { ngx.exit(200) }
			content_by_lua_block { ngx.say("content") }
		}`,
		path: "/exit/rw200", status: 200, want: ""},
	{name: "exit(403) in access gives the error page, content does not run",
		loc: `location = /exit/ac403 {
			access_by_lua_block { ngx.exit(ngx.HTTP_FORBIDDEN) }
			content_by_lua_block { ngx.log(ngx.ERR, "content ran") }
		}`,
		path: "/exit/ac403", status: 403, want: "~<title>403 Forbidden</title>",
		hdr: map[string]string{"Content-Type": "text/html"}, nolog: []string{"content ran"}},
	{name: "exit(503) in content",
		loc:  `location = /exit/c503 { content_by_lua_block { ngx.exit(503) } }`,
		path: "/exit/c503", status: 503, want: "~<title>503 Service Temporarily Unavailable</title>"},
	{name: "error page titles are nginx's",
		loc:  `location = /exit/titles { content_by_lua_block { ngx.exit(tonumber(ngx.var.arg_c)) } }`,
		path: "/exit/titles?c=405", status: 405, want: "~<title>405 Not Allowed</title>"},
	{name: "error page title 504",
		path: "/exit/titles?c=504", status: 504, want: "~<title>504 Gateway Time-out</title>"},
	{name: "error page title 507",
		path: "/exit/titles?c=507", status: 507, want: "~<title>507 Insufficient Storage</title>"},
	{name: "exit inside pcall still ends the handler",
		loc: `location = /exit/pcall { content_by_lua_block {
			local ok, err = pcall(ngx.exit, 401)
			ngx.log(ngx.ERR, "after pcall exit ", tostring(ok))
		} }`,
		path: "/exit/pcall", status: 401, want: "*", nolog: []string{"after pcall exit"}},
	{name: "exit inside a function called through pcall",
		loc: `location = /exit/pcall2 { content_by_lua_block {
			pcall(function() ngx.say("in") ngx.exit(200) end)
			ngx.say("after")
		} }`,
		path: "/exit/pcall2", status: 200, want: "in\n"},
	{name: "exit(444) closes the connection",
		loc:  `location = /exit/444 { content_by_lua_block { ngx.exit(444) } }`,
		path: "/exit/444", closed: true},
	{name: "exit with an error status after output keeps the sent status",
		loc: `location = /exit/late { content_by_lua_block {
			ngx.say("partial")
			ngx.exit(500)
		} }`,
		path: "/exit/late", status: 200, want: "partial\n"},
	// header_filter_by_lua runs outside a coroutine: ngx.exit records the
	// code and returns, the filter goes on
	{name: "exit(ngx.OK) in header_filter returns and the filter goes on",
		loc: `location = /exit/hf {
			content_by_lua_block { ngx.say("body") }
			header_filter_by_lua_block { ngx.header["X-A"] = "1" ngx.exit(ngx.OK) ngx.header["X-B"] = "2" }
		}`,
		path: "/exit/hf", status: 200, want: "body\n", hdr: map[string]string{"X-A": "1", "X-B": "2"}},
	{name: "exit(403) in header_filter sends the error page",
		loc: `location = /exit/hf403 {
			content_by_lua_block { ngx.say("body") }
			header_filter_by_lua_block { ngx.header["X-A"] = "1" ngx.exit(403) ngx.header["X-B"] = "2" }
		}`,
		path: "/exit/hf403", status: 403, want: "~403 Forbidden", hdr: map[string]string{"X-A": "1", "X-B": "2"}},
	{name: "exit(200) in header_filter sends an empty body",
		loc: `location = /exit/hf200 {
			content_by_lua_block { ngx.say("body") }
			header_filter_by_lua_block { ngx.exit(200) }
		}`,
		path: "/exit/hf200", status: 200, want: ""},
	{name: "exit in set_by_lua is disabled",
		loc: `location = /exit/set {
			set_by_lua_block $x { local ok, err = pcall(ngx.exit, 200) return err }
			content_by_lua_block { ngx.say(ngx.var.x) }
		}`,
		path: "/exit/set", status: 200, want: "API disabled in the context of set_by_lua*\n"},
	{name: "exit in log_by_lua is disabled",
		loc: `location = /exit/log {
			content_by_lua_block { ngx.say("ok") }
			log_by_lua_block { local ok, err = pcall(ngx.exit, 200) ngx.log(ngx.ERR, "log exit: ", err) }
		}`,
		path: "/exit/log", status: 200, want: "ok\n", log: []string{"log exit: API disabled in the context of log_by_lua*"}},
	{name: "exit status reaches error_page",
		loc: `location = /exit/ep {
			error_page 404 = /exit/ep_target;
			content_by_lua_block { ngx.exit(404) }
		}
		location = /exit/ep_target { content_by_lua_block { ngx.say("handled ", ngx.status) } }`,
		path: "/exit/ep", status: 404, want: "handled 404\n"},
	{name: "rewrite that sent output ends the request",
		loc: `location = /exit/rwsent {
			rewrite_by_lua_block { ngx.say("rewrite") }
			content_by_lua_block { ngx.say("content") }
		}`,
		path: "/exit/rwsent", status: 200, want: "rewrite\n"},
	{name: "access that sent output ends the request",
		loc: `location = /exit/acsent {
			access_by_lua_block { ngx.say("access") }
			content_by_lua_block { ngx.say("content") }
		}`,
		path: "/exit/acsent", status: 200, want: "access\n"},

	// ngx.redirect
	{name: "redirect defaults to 302",
		loc:  `location = /redir/302 { content_by_lua_block { ngx.redirect("/there?a=1") ngx.log(ngx.ERR, "after redirect") } }`,
		path: "/redir/302", status: 302, want: "~302 Found", hdr: map[string]string{"Location": "/there?a=1"},
		nolog: []string{"after redirect"}},
	{name: "redirect 301 with an absolute URL",
		loc:  `location = /redir/301 { rewrite_by_lua_block { return ngx.redirect("http://example.com/x", ngx.HTTP_MOVED_PERMANENTLY) } }`,
		path: "/redir/301", status: 301, want: "*", hdr: map[string]string{"Location": "http://example.com/x"}},
	{name: "redirect 303, 307 and 308",
		loc:  `location = /redir/307 { access_by_lua_block { ngx.redirect("/b", tonumber(ngx.var.arg_c)) } }`,
		path: "/redir/307?c=307", status: 307, want: "*", hdr: map[string]string{"Location": "/b"}},
	{name: "redirect 308",
		loc:  `location = /redir/308 { content_by_lua_block { ngx.redirect("/b", 308) } }`,
		path: "/redir/308", status: 308, want: "*", hdr: map[string]string{"Location": "/b"}},
	{name: "redirect rejects other codes",
		loc: `location = /redir/bad { content_by_lua_block {
			local ok, err = pcall(ngx.redirect, "/b", 200)
			ngx.say(err)
		} }`,
		path: "/redir/bad", status: 200,
		want: "only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed\n"},
	// %00-%08, %0A-%1F and %7F are unsafe; tab is not
	{name: "redirect rejects control bytes but tab",
		loc: `location = /redir/unsafe { content_by_lua_block {
			local ok, err = pcall(ngx.redirect, "/a\tb\127")
			local ok2, err2 = pcall(ngx.redirect, "/\1")
			ngx.say(err, "|", err2)
		} }`,
		path: "/redir/unsafe", status: 200,
		want: "unsafe byte \"0x7f\" in redirect uri \"/a\\x09b\\x7F\"|unsafe byte \"0x01\" in redirect uri \"/\\x01\"\n"},
	{name: "redirect after the header was sent fails",
		loc: `location = /redir/late { content_by_lua_block {
			ngx.say("x")
			ngx.flush(true)
			local ok, err = pcall(ngx.redirect, "/b")
			ngx.say(err)
		} }`,
		path: "/redir/late", status: 200, want: "x\nattempt to call ngx.redirect after sending out the headers\n"},
	{name: "redirect in header_filter is disabled",
		loc: `location = /redir/hf {
			content_by_lua_block { ngx.say("ok") }
			header_filter_by_lua_block { local ok, err = pcall(ngx.redirect, "/b") ngx.header["X-Err"] = err }
		}`,
		path: "/redir/hf", status: 200, want: "ok\n",
		hdr: map[string]string{"X-Err": "API disabled in the context of header_filter_by_lua*"}},

	// ngx.exec
	{name: "exec with string args",
		loc: `location = /exec/str { content_by_lua_block { ngx.exec("/exec/target", "a=1&b=2") } }
		location = /exec/target { internal; content_by_lua_block {
			ngx.say(ngx.var.uri, " ", ngx.var.args, " ", ngx.req.is_internal(), " ", ngx.var.request_uri)
		} }`,
		path: "/exec/str?orig=1", status: 200, want: "/exec/target a=1&b=2 true /exec/str?orig=1\n"},
	{name: "exec with table args",
		loc:  `location = /exec/tbl { content_by_lua_block { ngx.exec("/exec/target", {a = "x y", b = true}) } }`,
		path: "/exec/tbl", status: 200, want: "~/exec/target "},
	{name: "exec with args in the uri and extra args",
		loc:  `location = /exec/both { content_by_lua_block { ngx.exec("/exec/target?a=1", "b=2") } }`,
		path: "/exec/both", status: 200, want: "/exec/target a=1&b=2 true /exec/both\n"},
	{name: "exec without args drops the original ones",
		loc:  `location = /exec/none { content_by_lua_block { ngx.exec("/exec/target") } }`,
		path: "/exec/none?orig=1", status: 200, want: "/exec/target nil true /exec/none?orig=1\n"},
	{name: "exec to a named location keeps uri and args",
		loc: `location = /exec/named { rewrite_by_lua_block { ngx.exec("@named") } }
		location @named { content_by_lua_block { ngx.say("named ", ngx.var.uri, " ", ngx.var.args) } }`,
		path: "/exec/named?q=1", status: 200, want: "named /exec/named q=1\n"},
	{name: "exec to a named location ignores the query string and args",
		loc:  `location = /exec/named-args { rewrite_by_lua_block { ngx.exec("@named?a=Yichun", "b=Zhang") } }`,
		path: "/exec/named-args", status: 200, want: "named /exec/named-args nil\n"},
	{name: "exec decodes the path and takes number args",
		loc:  `location = /exec/esc { content_by_lua_block { ngx.exec("/exec/t%61rget?x=%61", 3) } }`,
		path: "/exec/esc", status: 200, want: "/exec/target x=%61&3 true /exec/esc\n"},
	{name: "exec to an unsafe uri",
		loc: `location = /exec/unsafe { content_by_lua_block {
			local ok, err = pcall(ngx.exec, "/a/../exec/target")
			ngx.say(err)
			ok, err = pcall(ngx.exec, "/exec/%2e%2e/target")
			ngx.say(err)
		} }`,
		path: "/exec/unsafe", status: 200, want: "unsafe uri\nunsafe uri\n",
		log: []string{`unsafe URI "/a/../exec/target" was detected`, `unsafe URI "/exec/../target" was detected`}},
	{name: "exec resets ngx.ctx",
		loc: `location = /exec/ctx {
			rewrite_by_lua_block { ngx.ctx.a = 1 }
			content_by_lua_block { ngx.exec("/exec/ctx_target") }
		}
		location = /exec/ctx_target { content_by_lua_block { ngx.say("ctx.a=", ngx.ctx.a) } }`,
		path: "/exec/ctx", status: 200, want: "ctx.a=nil\n"},
	{name: "exec after the header was sent fails",
		loc: `location = /exec/late { content_by_lua_block {
			ngx.say("x")
			local ok, err = pcall(ngx.exec, "/exec/target")
			ngx.say(err)
		} }`,
		path: "/exec/late", status: 200, want: "x\nattempt to call ngx.exec after sending out response headers\n"},
	{name: "exec to a missing location gives 404",
		loc:  `location = /exec/missing { content_by_lua_block { ngx.exec("/no/such/place") } }`,
		path: "/exec/missing", status: 404, want: "*"},

	// ngx.ctx
	{name: "ctx is shared by the phases of one request",
		loc: `location = /ctx/phases {
			set_by_lua_block $dummy { ngx.ctx.s = "set" return "" }
			rewrite_by_lua_block { ngx.ctx.r = "rewrite" }
			access_by_lua_block { ngx.ctx.a = "access" }
			content_by_lua_block { ngx.ctx.c = "content" ngx.say(ngx.ctx.s, ngx.ctx.r, ngx.ctx.a) }
			header_filter_by_lua_block { ngx.header["X-Ctx"] = ngx.ctx.c }
			log_by_lua_block { ngx.log(ngx.ERR, "ctx in log: ", ngx.ctx.r, " ", ngx.ctx.c) }
		}`,
		path: "/ctx/phases", status: 200, want: "setrewriteaccess\n", hdr: map[string]string{"X-Ctx": "content"},
		log: []string{"ctx in log: rewrite content"}},
	{name: "ctx is per request",
		loc: `location = /ctx/fresh { content_by_lua_block {
			ngx.say(ngx.ctx.seen)
			ngx.ctx.seen = true
		} }`,
		path: "/ctx/fresh", status: 200, want: "nil\n"},
	{name: "ctx can be replaced by a table, not by other values",
		loc: `location = /ctx/replace { content_by_lua_block {
			ngx.ctx = {v = 1}
			local ok, err = pcall(function() ngx.ctx = 1 end)
			ngx.say(ngx.ctx.v, " ", ok)
		} }`,
		path: "/ctx/replace", status: 200, want: "1 false\n"},
	{name: "ngx.exit refuses ngx.AGAIN and ngx.DONE",
		loc: `location = /exitcode/again { content_by_lua_block { ngx.exit(ngx.AGAIN) } }
		location = /exitcode/done { content_by_lua_block { ngx.exit(ngx.DONE) } }`,
		path: "/exitcode/again", status: 500, want: "*",
		log: []string{"bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE"}},
	{name: "ngx.exit(ngx.ERROR) closes the connection without a response",
		loc:  `location = /exitcode/error { content_by_lua_block { ngx.exit(ngx.ERROR) } }`,
		path: "/exitcode/error", closed: true, nolog: []string{"[error]"}},
	{name: "ngx.exit(ngx.DECLINED) closes the connection without a response",
		loc:  `location = /exitcode/declined { content_by_lua_block { ngx.exit(ngx.DECLINED) } }`,
		path: "/exitcode/declined", closed: true, nolog: []string{"[error]"}},
	{name: "an error status after the header was sent is logged, the response ends",
		loc: `location = /exitcode/late { content_by_lua_block {
			ngx.say("hi") ngx.flush(true) ngx.exit(404) ngx.say("never") } }`,
		path: "/exitcode/late", status: 200, want: "hi\n",
		log: []string{"attempt to set status 404 via ngx.exit after sending out the response status 200"}},
}

func TestControl(t *testing.T) {
	s := startServer(t, "", "", controlCases)
	runCases(t, s, controlCases)
	// per-request ctx: the second request sees a fresh one too
	if r := s.do(t, "GET", "/ctx/fresh", nil, "", false); r.body != "nil\n" {
		t.Errorf("second request sees ngx.ctx of the first: %q", r.body)
	}
}
