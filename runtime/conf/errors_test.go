package conf

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type errCase struct {
	name    string
	files   map[string]string // relative to the test dir; main is conf/nginx.conf
	main    string            // default conf/nginx.conf
	want    string            // "@" stands for the test dir (with trailing "/")
	noNginx bool              // our wording on purpose differs, or no comparison possible
}

const luaLoc = "events {}\nhttp {\n  server {\n    location / {\n"

var errCases = []errCase{
	{name: "unknown directive",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n    foo bar;\n}\n"},
		want:  `unknown directive "foo" in @conf/nginx.conf:3`},
	{name: "not allowed here",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n    listen 80;\n}\n"},
		want:  `"listen" directive is not allowed here in @conf/nginx.conf:3`},
	{name: "events in http",
		files: map[string]string{"conf/nginx.conf": "http {\n    events {}\n}\n"},
		want:  `"events" directive is not allowed here in @conf/nginx.conf:2`},
	{name: "location in if",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      if ($a) {\n        location /x {}\n      }\n    }\n  }\n}\n"},
		want:  `"location" directive is not allowed here in @conf/nginx.conf:6`},
	{name: "lua block in server",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  server {\n    content_by_lua_block { ngx.say(1) }\n  }\n}\n"},
		want:  `"content_by_lua_block" directive is not allowed here in @conf/nginx.conf:4`},
	{name: "invalid number of arguments",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  server {\n    listen;\n  }\n}\n"},
		want:  `invalid number of arguments in "listen" directive in @conf/nginx.conf:4`},
	{name: "flag with two args",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n    gzip on off;\n}\n"},
		want:  `invalid number of arguments in "gzip" directive in @conf/nginx.conf:3`},
	{name: "multi-line directive reports its terminator line",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  server {\n    listen\n\n    ;\n  }\n}\n"},
		want:  `invalid number of arguments in "listen" directive in @conf/nginx.conf:6`},
	{name: "flag value",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n    gzip maybe;\n}\n"},
		want:  `invalid value "maybe" in "gzip" directive, it must be "on" or "off" in @conf/nginx.conf:3`},
	{name: "no opening brace",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  server;\n}\n"},
		want:  `directive "server" has no opening "{" in @conf/nginx.conf:3`},
	{name: "not terminated",
		files: map[string]string{"conf/nginx.conf": "worker_processes 1 {\n}\n"},
		want:  `directive "worker_processes" is not terminated by ";" in @conf/nginx.conf:1`},
	{name: "upstream server with a block",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  upstream u {\n    server {\n    }\n  }\n}\n"},
		want:  `directive "server" is not terminated by ";" in @conf/nginx.conf:4`},
	{name: "unexpected close brace at top",
		files: map[string]string{"conf/nginx.conf": "events {}\n}\n"},
		want:  `unexpected "}" in @conf/nginx.conf:2`},
	{name: "unexpected close brace inside directive",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  server {\n    return 204 }\n}\n"},
		want:  `unexpected "}" in @conf/nginx.conf:4`},
	{name: "unexpected semicolon",
		files: map[string]string{"conf/nginx.conf": "events {}\n;\n"},
		want:  `unexpected ";" in @conf/nginx.conf:2`},
	{name: "unexpected open brace",
		files: map[string]string{"conf/nginx.conf": "events {}\n{\n}\n"},
		want:  `unexpected "{" in @conf/nginx.conf:2`},
	{name: "char after closing quote",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  server {\n    set $a \"b\"c;\n  }\n}\n"},
		want:  `unexpected "c" in @conf/nginx.conf:4`},
	{name: "comment right after closing quote",
		files: map[string]string{"conf/nginx.conf": "env 'a'# c;\n"},
		want:  `unexpected "#" in @conf/nginx.conf:1`},
	{name: "eof expecting semicolon",
		files: map[string]string{"conf/nginx.conf": "events {}\nworker_processes 1\n"},
		want:  `unexpected end of file, expecting ";" or "}" in @conf/nginx.conf:3`},
	{name: "eof after quoted word",
		files: map[string]string{"conf/nginx.conf": "env \"a\""},
		want:  `unexpected end of file, expecting ";" or "}" in @conf/nginx.conf:1`},
	{name: "eof inside quotes",
		files: map[string]string{"conf/nginx.conf": "env \"abc\n\n"},
		want:  `unexpected end of file, expecting ";" or "}" in @conf/nginx.conf:3`},
	{name: "eof expecting close brace",
		files: map[string]string{"conf/nginx.conf": "events {\n    worker_connections 10;\n"},
		want:  `unexpected end of file, expecting "}" in @conf/nginx.conf:3`},
	{name: "too long parameter",
		files: map[string]string{"conf/nginx.conf": "events {}\nworker_processes " + strings.Repeat("a", 5000) + ";\n"},
		want:  `too long parameter "aaaaaaaaaa..." started in @conf/nginx.conf:2`},
	{name: "too long quoted parameter",
		files: map[string]string{"conf/nginx.conf": "events {}\nenv \"" + strings.Repeat("x", 5000) + "\";\n"},
		want:  `too long parameter, probably missing terminating """ character in @conf/nginx.conf:2`},
	{name: "missing include",
		files: map[string]string{"conf/nginx.conf": "events {}\ninclude missing.conf;\n"},
		want:  `open() "@conf/missing.conf" failed (2: No such file or directory) in @conf/nginx.conf:2`},
	{name: "missing absolute include in http",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  include /nonexistent-dir/x.conf;\n}\n"},
		want:  `open() "/nonexistent-dir/x.conf" failed (2: No such file or directory) in @conf/nginx.conf:3`},
	{name: "missing main file",
		main: "conf/nope.conf", files: map[string]string{"conf/nginx.conf": ""},
		want: `open() "@conf/nope.conf" failed (2: No such file or directory)`},
	{name: "include of a directory",
		files: map[string]string{"conf/nginx.conf": "events {}\ninclude sub;\n", "conf/sub/a.conf": ""},
		want:  `pread() "@conf/sub" failed (21: Is a directory)`},
	{name: "include arity",
		files: map[string]string{"conf/nginx.conf": "include a b;\n"},
		want:  `invalid number of arguments in "include" directive in @conf/nginx.conf:1`},
	{name: "include with a block",
		files: map[string]string{"conf/nginx.conf": "include a {\n}\n"},
		want:  `directive "include" is not terminated by ";" in @conf/nginx.conf:1`},
	{name: "error inside a glob-included file",
		files: map[string]string{
			"conf/nginx.conf": "events {}\nhttp {\n  include inc/*.conf;\n}\n",
			"conf/inc/a.conf": "server {\n  listen 80;\n  bogus on;\n}\n"},
		want: `unknown directive "bogus" in @conf/inc/a.conf:3`},
	{name: "included file cannot close the includer's block",
		files: map[string]string{
			"conf/nginx.conf": "events {}\nhttp {\n  include a.conf;\n}\n",
			"conf/a.conf":     "server {}\n}\n"},
		want: `unexpected "}" in @conf/a.conf:2`},
	{name: "included file with an open block",
		files: map[string]string{
			"conf/nginx.conf": "events {}\nhttp {\n  include a.conf;\n}\n",
			"conf/a.conf":     "server {\n"},
		want: `unexpected end of file, expecting "}" in @conf/a.conf:2`},
	{name: "block in types",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  types {\n    text/html html {\n  }\n}\n"},
		want:  `unexpected "{" in @conf/nginx.conf:4`},
	{name: "block in map",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  map $a $b {\n    x {\n  }\n}\n"},
		want:  `unexpected "{" in @conf/nginx.conf:4`},
	{name: "include arity in types",
		files: map[string]string{"conf/nginx.conf": "events {}\nhttp {\n  types {\n    include a b;\n  }\n}\n"},
		want:  `invalid number of arguments in "include" directive in @conf/nginx.conf:4`},
	{name: "lua block missing ]]",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      content_by_lua_block {\n        ngx.say([[hello)\n      }\n    }\n  }\n}\n"},
		want:  `Lua code block missing the closing long bracket "]]", the inlined Lua code may be too long in @conf/nginx.conf:6`},
	{name: "lua block missing ]=] of a comment",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      content_by_lua_block {\n        local a = 1\n        ngx.say(--[=[hello)\n      }\n    }\n  }\n}\n"},
		want:  `Lua code block missing the closing long bracket "]=]", the inlined Lua code may be too long in @conf/nginx.conf:7`},
	{name: "lua block eof reports the last open brace line",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      content_by_lua_block {\n        local t = {\n          a = 1 }\n        ngx.say(1)\n"},
		want:  `unexpected end of file, expecting terminating characters for lua code block in @conf/nginx.conf:6`},
	{name: "lua block eof without inner brace",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      content_by_lua_block {\n        ngx.say(1)\n"},
		want:  `unexpected end of file, expecting terminating characters for lua code block in @conf/nginx.conf:5`},
	{name: "lua block swallowing the closing braces",
		files: map[string]string{"conf/nginx.conf": "http {\n  server {\n    location / {\n      content_by_lua_block {\n        ngx.say(1)\n    }\n  }\n}\nevents {}\n"},
		want:  `"events" directive is not allowed here in @conf/nginx.conf:9`},
	{name: "lua block without block",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      content_by_lua_block;\n    }\n  }\n}\n"},
		want:  `directive "content_by_lua_block" has no opening "{" in @conf/nginx.conf:5`},
	{name: "set_by_lua_block without variable",
		files: map[string]string{"conf/nginx.conf": luaLoc + "      set_by_lua_block { return 1 }\n    }\n  }\n}\n"},
		want:  `invalid number of arguments in "set_by_lua_block" directive in @conf/nginx.conf:5`},
	{name: "recursive include", noNginx: true,
		files: map[string]string{
			"conf/nginx.conf": "events {}\ninclude a.conf;\n",
			"conf/a.conf":     "\ninclude b.conf;\n",
			"conf/b.conf":     "include a.conf;\n"},
		want: `recursive include of "@conf/a.conf" in @conf/b.conf:1`},
}

