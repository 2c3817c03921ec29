package conf_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// FuzzLoad runs mutated configurations through the whole of what
// `goresty -t` does: the lexer and parser against the real directive table
// of every module, then the runtime's semantic checks of the parsed tree
// (listen, sizes, times, variables, regexes, maps, compiling the Lua
// blocks). It must never panic, and a rejection is a *conf.Error with a
// message (positioned inside the file when it names the file).
func FuzzLoad(f *testing.F) {
	include := regexp.MustCompile(`(?m)^\s*include\s[^;]*;`)
	var seeds []string
	for _, pat := range []string{"../../conf/*.conf", "testdata/starterkit/*.conf", "testdata/starterkit/includes/*/*.conf"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			// the included files are seeds of their own
			s := include.ReplaceAllString(string(b), "")
			seeds = append(seeds, s, "http {\n"+s+"\n}", "http { server {\n"+s+"\n} }")
		}
	}
	if len(seeds) < 10 {
		f.Fatalf("only %d seeds", len(seeds))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	for _, s := range []string{
		"events {} http { server { listen 127.0.0.1:8080; location / { return 200 ok; } } }",
		"http { map $uri $m { default 0; ~^/a(?<x>.*) $1; } server { location ~* ^/(\\d+)$ { set $a $1; } } }",
		"http { lua_shared_dict d 10m; server { location / { content_by_lua_block { ngx.say(1) } } } }",
		"http { server { location / { if ($arg_a ~ ^x) { return 301 /b; } rewrite ^/(.*)$ /$1 last; } } }",
		"http { upstream u { server 127.0.0.1:1; keepalive 4; } server { location / { proxy_pass http://u; } } }",
		"http { server { listen [::1]:80 default_server; server_name *.a.example a.* ~^(?<n>.+)$; } }",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	f.Fuzz(func(t *testing.T, s string) {
		// include globs the file system; access_log creates the file at
		// load time, anywhere the path says
		if strings.Contains(s, "include") || strings.Contains(s, "access_log") {
			return
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		rt, err := httpd.Load(dir, path)
		if err != nil {
			var ce *conf.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if ce.Msg == "" {
				t.Fatal("empty message")
			}
			if ce.File == path && (ce.Line < 1 || ce.Line > strings.Count(s, "\n")+1) {
				t.Fatalf("%v: line outside the file", ce)
			}
			return
		}
		rt.Close()
	})
}
