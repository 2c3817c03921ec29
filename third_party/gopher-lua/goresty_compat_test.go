package lua

import (
	"math"
	"strings"
	"testing"
)

// evalLua runs code, which must return values, and joins them with
// tostring and spaces.
func evalLua(t *testing.T, code string) string {
	t.Helper()
	L := NewState()
	defer L.Close()
	if err := L.DoString(code); err != nil {
		t.Fatalf("%s: %v", code, err)
	}
	parts := []string{}
	for i := 1; i <= L.GetTop(); i++ {
		parts = append(parts, L.ToStringMeta(L.Get(i)).String())
	}
	return strings.Join(parts, " ")
}

type luaCase struct{ code, want string }

func checkCases(t *testing.T, cases []luaCase) {
	t.Helper()
	for _, c := range cases {
		if got := evalLua(t, c.code); got != c.want {
			t.Errorf("%s\n got: %q\nwant: %q", c.code, got, c.want)
		}
	}
}

// Expected values were produced by OpenResty's LuaJIT 2.1.

func TestNumberToString(t *testing.T) {
	checkCases(t, []luaCase{
		{`return 0.1+0.2, 1e100, 1e15, 2^53, 123456789012345, 1e14, 100, 1e14-1`, "0.3 1e+100 1e+15 9.007199254741e+15 1.2345678901235e+14 1e+14 100 99999999999999"},
		{`local z = 0 return -z, 1/(-z), 1/0, -1/0, 0/0, -(0/0), -0.0`, "-0 -inf inf -inf nan nan -0"},
		{`return 2^63, -2^63, 1e-5, 123.456, 5e-324, 1/3, -1/3, 1234567890123.25, 0.1`, "9.2233720368548e+18 -9.2233720368548e+18 1e-05 123.456 4.9406564584125e-324 0.33333333333333 -0.33333333333333 1234567890123.3 0.1"},
		{`return 1/3 .. "", 2^53 .. "", 10/2 .. "", -1e15 .. "", math.pi .. ""`, "0.33333333333333 9.007199254741e+15 5 -1e+15 3.1415926535898"},
		{`return table.concat({1, 2.5, 1/3}, ","), string.len(1/3), string.upper(1e100), string.rep(0.1+0.2, 2), string.sub(1/3, 1, 5)`, "1,2.5,0.33333333333333 16 1E+100 0.30.3 0.333"},
		{`return string.format("%s|%s", 1/3, 2^63), tostring(1e300*1e10), math.huge, -math.huge`, "0.33333333333333|9.2233720368548e+18 inf inf -inf"},
	})
	for _, c := range []struct {
		f    float64
		want string
	}{{0.5, "0.5"}, {1e14, "1e+14"}, {-123.5, "-123.5"}, {1e-4, "0.0001"}, {1.5e-5, "1.5e-05"}, {99999999999999.5, "1e+14"}, {math.Copysign(0, -1), "-0"}, {math.NaN(), "nan"}} {
		if got := FormatNumber(c.f); got != c.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestStringToNumber(t *testing.T) {
	checkCases(t, []luaCase{
		{`return tonumber("1e2"), tonumber("  12  "), tonumber("0x10"), tonumber("ff",16), tonumber("zz",36), tonumber("8",8), tonumber("10", 2), tonumber("-ff",16), tonumber("  -0x10  ")`, "100 12 16 255 1295 nil 2 -255 -16"},
		{`return tonumber(""), tonumber(" "), tonumber("0x"), tonumber("1e"), tonumber("1 2"), tonumber("0x-1"), tonumber("- 1"), tonumber("1.5e"), tonumber("1_000"), tonumber("1\0")`, "nil nil nil nil nil nil nil nil nil nil"},
		{`return tonumber("1.5", 10), tonumber(" 11 ",2), tonumber("0x1p4"), tonumber(".5"), tonumber("5."), tonumber("1e+2"), tonumber("+5"), tonumber("\t\n12\r"), tonumber("010")`, "1.5 3 16 0.5 5 100 5 12 10"},
		{`return tonumber("inf"), tonumber("nan"), tonumber("-inf"), tonumber("Infinity"), tonumber("1e400"), tonumber("0xA.8")`, "inf nan -inf inf inf 10.5"},
		{`return tonumber("7fffffff", 16), tonumber("ffffffffffffffff", 16), tonumber("1.5", 16), tonumber("", 16), tonumber("Z", 36), tonumber(10, 16), tonumber("0x10", 16), tonumber("0x10", 10)`, "2147483647 1.844674407371e+19 nil nil 35 16 16 16"},
		{`return pcall(tonumber, "10", 1)`, "false bad argument #2 to '?' (base out of range)"},
		{`return "10"+1, "0x10"+0, " 3 " * 2, "1e1" * 1, -"2", "5" % 3, "2" ^ 2, 10 .. ""`, "11 16 6 10 -2 2 4 10"},
		{`return pcall(function() return "abc" + 1 end)`, "false <string>:1: attempt to perform arithmetic on a string value"},
	})
}

func TestMathCorners(t *testing.T) {
	checkCases(t, []luaCase{
		{`return math.huge, -math.huge, math.huge == 1/0`, "inf -inf true"},
		{`return math.fmod(5.5,2), math.fmod(-5,3), math.fmod(5,0), math.fmod(1, math.huge), math.fmod(-6, 3), math.fmod(math.huge, 1), math.fmod(0/0, 1)`, "1.5 -2 nan 1 -0 nan nan"},
		{`local a, b = math.modf(3.7) local c, d = math.modf(-3.7) local e, f = math.modf(math.huge) local g, h = math.modf(-math.huge) return a, b, c, d, e, f, g, h`, "3 0.7 -3 -0.7 inf 0 -inf -0"},
		{`local a, b = math.modf(0/0) local c, d = math.modf(-0.5) local e, f = math.modf(5) return a, b, c, d, e, f`, "nan nan -0 -0.5 5 0"},
		{`return math.log(8, 2), math.log(1000, 10), math.log(27, 3), math.floor(-0.0), 5 % 0`, "3 3 3 -0 nan"},
	})
}

func TestLexerEscapes(t *testing.T) {
	checkCases(t, []luaCase{
		{"return \"\\x41\\x4a\\x4A|\\z   \n      X|\\u{48}\\u{e9}\\u{20AC}|\\065\\0651|\\2551|\"", "AJJ|X|Hé€|AA1|\xff1|"},
		{`return 0x1p4, 0x10, 0xA.8p0, 1e2, .5, 3., 0x.1, 1E-2, 0XFF, 1e+2, 0x1P-1`, "16 16 10.5 100 0.5 3 0.0625 0.01 255 100 0.5"},
	})
	for src, want := range map[string]string{
		`return '\u{110000}'`:                 `[string "return '\u{110000}'"]:1: invalid escape sequence`,
		`return '\x'`:                         `invalid escape sequence`,
		`return '\x4g'`:                       `invalid escape sequence`,
		`return '\400'`:                       `invalid escape sequence`,
		`return '\q'`:                         `invalid escape sequence`,
		`x = = 1`:                             `[string "x = = 1"]:1: unexpected symbol near '='`,
		`x = 'abc`:                            `[string "x = 'abc"]:1: unfinished string near '<eof>'`,
		`x = 1 +`:                             `[string "x = 1 +"]:1: unexpected symbol near '<eof>'`,
		"x = 'abc\ndef'":                      `[string "x = 'abc..."]:1: unfinished string near ''abc'`,
		"local x = 1\nlocal y = 2\n  x = = 3": `[string "local x = 1..."]:3: unexpected symbol near '='`,
		`return 0x1g`:                         `malformed number near '0x1g'`,
		`return 1..2`:                         `malformed number near '1..2'`,
		`return 1e`:                           `malformed number near '1e'`,
		`x = [[abc`:                           `unfinished long string near '<eof>'`,
		`goto nowhere`:                        `[string "goto nowhere"]:1: `,
	} {
		L := NewState()
		L.Push(L.GetGlobal("loadstring"))
		L.Push(LString(src))
		L.Call(1, 2)
		if msg := L.Get(-1).String(); L.Get(-2) != LNil || !strings.Contains(msg, want) {
			t.Errorf("loadstring(%q) = %v, %q; want nil and %q", src, L.Get(-2), msg, want)
		}
		L.Close()
	}
	checkCases(t, []luaCase{
		{`local f = loadstring("error('x')", "=mychunk") return select(2, pcall(f))`, "mychunk:1: x"},
		{`local f = loadstring("error('x')", "@/a/b.lua") return select(2, pcall(f))`, "/a/b.lua:1: x"},
		{`local f = load("return 1 + 1") return f()`, "2"},
	})
}

func TestArgErrors(t *testing.T) {
	checkCases(t, []luaCase{
		{`return pcall(function() return math.floor("x") end)`, "false <string>:1: bad argument #1 to 'floor' (number expected, got string)"},
		{`return pcall(function() return string.rep() end)`, "false <string>:1: bad argument #1 to 'rep' (string expected, got no value)"},
	})
}

func BenchmarkNumberToString(b *testing.B) {
	for i := 0; i < b.N; i++ {
		FormatNumber(float64(i) / 7)
	}
}

func BenchmarkIntegerToString(b *testing.B) {
	for i := 0; i < b.N; i++ {
		FormatNumber(float64(i))
	}
}

func BenchmarkParseNumber(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ParseNumber(" 12345 ")
		ParseNumber("1.5e3")
	}
}

func TestLibraryCorners(t *testing.T) {
	checkCases(t, []luaCase{
		{`return type(collectgarbage("count")), collectgarbage("step"), collectgarbage(), collectgarbage("collect")`, "number false 0 0"},
		{`return math.random(2, 1), math.random(1, 1), math.random(0) , math.random(5) <= 5`, "2 1 1 true"},
		{`return pcall(table.insert, {}, 1, 2, 3)`, "false wrong number of arguments to 'insert'"},
		{`return pcall(table.concat, {{}}, ",")`, "false invalid value (table) at index 1 in table for 'concat'"},
		{`return pcall(string.char, 256)`, "false bad argument #1 to '?' (invalid value)"},
		{`return table.foreach({a=1}, function(k, v) return k .. v end), table.foreachi({5,6}, function(i, v) if v == 6 then return i end end)`, "a1 2"},
		{`return select(2, xpcall(function() local t = nil; return t.x end, debug.traceback)):match("%[C%]: in function 'xpcall'") ~= nil`, "true"},
	})
	L := NewState()
	defer L.Close()
	if err := L.DoString(`collectgarbage("bogus")`); err == nil || !strings.Contains(err.Error(), "invalid option 'bogus'") {
		t.Errorf("collectgarbage(bogus): %v", err)
	}
}

// require keeps a value the module chunk returns even after module()
// stored its table in package.loaded (Lua 5.1's ll_require).
func TestRequireReturnWinsOverModule(t *testing.T) {
	checkCases(t, []luaCase{
		{`package.preload.m1 = function(...) module(...); return 32 end
		  return require("m1"), package.loaded.m1`, "32 32"},
		{`package.preload.m2 = function(...) module(...) end
		  return type(require("m2")), require("m2") == package.loaded.m2`, "table true"},
		{`package.preload.m3 = function() end
		  return require("m3")`, "true"},
	})
}
