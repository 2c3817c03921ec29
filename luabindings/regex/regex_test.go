package regex

import (
	"strings"
	"testing"
)

// Expectations below were checked against nginx 1.22 + lua-nginx-module
// 0.10.23 with lua-resty-core.

func TestMatchCaptures(t *testing.T) {
	expect(t, `
local m, err = ngx.re.match("hello, 1234 and 56", "([0-9]+)")
say(m[0], m[1], tostring(m[2]), tostring(err))
m = ngx.re.match("2024-02-29", [[(?<year>\d{4})-(?<month>\d\d)-(\d\d)]])
say(m.year, m.month, m[1], m[2], m[3], #m)
m = ngx.re.match("ab", "(a)(x)?(b)")
say(m[1], m[2], m[3])
say(ngx.re.match("abc", "x"))
say(ngx.re.match("  trim me  ", [[^\s*(.*?)\s*$]])[1] .. "|")
say(tostring(ngx.re.match("abc123", [[^[a-z]+$]])))
say(ngx.re.match("user@example.com", [[^[^@]+@([^@]+)$]])[1])
m = ngx.re.match(nil, "nil")
say(m[0])
`, "1234 1234 nil nil\n2024 02 2024 02 29 3\na false b\nnil\ntrim me|\nnil\nexample.com\nnil\n")
}

func TestMatchOptions(t *testing.T) {
	expect(t, `
local m = ngx.re.match("key = value", [[
    ^ (\w+)    # the key (with parens)
    \s* = \s*
    (\w+) $    # the value
]], "x")
say(m[1] .. "|" .. m[2])
say(ngx.re.match("a b", "a b # c", "x"))
say(ngx.re.match("a#b", "a[#]b", "x")[0])
say(ngx.re.match("HeLLo", "hello", "i")[0])
say(ngx.re.match("a\nb", "^b$", "m")[0])
say(ngx.re.match("a\nb", "^b$"))
say(ngx.re.match("a\nb", "a.b", "s")[0] == "a\nb", ngx.re.match("a\nb", "a.b"))
say(ngx.re.match("abc", "b", "a"), ngx.re.match("abc", "b", "a", {pos = 2})[0])
say(ngx.re.match("abc", "a|b", "ajo")[0])
say(ngx.re.match("abc\n", "abc$")[0])
say(ngx.re.match("aaa", "a{2}", "d")[0])
`, "key|value\nnil\na#b\nHeLLo\nb\nnil\ntrue nil\nnil b\na\nabc\naa\n")
}

func TestUnknownFlag(t *testing.T) {
	out := runLua(t, `say(pcall(ngx.re.match, "abc", "a", "Q"))`)
	if !strings.HasPrefix(out, "false ") || !strings.HasSuffix(out, `unknown flag "Q" (flags "Q")`+"\n") {
		t.Fatalf("got %q", out)
	}
	out = runLua(t, `say(pcall(ngx.re.gsub, "abc", "a", "b", "iz"))`)
	if !strings.HasSuffix(out, `unknown flag "z" (flags "iz")`+"\n") {
		t.Fatalf("got %q", out)
	}
	out = runLua(t, `say(pcall(ngx.re.match, "abc", 12))`)
	if !strings.HasSuffix(out, "attempt to get length of local 'regex' (a number value)\n") {
		t.Fatalf("got %q", out)
	}
}

func TestByteWiseAndUTF8(t *testing.T) {
	expect(t, `
local e = string.char(0xc3, 0xa9)      -- "é" in UTF-8
local E = string.char(0xc3, 0x89)      -- "É"
say(ngx.re.match(e, "^.$"), ngx.re.match(e, "^..$")[0] == e)
say(ngx.re.match(e, "^.$", "u")[0] == e)
say(ngx.re.match(E, e, "i"), ngx.re.match(E, e, "iu")[0] == E)
say(ngx.re.match(e, [[[\x80-\xff]+]])[0] == e)
say(ngx.re.match(string.char(0xff), [[\x{ff}]]) ~= nil)
say(ngx.re.match(e, [[\w]]), ngx.re.match(e, [[\w]], "u"))
say(ngx.re.find("a" .. e .. "b", "b"), ngx.re.find("a" .. e .. "b", "b", "u"))
say(ngx.re.find("x" .. e .. "yz", "y(z)", "u", nil, 1))
local m = ngx.re.match(e .. "12", [[(\d+)]], "u")
say(m[1])
say(ngx.re.gsub("h" .. e .. "llo", "", "-", "u"))
`, "nil true\ntrue\nnil true\ntrue\ntrue\nnil nil\n4 4 4\n5 5\n12\nnil nil pcre_exec() failed: -11\n")
}

