package ngxhttp_test

import "testing"

// ngx.var and ngx.arg.
var varCases = []hcase{
	{name: "built-in variables",
		loc: `location = /var/builtin { content_by_lua_block {
			ngx.say(ngx.var.uri, " ", ngx.var.request_method, " ", ngx.var.arg_a, " ", ngx.var.args, " ", ngx.var.http_x_test)
		} }`,
		path: "/var/builtin?a=1&b=2", hdrs: []string{"X-Test: hv"}, status: 200, want: "/var/builtin GET 1 a=1&b=2 hv\n"},
	{name: "undefined and missing variables read as nil",
		loc: `location = /var/undef { content_by_lua_block {
			ngx.say(ngx.var.no_such_variable, " ", ngx.var.arg_missing, " ", ngx.var.http_missing, " ", ngx.var.cookie_missing)
		} }`,
		path: "/var/undef", status: 200, want: "nil nil nil nil\n"},
	{name: "a variable declared elsewhere but unset here reads empty",
		loc: `location = /var/decl { set $declared_elsewhere "x"; return 204; }
		location = /var/unset { content_by_lua_block { ngx.say("[", ngx.var.declared_elsewhere, "]") } }`,
		path: "/var/unset", status: 200, want: "[]\n"},
	{name: "writing a declared variable",
		loc: `location = /var/write {
			set $mine "a";
			content_by_lua_block {
				ngx.var.mine = "b"
				local s = ngx.var.mine
				ngx.var.mine = 12
				ngx.say(s, " ", ngx.var.mine, " ", type(ngx.var.mine))
			}
		}`,
		path: "/var/write", status: 200, want: "b 12 string\n"},
	{name: "writing an undeclared variable raises",
		loc: `location = /var/undeclared { content_by_lua_block {
			local ok, err = pcall(function() ngx.var.nope = "1" end)
			ngx.say(err)
		} }`,
		path: "/var/undeclared", status: 200,
		want: "content_by_lua(nginx.conf:29):2: variable \"nope\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $nope '';\" in the config file to define it first\n"},
	{name: "writing a read-only built-in raises",
		loc: `location = /var/readonly { content_by_lua_block {
			local ok, err = pcall(function() ngx.var.uri = "/x" end)
			ngx.say(err)
		} }`,
		path: "/var/readonly", status: 200, want: "content_by_lua(nginx.conf:33):2: variable \"uri\" not changeable\n"},
	{name: "writing args changes the query string",
		loc: `location = /var/args { content_by_lua_block {
			ngx.var.args = "x=1"
			ngx.say(ngx.var.args, " ", ngx.var.arg_x, " ", ngx.req.get_uri_args().x)
		} }`,
		path: "/var/args?a=1", status: 200, want: "x=1 1 1\n"},
	{name: "a boolean value is stored as a string",
		loc: `location = /var/bool {
			set $b "";
			content_by_lua_block {
				local ok, err = pcall(function() ngx.var.b = true end)
				ngx.say(ok, " ", err, " ", ngx.var.b)
			}
		}`,
		path: "/var/bool", status: 200, want: "true nil true\n"},
	{name: "regex captures by number",
		loc: `location ~ ^/var/cap/(\w+)/(\d+)$ { content_by_lua_block {
			ngx.say(ngx.var[1], " ", ngx.var[2], " ", ngx.var[3])
		} }`,
		path: "/var/cap/abc/42", status: 200, want: "abc 42 nil\n"},
	{name: "variables set in rewrite are seen by content",
		loc: `location = /var/phases {
			set $carry "";
			rewrite_by_lua_block { ngx.var.carry = "from rewrite" }
			content_by_lua_block { ngx.say(ngx.var.carry) }
		}`,
		path: "/var/phases", status: 200, want: "from rewrite\n"},

	// set_by_lua and its ngx.arg
	{name: "set_by_lua gets its arguments in ngx.arg",
		loc: `location = /var/setarg {
			set_by_lua $sum 'return tonumber(ngx.arg[1]) + tonumber(ngx.arg[2]) .. " " .. tostring(ngx.arg[3])' $arg_a $arg_b;
			content_by_lua_block { ngx.say(ngx.var.sum) }
		}`,
		path: "/var/setarg?a=2&b=40", status: 200, want: "42 nil\n"},
	{name: "set_by_lua_block result feeds the rewrite module",
		loc: `location = /var/setblock {
			set_by_lua_block $v { return ngx.var.arg_v == "yes" and "1" or "0" }
			if ($v = "1") { return 201; }
			return 202;
		}`,
		path: "/var/setblock?v=yes", status: 201, want: "*"},
	{name: "sleep is disabled in set_by_lua",
		loc: `location = /var/setsleep {
			set_by_lua_block $e { local ok, err = pcall(ngx.sleep, 0.001) return err }
			content_by_lua_block { ngx.say(ngx.var.e) }
		}`,
		path: "/var/setsleep", status: 200, want: "API disabled in the context of set_by_lua*\n"},

	// body_filter's ngx.arg
	{name: "body_filter rewrites chunks and sees eof",
		loc: `location = /var/bf {
			content_by_lua_block { ngx.print("ab") ngx.flush(true) ngx.print("cd") }
			body_filter_by_lua_block {
				ngx.arg[1] = string.upper(ngx.arg[1])
				if ngx.arg[2] then ngx.arg[1] = ngx.arg[1] .. "|EOF" end
			}
		}`,
		path: "/var/bf", status: 200, want: "ABCD|EOF"},
	{name: "body_filter drops chunks set to nil or empty and accepts tables",
		loc: `location = /var/bfnil {
			content_by_lua_block { ngx.say("drop me") }
			body_filter_by_lua_block {
				if ngx.arg[2] then ngx.arg[1] = {"x", {"y"}} else ngx.arg[1] = nil end
			}
		}`,
		path: "/var/bfnil", status: 200, want: "xy"},
	{name: "body_filter setting eof cuts the rest",
		loc: `location = /var/bfeof {
			content_by_lua_block { ngx.print("one") ngx.flush(true) ngx.print("two") }
			body_filter_by_lua_block {
				if ngx.arg[1] == "one" then ngx.arg[2] = true elseif ngx.arg[1] ~= "" then ngx.arg[1] = "" end
			}
		}`,
		path: "/var/bfeof", status: 200, want: "one"},
}

func TestVar(t *testing.T) {
	s := startServer(t, "", "", varCases)
	runCases(t, s, varCases)
}
