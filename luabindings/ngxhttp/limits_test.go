package ngxhttp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// get_headers, get_uri_args, get_post_args and ngx.resp.get_headers stop
// at 100 entries by default (or their max argument), return "truncated"
// and say so at debug level in lua-nginx-module's words.
var limitCases = []hcase{
	{name: "request headers over a custom max",
		loc: `location = /lim/req { content_by_lua_block {
			local h, err = ngx.req.get_headers(3)
			local n = 0 for _ in pairs(h) do n = n + 1 end
			ngx.say(n, " ", err) } }`,
		path: "/lim/req", hdrs: []string{"X-A: 1", "X-B: 2"}, status: 200, want: "3 truncated\n",
		log: []string{"[debug] ", "lua exceeding request header limit 4 > 3"}},
	{name: "request headers at the max are not truncated",
		loc: `location = /lim/req-ok { content_by_lua_block {
			local h, err = ngx.req.get_headers(3)
			ngx.say(err) } }`,
		path: "/lim/req-ok", hdrs: []string{"X-A: 1"}, status: 200, want: "nil\n",
		nolog: []string{"lua exceeding request header limit"}},
	{name: "query args over a custom max",
		loc: `location = /lim/args { content_by_lua_block {
			local a, err = ngx.req.get_uri_args(2)
			ngx.say(a.foo, a.bar, a.baz, " ", err) } }`,
		path: "/lim/args?foo=1&bar=2&baz=3", status: 200, want: "12nil truncated\n",
		log: []string{"lua hit query args limit 2"}},
	{name: "query args over the default 100",
		loc: `location = /lim/args100 { content_by_lua_block {
			local q = {} for i = 1, 101 do q[#q + 1] = "a" .. i .. "=" .. i end
			ngx.req.set_uri_args(table.concat(q, "&"))
			local a, err = ngx.req.get_uri_args()
			local n = 0 for _ in pairs(a) do n = n + 1 end
			ngx.say(n, " ", err) } }`,
		path: "/lim/args100", status: 200, want: "100 truncated\n",
		log: []string{"lua hit query args limit 100"}},
	{name: "post args over a custom max",
		loc: `location = /lim/post { content_by_lua_block {
			ngx.req.read_body()
			local a, err = ngx.req.get_post_args(1)
			ngx.say(a.x, a.y, " ", err) } }`,
		method: "POST", path: "/lim/post", hdrs: []string{"Content-Type: application/x-www-form-urlencoded"},
		body: "x=1&y=2", status: 200, want: "1nil truncated\n",
		log: []string{"lua hit query args limit 1"}},
	{name: "response headers over the default 100",
		loc: `location = /lim/resp { content_by_lua_block {
			for i = 1, 100 do ngx.header["X-R" .. i] = "v" end
			local h, err = ngx.resp.get_headers()
			local n = 0 for _ in pairs(h) do n = n + 1 end
			ngx.say(n, " ", err) } }`,
		path: "/lim/resp", status: 200, want: "100 truncated\n",
		log: []string{"lua exceeding response header limit 101 > 100"}},
	{name: "response headers include the connection nginx sends",
		loc: `location = /lim/conn { content_by_lua_block {
			ngx.header["X-R"] = "v"
			local h = ngx.resp.get_headers()
			ngx.say(h.connection, " ", h["x-r"]) } }`,
		path: "/lim/conn", status: 200, want: "close v\n"},
}

func TestLimitsAndTheirLogLines(t *testing.T) {
	ref := os.Getenv("NGX_REFERENCE")
	conf := "default_type text/plain;\nserver {\n    listen 127.0.0.1:PORT;\n"
	for _, c := range limitCases {
		conf += c.loc + "\n"
	}
	hs := httpdtest.StartLevel(t, conf+"}\n", ref, "debug")
	os.MkdirAll(filepath.Join(hs.Prefix, "html"), 0o755)
	runCases(t, &server{base: hs.Addr, prefix: hs.Prefix, ref: ref != ""}, limitCases)
}

// lua_regex_match_limit bounds backtracking: an exploding pattern fails
// with PCRE's match-limit error instead of running on, and the d option
// ignores the limit (no timing involved: the limit is a step count).
func TestRegexMatchLimit(t *testing.T) {
	cases := []hcase{
		{name: "exploding pattern hits the match limit",
			loc: `location = /re/explode { content_by_lua_block {
				local m, err = ngx.re.match(string.rep("a", 30) .. "b", [[^(a|aa)+$]], "o")
				ngx.say(m, " ", err) } }`,
			path: "/re/explode", status: 200, want: "nil pcre_exec() failed: -8\n"},
		// pcre_exec's required-character check: with less than 1000
		// bytes left and no "b" (or "z") in them, no match at once, not
		// an error; a longer subject is searched and hits the limit
		{name: "required character missing: no match",
			loc: `location = /re/req { content_by_lua_block {
				ngx.say(ngx.re.find(string.rep("a", 40), [[(a+)+b]]))
				ngx.say(ngx.re.find(string.rep("a", 999), [[(a+)+b]]))
				ngx.say(ngx.re.find(string.rep("x", 30), [[\w*?\w*?[^a]+\w*?\w*?\w*?\w*?\w*?\w*?z]]))
				ngx.say(ngx.re.match(string.rep("a", 40), [[(a|aa)+c]]))
				ngx.say(ngx.re.find(string.rep("a", 40) .. "B", [[(a+)+b]], "i"))
				ngx.say(ngx.re.find(string.rep("a", 1000), [[(a+)+b]]))
				ngx.say(ngx.re.find(string.rep("a", 40), [[(a+)+(b|c)]])) } }`,
			path: "/re/req", status: 200,
			want: "nil\nnil\nnil\nnil\n141\nnilnilpcre_exec() failed: -8\nnilnilpcre_exec() failed: -8\n"},
		{name: "a simple match stays under it",
			loc: `location = /re/ok { content_by_lua_block {
				local m, err = ngx.re.match("xxab", [[a(b)]])
				ngx.say(m[0], m[1], " ", err) } }`,
			path: "/re/ok", status: 200, want: "abb nil\n"},
		{name: "the d option ignores the limit",
			loc: `location = /re/dfa { content_by_lua_block {
				ngx.say(ngx.re.find("x <a> <b> y", "<.*>", "d")) } }`,
			path: "/re/dfa", status: 200, want: "39\n"},
	}
	s := startServer(t, "lua_regex_match_limit 1000;", "", cases)
	runCases(t, s, cases)
}