func TestCompileErrors(t *testing.T) {
	cases := map[string]string{
		"(":                `pcre_compile() failed: missing ) in "("`,
		"a)b":              `pcre_compile() failed: unmatched parentheses in "a)b" at ")b"`,
		"[abc":             `pcre_compile() failed: missing terminating ] for character class in "[abc"`,
		"*a":               `pcre_compile() failed: nothing to repeat in "*a" at "*a"`,
		"a**":              `pcre_compile() failed: nothing to repeat in "a**" at "*"`,
		"a{2,1}":           `pcre_compile() failed: numbers out of order in {} quantifier in "a{2,1}" at "}"`,
		`a\`:               `pcre_compile() failed: \ at end of pattern in "a\"`,
		"(?<1a>x)":         `pcre_compile() failed: group name must start with a non-digit in "(?<1a>x)" at "1a>x)"`,
		"(?z)":             `pcre_compile() failed: unrecognized character after (? or (?- in "(?z)" at "z)"`,
		`(a)\2`:            `pcre_compile() failed: reference to non-existent subpattern in "(a)\2"`,
		"x{99999}":         `pcre_compile() failed: number too big in {} quantifier in "x{99999}" at "}"`,
		"[[:foo:]]":        `pcre_compile() failed: unknown POSIX class name in "[[:foo:]]" at "foo:]]"`,
		`\x{100}`:          `pcre_compile() failed: character value in \x{} or \o{} is too large in "\x{100}" at "}"`,
		"(?<n>a)(?<n>b)cd": `pcre_compile() failed: two named subpatterns have the same name in "(?<n>a)(?<n>b)cd" at ">b)cd"`,
	}
	for pat, want := range cases {
		re, err := Compile(pat, 0)
		if re != nil || err != want {
			t.Errorf("%q: got %q want %q", pat, err, want)
		}
	}
	// through Lua: match returns nil, err; find/sub return nil, nil, err
	expect(t, `
say(ngx.re.match("abc", "("))
say(ngx.re.find("abc", "("))
say(ngx.re.gsub("abc", "[", "x"))
say(ngx.re.gmatch("abc", "("))
`, `nil pcre_compile() failed: missing ) in "("
nil nil pcre_compile() failed: missing ) in "("
nil nil pcre_compile() failed: missing terminating ] for character class in "["
nil pcre_compile() failed: missing ) in "("
`)
	long := strings.Repeat("a", 200) + "("
	_, err := Compile(long, 0)
	if len(err) != 127 {
		t.Errorf("error not cut to 127 bytes: %d", len(err))
	}
}

func TestPCRESyntax(t *testing.T) {
	expect(t, `
say(ngx.re.match("abc", "[[:alpha:]]+")[0])
say(ngx.re.match("aaa", "a++")[0], ngx.re.match("aaa", "a++a"))
say(ngx.re.match("aaa", "(?P<n>a)").n)
say(ngx.re.match("aXa", "(?P<n>a)X(?P=n)").n)
say(ngx.re.match("aXa", [[(?<n>a)X\k<n>]])[0], ngx.re.match("aXa", [[(a)X\g{1}]])[0], ngx.re.match("aXa", [[(a)X\g{-1}]])[0])
say(ngx.re.match("a.b", [[\Q.\E]])[0])
say(ngx.re.match("x{,3}", "x{,3}")[0], ngx.re.match("a{", "a{")[0])
say(ngx.re.match("foobar", "foo(?=bar)")[0], ngx.re.match("foobar", "(?<=foo)bar")[0])
say(ngx.re.match("abab", [[(ab)\1]])[0])
say(ngx.re.match(string.char(11), [[\s]]) ~= nil, ngx.re.match(string.char(0xa0), [[\s]]))
say(ngx.re.match("x\r\ny", [[x\Ry]])[0] == "x\r\ny", ngx.re.match("a\tb", [[a\hb]])[0] == "a\tb")
say(ngx.re.match("ab", "(?i)AB")[0], ngx.re.match("ab", "(?i:A)b")[0])
say(ngx.re.match("a-b", "[a\\-]+")[0], ngx.re.match("]", "[]]")[0], ngx.re.match("[", "[[]")[0])
say(ngx.re.match("ab1", "(?#comment)[[:digit:]]")[0])
`, "abc\naaa nil\na\na\naXa aXa aXa\n.\nx{,3} a{\nfoo bar\nabab\ntrue nil\ntrue true\nab ab\na- ] [\n1\n")
}

func TestDupNames(t *testing.T) {
	expect(t, `
local m = ngx.re.match("ab", "(?<x>a)|(?<y>b)", "D")
say(type(m.x), m.x[1], m.y, m[1], m[2])
m = ngx.re.match("ab", "(?<x>a)(?<x>b)", "D")
say(table.concat(m.x, ","))
m = ngx.re.match("b", "(?<x>a)?(?<x>b)", "D")
say(table.concat(m.x, ","), m[1], m[2])
say(ngx.re.match("ab", "(?<x>a)(?<x>b)"))
`, "table a nil a false\na,b\nb false b\nnil pcre_compile() failed: two named subpatterns have the same name in \"(?<x>a)(?<x>b)\" at \">b)\"\n")
}

