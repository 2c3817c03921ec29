package conf

import (
	"reflect"
	"strings"
	"testing"
)

// lexAll runs the nginx lexer alone and returns each statement's words,
// with a "{" / "}" marker word for block starts and ends, and a "'" prefix
// on quoted words.
func lexAll(text string) ([]string, error) {
	lx := newLexer("/t.conf", []byte(text))
	var out []string
	for {
		rc, err := lx.readToken()
		if err != nil {
			return out, err
		}
		if rc == tokFileDone {
			return out, nil
		}
		if rc == tokBlockDone {
			out = append(out, "}")
			continue
		}
		ws := make([]string, len(lx.words))
		for i, w := range lx.words {
			if lx.quoted[i] {
				w = "'" + w
			}
			ws[i] = w
		}
		s := strings.Join(ws, "|")
		if rc == tokBlockStart {
			s += " {"
		}
		out = append(out, s)
	}
}

func TestLexer(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"a b c;", []string{"a|b|c"}},
		{"  a\tb\r\n  c ;", []string{"a|b|c"}},
		{"a;b;", []string{"a", "b"}},
		{"a {b 1;}", []string{"a {", "b|1", "}"}},
		{"a{b;}", []string{"a {", "b", "}"}},
		{"# c {;}\na 1; # tail\n", []string{"a|1"}},
		{"a x#y;", []string{"a|x#y"}},         // # inside a word is literal
		{"a 1 # mid\n 2;", []string{"a|1|2"}}, // comment between words
		{`a "x y" 'z;{}';`, []string{`a|'x y|'z;{}`}},
		{`a "" '';`, []string{`a|'|'`}},
		{`a "multi` + "\n" + `line";`, []string{"a|'multi\nline"}},
		{`a "q\"q" 'q\'q' "b\\s";`, []string{`a|'q"q|'q'q|'b\s`}},
		{`a "t\tr\rn\n";`, []string{"a|'t\tr\rn\n"}},
		{`a x\;y x\ y;`, []string{`a|x\;y|x\ y`}}, // escaped terminator stays escaped
		{`a \"x;`, []string{`a|"x`}},
		{`a \d \. \$;`, []string{`a|\d|\.|\$`}},
		{`a o"x"y;`, []string{`a|o"x"y`}}, // quotes in the middle are literal
		{`a ${host}x;`, []string{`a|${host}x`}},
		{`a $x{y;`, []string{`a|$x {`, `y`}}, // only "${" keeps the brace
		{`a "${x}";`, []string{`a|'${x}`}},
		{`a b}c;`, []string{`a|b}c`}},
		{`if ($a = 'x') {}`, []string{`if|($a|=|'x|) {`, "}"}},
		{`if ($a = "x"){}`, []string{`if|($a|=|'x|) {`, "}"}},
		{`if ($a = 'x')) {}`, []string{`if|($a|=|'x|)) {`, "}"}},
		{`if ($a ~* "^(a|b)$") { }`, []string{`if|($a|~*|'^(a|b)$|) {`, "}"}},
		{`if ($a) {}`, []string{`if|($a) {`, "}"}},
		{`a "x";b 'y'{`, []string{`a|'x`, `b|'y {`}},
		{"}", []string{"}"}},
		{"", nil},
		{"   \n\n # only comment", nil},
	}
	for _, c := range cases {
		got, err := lexAll(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestLexerErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`a "x"y;`, `unexpected "y" in /t.conf:1`},
		// whitespace after the closing quote allows a comment; the ";" is in it
		{"a 'x'\n\n#;", `unexpected end of file, expecting ";" or "}" in /t.conf:3`},
		{`;`, `unexpected ";" in /t.conf:1`},
		{`{`, `unexpected "{" in /t.conf:1`},
		{"a\n}", `unexpected "}" in /t.conf:2`},
		{"a", `unexpected end of file, expecting ";" or "}" in /t.conf:1`},
		{"a \"x", `unexpected end of file, expecting ";" or "}" in /t.conf:1`},
		{`a \`, `unexpected end of file, expecting ";" or "}" in /t.conf:1`},
	}
	for _, c := range cases {
		_, err := lexAll(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v want %s", c.in, err, c.want)
		}
	}
}

func TestTooLongBoundary(t *testing.T) {
	// a word of 4095 bytes fits nginx's 4096-byte buffer, 4096 does not
	for _, n := range []int{4095, 4096} {
		_, err := lexAll("a " + strings.Repeat("x", n) + ";")
		if (err != nil) != (n == 4096) {
			t.Errorf("%d: %v", n, err)
		}
	}
	// a long comment is a "parameter" too for nginx
	_, err := lexAll("#" + strings.Repeat("c", 5000) + "\na;")
	if err == nil || err.Error() != `too long parameter "#ccccccccc..." started in /t.conf:1` {
		t.Errorf("comment: %v", err)
	}
}

// luaBody parses `content_by_lua_block {<body>` through the parser and
// returns the Lua source.
func luaBody(t *testing.T, body string) (string, *Directive, error) {
	t.Helper()
	r := NewRegistry()
	r.Register(Spec{Name: "content_by_lua_block", Ctx: Main, Block: true},
		Spec{Name: "set_by_lua_block", Ctx: Main, Block: true, Args: Take1},
		Spec{Name: "after", Ctx: Main})
	cfg, err := r.Parse("/p/nginx.conf", []byte("content_by_lua_block {"+body+"\nafter;\n"))
	if err != nil {
		return "", nil, err
	}
	if len(cfg.Main) != 2 || cfg.Main[1].Name != "after" {
		t.Fatalf("directives after the block: %+v", cfg.Main)
	}
	d := cfg.Main[0]
	return d.Args[len(d.Args)-1], d, nil
}

func TestLuaBlock(t *testing.T) {
	cases := []struct{ body, code string }{
		{` ngx.say("hi") }`, ` ngx.say("hi") `},
		{`}`, ``},
		{"\n  local a = {\n dogs = {32, 78, 96},\n cats = {}}\n  ngx.say(a.dogs[1])\n}", "\n  local a = {\n dogs = {32, 78, 96},\n cats = {}}\n  ngx.say(a.dogs[1])\n"},
		{` ngx.say("}1, 2)") ngx.say('{1, 2)') }`, ` ngx.say("}1, 2)") ngx.say('{1, 2)') `},
		{` ngx.say("\"}1") ngx.say('\'{1') }`, ` ngx.say("\"}1") ngx.say('\'{1') `},
		{"\n --[[\n {{{\n }\n ]]\n --[==[\n }}}\n {\n ]==]\n x() }", "\n --[[\n {{{\n }\n ]]\n --[==[\n }}}\n {\n ]==]\n x() "},
		{"\n --[[\n ]=]\n '  \"\n }\n ]]\n ok() }", "\n --[[\n ]=]\n '  \"\n }\n ]]\n ok() "},
		{"\n --}} {}\n ok()\n}", "\n --}} {}\n ok()\n"},
		{" x = [[}]] y = [=[ ]] } ]=] }", " x = [[}]] y = [=[ ]] } ]=] "},
		{" ngx.say([==[ok-- ]==]) --[[ --]] ngx.say('done') }", " ngx.say([==[ok-- ]==]) --[[ --]] ngx.say('done') "},
		{` print([[Hey, it is "!]]) }`, ` print([[Hey, it is "!]]) `},
		{` local t1, t2 = {"hello"}, {1} ngx.say(t1[t2[1]]) }`, ` local t1, t2 = {"hello"}, {1} ngx.say(t1[t2[1]]) `},
		{" ]=] }", " ]=] "},
		// an unterminated one-line string is no string: the quote is skipped
		{"\n -- it's\n s = \"a\n }", "\n -- it's\n s = \"a\n "},
		{" s = 'don\\'t {' }", " s = 'don\\'t {' "},
		{" a = b - -c }", " a = b - -c "},
		{" t[ [[k]] ] = 1 }", " t[ [[k]] ] = 1 "},
	}
	for _, c := range cases {
		code, _, err := luaBody(t, c.body)
		if err != nil {
			t.Errorf("%q: %v", c.body, err)
			continue
		}
		if code != c.code {
			t.Errorf("%q:\n got %q\nwant %q", c.body, code, c.code)
		}
	}
}

func TestLuaBlockLines(t *testing.T) {
	r := NewRegistry()
	r.Register(Spec{Name: "content_by_lua_block", Ctx: Main, Block: true},
		Spec{Name: "set_by_lua_block", Ctx: Main, Block: true, Args: Take1},
		Spec{Name: "after", Ctx: Main})
	text := "\nset_by_lua_block $x\n{ return [[\n\n]] }\ncontent_by_lua_block {\n --[[\n]]\n}\nafter;\n"
	cfg, err := r.Parse("/p/nginx.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	s, c, a := cfg.Main[0], cfg.Main[1], cfg.Main[2]
	if s.LuaLine != 3 || s.Line != 3 || !reflect.DeepEqual(s.Args, []string{"$x", " return [[\n\n]] "}) ||
		!reflect.DeepEqual(s.Quoted, []bool{false, false}) {
		t.Fatalf("set_by_lua_block %+v", s)
	}
	if c.LuaLine != 6 || a.Line != 10 {
		t.Fatalf("content at %d, after at %d", c.LuaLine, a.Line)
	}
}
