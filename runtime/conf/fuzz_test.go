package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// confSeeds returns the real configurations of the repository: the example
// app (conf/), the starter-kit test tree and the -g style snippets.
func confSeeds(f *testing.F) []string {
	f.Helper()
	var out []string
	for _, pat := range []string{"../../conf/*.conf", "../../conf/mime.types", "testdata/starterkit/*.conf",
		"testdata/starterkit/mime.types", "testdata/starterkit/includes/*/*.conf"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	if len(out) < 5 {
		f.Fatalf("only %d seed files found", len(out))
	}
	return out
}

// fuzzRegistry accepts the directives of the seeds in the contexts the
// seeds use them, so that the parser's table checks (context, arity, flag,
// block or not) run on mutated real configurations.
func fuzzRegistry() *Registry {
	r := NewRegistry()
	r.Register(Structural...)
	r.Register(
		Spec{Name: "a", Ctx: AnyContext, Args: AnyArgs},
		Spec{Name: "b", Ctx: AnyContext, Args: AnyArgs, Block: true, Child: AnyContext},
		Spec{Name: "return", Ctx: AnyContext, Args: Take12},
		Spec{Name: "listen", Ctx: Server, Args: OneMore},
		Spec{Name: "server_name", Ctx: Server, Args: OneMore},
		Spec{Name: "worker_processes", Ctx: Main, Args: Take1},
		Spec{Name: "daemon", Ctx: Main, Args: Flag},
		Spec{Name: "server_tokens", Ctx: HTTP | Server | Location, Args: Flag},
		Spec{Name: "set", Ctx: Server | Location | ServerIf | LocationIf, Args: Take2},
		Spec{Name: "proxy_pass", Ctx: Location | LocationIf | LimitExcept, Args: Take1},
		Spec{Name: "server", Ctx: Upstream, Args: OneMore},
		Spec{Name: "deny", Ctx: LimitExcept | Location, Args: Take1},
	)
	for _, n := range []string{"content_by_lua_block", "access_by_lua_block", "rewrite_by_lua_block",
		"init_by_lua_block", "log_by_lua_block", "header_filter_by_lua_block", "body_filter_by_lua_block"} {
		r.Register(Spec{Name: n, Ctx: AnyContext, Block: true})
	}
	r.Register(Spec{Name: "set_by_lua_block", Ctx: AnyContext, Block: true, Args: Take1})
	return r
}

// FuzzLexer: the lexer, the Lua block reader and the parser never panic,
// always terminate, and every error carries a message and a position
// inside the text; a parsed tree is well formed.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"a b;", "a {b;}", `if ($a = 'x') { return 204; }`, "a \"x\\\"\";", "# c\n", "}",
		"content_by_lua_block { x = [[}]] --[==[ ]==] '}' \"{\" }",
		"content_by_lua_block { --[[", "set_by_lua_block $x { return 1 }",
		"types { text/html html; }", "a ${b}c;", "a 'x')b;", "a \\",
		"content_by_lua_block { local s = \"\\\"}\" -- }\n }",
		"access_by_lua_block { if x then return end }\r\nb { a; }",
		"map $a $b { default 0; ~^x 1; }", "limit_except GET { deny all; }",
		"http { server { listen 80; location / { proxy_pass http://u; } } upstream u { server a:1; } }",
	} {
		f.Add(s)
	}
	for _, s := range confSeeds(f) {
		f.Add(s)
	}
	r := fuzzRegistry()
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Count(s, "\n") + 1
		lx := newLexer("/f.conf", []byte(s))
		for i := 0; ; i++ {
			if i > len(s)+2 {
				t.Fatal("lexer does not advance")
			}
			rc, err := lx.readToken()
			if err != nil {
				checkErr(t, err, lines)
				break
			}
			if rc == tokFileDone {
				break
			}
			if rc == tokBlockStart && len(lx.words) > 0 && strings.HasSuffix(lx.words[0], "_by_lua_block") {
				code, err := lx.readLuaBlock()
				if err != nil {
					checkErr(t, err, lines)
					break
				}
				if !strings.Contains(s, code) {
					t.Fatalf("Lua block %q is not a substring of the input", code)
				}
			}
		}
		if strings.Contains(s, "include") {
			return // globs over the real file system are not the lexer's business
		}
		cfg, err := r.Parse("/f.conf", []byte(s))
		if err != nil {
			var ce *Error
			if e, ok := err.(*Error); ok {
				ce = e
			} else {
				t.Fatalf("error of type %T: %v", err, err)
			}
			checkErr(t, ce, lines)
			return
		}
		checkTree(t, r, cfg.Main, Main, lines)
	})
}

func checkErr(t *testing.T, err *Error, lines int) {
	t.Helper()
	if err.Msg == "" {
		t.Fatal("empty message")
	}
	if err.File != "/f.conf" || err.Line < 1 || err.Line > lines {
		t.Fatalf("error %q positioned at %s:%d (input has %d lines)", err.Msg, err.File, err.Line, lines)
	}
}

// checkTree validates the parsed tree against the table the parser used:
// every directive is registered for the context it sits in, its argument
// count and flag value pass the spec, block directives have a block (or a
// Lua body) and simple ones do not.
func checkTree(t *testing.T, r *Registry, ds []*Directive, ctx Context, lines int) {
	t.Helper()
	for _, d := range ds {
		if len(d.Args) != len(d.Quoted) {
			t.Fatalf("args/quoted mismatch in %+v", d)
		}
		if d.File != "/f.conf" || d.Line < 1 || d.Line > lines {
			t.Fatalf("%s at %s:%d (input has %d lines)", d.Name, d.File, d.Line, lines)
		}
		if ctx&Raw != 0 {
			if d.IsBlock || d.Block != nil {
				t.Fatalf("block %q inside a raw block", d.Name)
			}
			continue
		}
		var sp *Spec
		for _, s := range r.Lookup(d.Name) {
			if s.Ctx&ctx != 0 {
				sp = &s
				break
			}
		}
		if sp == nil {
			t.Fatalf("%q accepted in context %v", d.Name, ctx)
		}
		nargs := len(d.Args)
		lua := strings.HasSuffix(d.Name, "_by_lua_block")
		if lua {
			nargs-- // the code
			if nargs < 0 || d.Block != nil || d.LuaLine < 1 || d.LuaLine > d.Line {
				t.Fatalf("Lua block directive %+v", d)
			}
		}
		if !sp.Args.argsOK(nargs) {
			t.Fatalf("%q with %d args accepted", d.Name, nargs)
		}
		if sp.Args&Flag != 0 && !strings.EqualFold(d.Args[0], "on") && !strings.EqualFold(d.Args[0], "off") {
			t.Fatalf("flag %q = %q accepted", d.Name, d.Args[0])
		}
		if sp.Block != d.IsBlock || (sp.Block && !lua && d.Block == nil) || (!sp.Block && d.Block != nil) {
			t.Fatalf("%q: block mismatch", d.Name)
		}
		if d.Block != nil {
			checkTree(t, r, d.Block, sp.Child, lines)
		}
	}
}
