package conf

import (
	"strings"
	"testing"
)

// FuzzLexer: the lexer, the Lua block reader and the parser never panic,
// always terminate, and every error carries a message.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"a b;", "a {b;}", `if ($a = 'x') { return 204; }`, "a \"x\\\"\";", "# c\n", "}",
		"content_by_lua_block { x = [[}]] --[==[ ]==] '}' \"{\" }",
		"content_by_lua_block { --[[", "set_by_lua_block $x { return 1 }",
		"types { text/html html; }", "a ${b}c;", "a 'x')b;", "a \\",
	} {
		f.Add(s)
	}
	r := NewRegistry()
	r.Register(Structural...)
	r.Register(
		Spec{Name: "a", Ctx: AnyContext, Args: AnyArgs},
		Spec{Name: "b", Ctx: AnyContext, Args: AnyArgs, Block: true, Child: AnyContext},
		Spec{Name: "content_by_lua_block", Ctx: AnyContext, Block: true},
		Spec{Name: "set_by_lua_block", Ctx: AnyContext, Block: true, Args: Take1},
		Spec{Name: "return", Ctx: AnyContext, Args: Take12},
	)
	f.Fuzz(func(t *testing.T, s string) {
		lx := newLexer("/f.conf", []byte(s))
		for i := 0; ; i++ {
			if i > len(s)+2 {
				t.Fatal("lexer does not advance")
			}
			rc, err := lx.readToken()
			if err != nil {
				if err.Msg == "" {
					t.Fatal("empty message")
				}
				break
			}
			if rc == tokFileDone {
				break
			}
			if rc == tokBlockStart && len(lx.words) > 0 && strings.HasSuffix(lx.words[0], "_by_lua_block") {
				if _, err := lx.readLuaBlock(); err != nil {
					break
				}
			}
		}
		if strings.Contains(s, "include") {
			return // globs over the real file system are not the lexer's business
		}
		cfg, err := r.Parse("/f.conf", []byte(s))
		if err == nil {
			Walk(cfg.Main, func(d *Directive) bool {
				if len(d.Args) != len(d.Quoted) {
					t.Fatalf("args/quoted mismatch in %+v", d)
				}
				return true
			})
		}
	})
}