func TestErrors(t *testing.T) {
	reg := testRegistry()
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t, c.files)
			main := c.main
			if main == "" {
				main = "conf/nginx.conf"
			}
			_, err := reg.Load(dir + main)
			want := strings.ReplaceAll(c.want, "@", dir)
			if err == nil {
				t.Fatalf("no error, want %s", want)
			}
			if err.Error() != want {
				t.Fatalf("got  %s\nwant %s", err, want)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error type %T", err)
			}
		})
	}
}

// okCases parse without error; each must also pass a real nginx -t when one
// is installed (apart from later semantic checks nginx does).
var okCases = []struct {
	name, conf string
}{
	{"quoted if condition", luaLoc + "      if ($request_method = 'OPTIONS') {\n        return 204;\n      }\n    }\n  }\n}\n"},
	{"flag is case-insensitive", "events {}\nhttp {\n  gzip ON;\n  gzip_vary Off;\n}\n"},
	{"glob without match", "events {}\ninclude nothing/*.conf;\nhttp { include none-*.types; }\n"},
	{"escapes and variables", "events {}\nhttp {\n  server {\n    set $a \"x\\\"y\\\\z\\tq\";\n    set $b ${a}\\;c;\n    set $c 'it\\'s';\n  }\n}\n"},
	{"lua comments and strings", luaLoc + "      content_by_lua_block {\n        -- it's } not the end\n        local s = \"a'b}\" .. 'c\\'d{'\n        --[==[ } ]==]\n        local t = {x = [[}]]} -- {\n        ngx.say(s, t.x, t1 and t1[t[1]])\n      }\n    }\n  }\n}\n"},
	{"set_by_lua_block in if", luaLoc + "      if ($request_method = POST) {\n        set_by_lua_block $dummy { ngx.header['X'] = \"}\"; return true }\n      }\n    }\n  }\n}\n"},
	{"compact lua blocks", luaLoc + "      access_by_lua_block { ngx.say([[}]]) } content_by_lua_block {ngx.say(\"hello\", {\"!\"})}\n    }\n  }\n}\n"},
}