func TestCtxAndRes(t *testing.T) {
	expect(t, `
local ctx = {pos = 5}
local m = ngx.re.match("ab12cd34", "\\d+", "", ctx)
say(m[0], ctx.pos)
m = ngx.re.match("ab12cd34", "\\d+", "", ctx)
say(tostring(m), ctx.pos)
say(ngx.re.match("abc", "x", "", {pos = 10}))
say(ngx.re.match("abc", "$", "", {pos = 4}) ~= nil)
local r = {"x", "y", "z", [5] = "w", foo = "bar"}
local m2 = ngx.re.match("b", "(a)|(b)", "", nil, r)
say(m2 == r, r[0], r[1], r[2], r[3], r[5], r.foo)
ctx = {}
say(ngx.re.find("abcabc", "bc", "", ctx), ctx.pos)
say(ngx.re.find("abcabc", "bc", "", ctx), ctx.pos)
`, "34 9\nnil 9\nnil pcre_exec() failed: -24\ntrue\ntrue b false b z w bar\n2 4\n5 7\n")
}

func TestFind(t *testing.T) {
	expect(t, `
say(ngx.re.find("hello 123", "[0-9]+"))
say(ngx.re.find("hello 123", "(\\d)(\\d)", "", nil, 2))
say(ngx.re.find("hello 123", "(\\d)(x)?", "", nil, 2))
say(ngx.re.find("hello 123", "(\\d)(x)?", "", nil, 3))
say(ngx.re.find("hello", "z"))
say(ngx.re.find("hello", ""))
say(ngx.re.find("abc", "b", "", {pos = 3}))
`, "7 9\n8 8\nnil nil\nnil nil nth out of bound\nnil\n1 0\nnil\n")
}

func TestGmatch(t *testing.T) {
	expect(t, `
local out = {}
for m in ngx.re.gmatch("a=1, b=22, c=333", [[(\w)=(\d+)]]) do
    out[#out + 1] = m[1] .. ":" .. m[2]
end
say(table.concat(out, " "))
local it = ngx.re.gmatch("xy", "z")
say(type(it), tostring(it()), tostring(it()))
out = {}
for m in ngx.re.gmatch("abc", "") do out[#out + 1] = "[" .. m[0] .. "]" end
say(#out, table.concat(out))
out = {}
for m in ngx.re.gmatch("a1b22", [[\d*]]) do out[#out + 1] = "[" .. m[0] .. "]" end
say(table.concat(out))
for m in ngx.re.gmatch("k1=v1", [[(?<k>\w+)=(?<v>\w+)]]) do say(m.k, m.v) end
`, "a:1 b:22 c:333\ntable nil nil\n4 [][][][]\n[][1][][22][]\nk1 v1\n")
}

func TestSubGsub(t *testing.T) {
	expect(t, `
say(ngx.re.gsub("a1b22c333", "\\d+", "#"))
say(ngx.re.gsub("Hello HELLO hello", "hello", "bye", "i"))
say(ngx.re.gsub("a.b.c", [[\.]], "/"))
say(ngx.re.sub("a.b.c", [[\.]], "/"))
say(ngx.re.gsub("abc", "x*", "-"))
say(ngx.re.gsub("abc", "", "-"))
say(ngx.re.gsub("abc", "z", "-"))
say(ngx.re.sub("abc", "(b)", "[$1$2$$${1}x$0]"))
say(ngx.re.sub("abc", "(b)", "$1a"), ngx.re.sub("abc", "(b)", "$10"))
say(ngx.re.sub("abc", "(b)", "$a"))
say(ngx.re.sub("abc", "b", "$"))
say(ngx.re.sub("abc", "b", "${1"))
say(ngx.re.sub("abc", "b", "${1a}"))
say(ngx.re.gsub("abc", "b", function(m) return nil end))
say(ngx.re.gsub("abc", "b", function(m) return 12 end))
say(ngx.re.gsub("hello world", [[(?<w>\w+)]], function(m) return m.w:upper() .. #m[0] end))
say(ngx.re.gsub("a1b2", [[\d]], function(m)
    return ngx.re.gsub(m[0], "\\d", "<$0>")
end))
say(ngx.re.sub(12345, "3", 9))
say(perr(ngx.re.gsub, "abc", "b", function() error("boom") end))
`, "a#b#c# 3\nbye bye bye 3\na/b/c 2\na/b.c 1\n-a-b-c- 4\n-a-b-c- 4\nabc 0\na[b$bxb]c 1\nabac ac 1\n"+
		"nil nil failed to compile the replacement template\n"+
		"nil nil failed to compile the replacement template\n"+
		"nil nil failed to compile the replacement template\n"+
		"nil nil failed to compile the replacement template\n"+
		"anilc 1\na12c 1\nHELLO5 WORLD5 2\na<1>b<2> 2\n12945 1\nfalse boom\n")
}

