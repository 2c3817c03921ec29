package ngxhttp_test

import (
	"os"
	"path/filepath"
	"testing"
)

// ngx.log's prefix is lua-nginx-module's: the chunk's base name and line,
// then "f(): " only for a named function (not the main chunk, not an
// anonymous function); a file handler shows its base name, not its path.
var logFormatCases = []hcase{
	{name: "main chunk has no function name",
		loc: `location = /log/main { content_by_lua_block {
			ngx.log(ngx.ERR, "in main") } }`,
		path: "/log/main", status: 200, want: "",
		log:   []string{"):2: in main, client: "},
		nolog: []string{"main chunk", "(): in main"}},
	{name: "named function",
		loc: `location = /log/named { content_by_lua_block {
			local function helper()
				ngx.log(ngx.WARN, "in helper")
			end
			helper() } }`,
		path: "/log/named", status: 200, want: "",
		log: []string{"[warn] ", "):3: helper(): in helper, client: "}},
	{name: "anonymous function through pcall",
		loc: `location = /log/anon { content_by_lua_block {
			pcall(function() ngx.log(ngx.ERR, "in anon") end) } }`,
		path: "/log/anon", status: 200, want: "",
		log: []string{"):2: in anon, client: "}},
	{name: "file handler shows the base name",
		loc:  `location = /log/file { content_by_lua_file html/logged.lua; }`,
		path: "/log/file", status: 200, want: "",
		log: []string{"[lua] logged.lua:1: from file, client: "}, nolog: []string{"html/logged.lua"}},
}

func TestLogFormat(t *testing.T) {
	s := startServer(t, "", "", logFormatCases)
	os.WriteFile(filepath.Join(s.prefix, "html/logged.lua"), []byte("ngx.log(ngx.ERR, \"from file\")\n"), 0o644)
	runCases(t, s, logFormatCases)
}