func TestOK(t *testing.T) {
	reg := testRegistry()
	for _, c := range okCases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"conf/nginx.conf": c.conf})
			if _, err := reg.Load(dir + "conf/nginx.conf"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

const nginxBin = "/usr/sbin/nginx"

var modulePrefix = "load_module /usr/lib/nginx/modules/ndk_http_module.so; " +
	"load_module /usr/lib/nginx/modules/ngx_http_lua_module.so; " +
	"load_module /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so; "

// nginxTest runs the reference nginx -t on files (module loading is
// prepended on line 1 so line numbers stay the same) and returns its first
// [emerg] message with the directory replaced by "@".
func nginxTest(t *testing.T, files map[string]string, main string) (string, bool) {
	t.Helper()
	dir := t.TempDir() + "/"
	for name, text := range files {
		if name == "conf/nginx.conf" {
			text = modulePrefix + text
		}
		p := dir + name
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(dir+"logs", 0o755)
	out, err := exec.Command(nginxBin, "-t", "-q", "-p", dir, "-c", main, "-e", "stderr").CombinedOutput()
	m := emergRe.FindSubmatch(out)
	if m == nil {
		return string(out), err == nil
	}
	return strings.ReplaceAll(string(m[1]), dir, "@"), false
}

var emergRe = regexp.MustCompile(`\[(?:emerg|crit)\] (?:\d+#\d+: )?(.*)`)

// TestAgainstNginx checks the error wording and positions against the real
// nginx, when installed.
func TestAgainstNginx(t *testing.T) {
	if _, err := os.Stat(nginxBin); err != nil {
		t.Skip("no reference nginx")
	}
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_http_lua_module.so"); err != nil {
		t.Skip("no lua module for the reference nginx")
	}
	for _, c := range errCases {
		if c.noNginx {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			main := c.main
			if main == "" {
				main = "conf/nginx.conf"
			}
			got, _ := nginxTest(t, c.files, main)
			if got != c.want {
				t.Fatalf("nginx says %s\nwe expect %s", got, c.want)
			}
		})
	}
	for _, c := range okCases {
		t.Run(c.name, func(t *testing.T) {
			out, ok := nginxTest(t, map[string]string{"conf/nginx.conf": c.conf}, "conf/nginx.conf")
			if !ok {
				t.Fatalf("nginx rejects it: %s", out)
			}
		})
	}
}