func TestSplit(t *testing.T) {
	expect(t, `
local split = require("ngx.re").split
local function s(...)
    local res, err = split(...)
    if not res then return "nil " .. err end
    return #res .. ":" .. table.concat(res, "|")
end
say(s("a,b,c,d", ","))
say(s("a,b,c,d", ",", nil, nil, 2))
say(s("a,b,,c,,", ","))
say(s(",a,b", ","))
say(s("a1b22c", [[(\d+)]]))
say(s("abc", ""))
say(s("abc", "", nil, nil, 2))
say(s("a,b,c", ",", nil, {pos = 3}))
say(s("", ","))
say(s("a,b", "("))
local res = {"x", "y", "z", "w"}
split("1,2", ",", nil, nil, nil, res)
say(#res, res[1], res[2], res[3])
say(perr(split, "a", ",", nil, nil, nil, 5))
local ctx = {}
split("a,b,c", ",", nil, ctx) say(ctx.pos)
ctx = {}
split("a,b,c", ",", nil, ctx, 2) say(ctx.pos)
`, "4:a|b|c|d\n2:a|b,c,d\n4:a|b||c\n3:|a|b\n5:a|1|b|22|c\n3:a|b|c\n2:a|bc\n2:b|c\n0:\n"+
		"nil pcre_compile() failed: missing ) in \"(\"\n4 1 2 nil\nfalse res is not a table\n4\n2\n")
}

func TestOpt(t *testing.T) {
	expect(t, `
local re = require "ngx.re"
re.opt("jit_stack_size", 128 * 1024)
say(perr(re.opt, "foo", 1))
`, "false unrecognized option name\n")
}

func TestCacheBounded(t *testing.T) {
	SetCacheMaxEntries(4)
	defer SetCacheMaxEntries(1024)
	expect(t, `for i = 1, 20 do ngx.re.match("a" .. i, "a" .. i, "o") end say("ok")`, "ok\n")
	if n := CacheLen(); n > 4 {
		t.Fatalf("cache holds %d entries", n)
	}
	a, _ := lookup("x+", "", 0)
	b, _ := lookup("x+", "", 0)
	if a != b {
		t.Fatal("same (pattern, opts) compiled twice")
	}
}

// Catastrophic backtracking stops at the match limit with PCRE's -8, for
// every entry point; the limit is a step count, so no time is involved.
func TestMatchLimit(t *testing.T) {
	old := MatchLimit()
	SetMatchLimit(100000)
	defer SetMatchLimit(old)
	subj := `string.rep("a", 40) .. "b"`
	expect(t, `say(ngx.re.match(`+subj+`, "^(a|aa)+$", "o"))`, "nil pcre_exec() failed: -8\n")
	expect(t, `say(ngx.re.find(`+subj+`, "^(a|aa)+$"))`, "nil nil pcre_exec() failed: -8\n")
	expect(t, `say(ngx.re.gsub(`+subj+`, "(a|aa)+$", "x"))`, "nil nil pcre_exec() failed: -8\n")
	expect(t, `local it = ngx.re.gmatch(`+subj+`, "(a|aa)+$"); say(it())`, "nil pcre_exec() failed: -8\n")
	// the same pattern on a subject it matches is fine under the limit
	expect(t, `say(ngx.re.match(string.rep("a", 40), "^(a|aa)+$")[0] == string.rep("a", 40))`, "true\n")
	// the d option ignores the configured limit, as pcre_dfa_exec
	SetMatchLimit(1)
	expect(t, `say(ngx.re.find("x <a> <b> y", "<.*>", "d"))`, "3 9\n")
	expect(t, `say(ngx.re.find("x <a> <b> y", "<.*>"))`, "nil nil pcre_exec() failed: -8\n")
	// 0 restores PCRE's default
	SetMatchLimit(0)
	if MatchLimit() != DefaultMatchLimit {
		t.Fatalf("limit %d", MatchLimit())
	}
}

// Under "u" a subject that is not valid UTF-8 is refused as PCRE's
// pcre_exec does (PCRE_ERROR_BADUTF8); "U" skips the check.
func TestBadUTF8Subject(t *testing.T) {
	expect(t, `
local cut = string.sub("你好", 1, 4)
say(ngx.re.find(cut, "你好", "u"))
say(ngx.re.match(cut, "x", "u"))
say(ngx.re.find(cut, "你", "U"))
say(ngx.re.find(cut, "你"))
`, "nil nil pcre_exec() failed: -10\nnil pcre_exec() failed: -10\n1 3\n1 3\n")
}
