package lua

import "testing"

// Expected values were produced by OpenResty's LuaJIT 2.1.

func TestPatternFrontier(t *testing.T) {
	checkCases(t, []luaCase{
		{`return string.find("THE (quick) fox", "%f[%a]%a+")`, "1 3"},
		{`return string.gsub("THE (quick) fox", "%f[%a]%a+", "X")`, "X (X) X 3"},
		{`local t = {} for w in string.gmatch("hello world from lua", "%f[%w]%w+") do t[#t+1] = w end return table.concat(t, ",")`, "hello,world,from,lua"},
		{`return string.match("  x", "%f[%S].*"), string.find("abc", "%f[%z]"), string.gsub("hello world", "%f[%w]", "<")`, "x 4 <hello <world 2"},
		{`return string.match("THE (quick) fox", "%f[%a]%a+", 5)`, "quick"},
	})
}

func TestPatterns(t *testing.T) {
	checkCases(t, []luaCase{
		{`return string.gsub("abc", "b", "%a")`, "aac 1"},
		{`return string.find("abc", "", 10), string.find("abc", "", 4), string.find("", ""), string.find("abc", "c", -1), string.find("abc", "a", -10)`, "4 4 1 3 1 1"},
		{`return string.match("abc", "", 10), string.match("abc", "()", 4)`, " 4"},
		{`return string.gsub("hello world", "o", "0", 1)`, "hell0 world 1"},
		{`return string.gsub("abc", "", "-")`, "-a-b-c- 4"},
		{`return string.gsub("abc", "^", ">"), string.gsub("abc", "$", "<"), string.gsub("abc", ".-", "x")`, ">abc abc< xaxbxcx 4"},
		{`return string.gsub("hello", "(l)(l)", "%2%1%0%%")`, "hellll%o 1"},
		{`return string.gsub("abc", "%w", {a = 1, b = false}), string.gsub("a.b", "%.", "%%")`, "1bc a%b 1"},
		{`return string.gsub("abc", "%w", function(c) if c == "b" then return nil end return c:upper() end)`, "AbC 3"},
		{`local t = {} for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do t[#t+1] = k .. ":" .. v end return table.concat(t, ";")`, "a:1;b:2"},
		{`local n = 0 for m in string.gmatch("abc", "") do n = n + 1 end return n`, "4"},
		{`local t = {} for a in string.gmatch("^a^b", "^%w") do t[#t+1] = a end return table.concat(t, ",")`, "^a,^b"},
		{`return string.match("key = value", "(%w+)%s*=%s*(%w+)")`, "key value"},
		{`return string.match("hello", "()ll()")`, "3 5"},
		{`return string.find("a+b", "+", 1, true), string.find("x(y)", "(", 1, true), string.find("abc", "a)")`, "2 2 nil"},
		{`return string.match("  trim  ", "^%s*(.-)%s*$") .. "|", string.match("[[x]]", "%[%[(.*)%]%]"), string.match("f(a(b)c)d", "%b()")`, "trim| x (a(b)c)"},
		{`return string.match("aaa", "a-b"), string.match("aaab", "a-b"), string.match("b", "a?b"), string.match("abc", "[^a]+"), string.match("a-b", "[a-]+"), string.match("a]b", "[]]"), string.match("x^y", "[%^]")`, "nil aaab b bc a- ] ^"},
		{`return string.find("aaa bbb", "(%w+())")`, "1 3 aaa 4"},
		{`return string.match("2024-01-02", "(%d+)-(%d+)-(%d+)")`, "2024 01 02"},
		{`return string.match("abab", "(ab)%1")`, "ab"},
	})
	for pat, want := range map[string]string{
		"[a":    "malformed pattern (missing ']')",
		"%":     "malformed pattern (ends with '%')",
		"%f":    "missing '[' after '%f' in pattern",
		"(()":   "unfinished capture",
		"%1":    "invalid capture index",
		"a)(":   "invalid pattern capture",
		"(a)%2": "invalid capture index",
		"%b":    "unbalanced pattern",
		"((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))": "too many captures",
	} {
		L := NewState()
		err := L.DoString(`string.find("abc", "` + pat + `")`)
		if err == nil || !containsStr(err.Error(), want) {
			t.Errorf("pattern %q: error %v, want %q", pat, err, want)
		}
		L.Close()
	}
	checkCases(t, []luaCase{
		{`return pcall(string.gsub, "abc", "%w", {a = {}})`, "false invalid replacement value (a table)"},
		{`return pcall(string.rep, "x", 1e10)`, "false not enough memory"},
	})
}

func TestFormat(t *testing.T) {
	checkCases(t, []luaCase{
		{`return string.format("%d %x %X %5.2s|", 3.7, -1, 255, "abcdef")`, "3 ffffffffffffffff FF    ab|"},
		{`return string.format("%.2f|%.14g|%.0f|%.0f|%.1f|%.2e|%.3g", 0.125, 1234567890123.25, -0.5, 3.5, 0.05, 1.125, 2.5e-5)`, "0.13|1234567890123.3|-1|4|0.1|1.13e+00|2.5e-05"},
		{`return string.format("%#g|%#.3g|%#x|%#o|%#.0f|%#e", 1, 1.5, 0, 0, 3, 1)`, "1.00000|1.50|0|0|3.|1.000000e+00"},
		{`return string.format("%a|%A", 1, 0.5)`, "0x1p+0|0X1P-1"},
		{`return string.format("%u|%o|%X|%c|%5c|%-3c|", 42, -1, -255, 65, 66, 67)`, "42|1777777777777777777777|FFFFFFFFFFFFFF01|A|    B|C  |"},
		{`return string.format("%d|%d|%i|%x", 2^63, -2^64, 2^53+1, 2^64), string.format("%d", 0/0), string.format("%x", -1/0)`, "-9223372036854775808|-9223372036854775808|9007199254740992|0 -9223372036854775808 8000000000000000"},
		{`return string.format("%5.2f|%-8.3f|%+.1f|% .2f|%08.3f|%-08d|", 1/3, 2/3, 1, 1, -1.5, 5)`, " 0.33|0.667   |+1.0| 1.00|-001.500|5       |"},
		{`return string.format("%f|%e|%g|%f|%g|%e|%05f", 1/0, -1/0, 0/0, 0/0, -1/0, 1e308*10, 1/0)`, "inf|-inf|nan|nan|-inf|inf|  inf"},
		{`return string.format("%5s|%5.1s|%-6.2s|%.10s|", 1, 1.25, "xyz", "abc")`, "    1|    1|xy    |abc|"},
		{`return string.format("%s %s", setmetatable({}, {__tostring=function() return "TS" end}), nil)`, "TS nil"},
		{`return string.format("%q", 1/0), string.format("%q", 2^63), string.format("%q", 10), string.format("%q", 1/3)`, `"inf" "9.2233720368548e+18" "10" "0.33333333333333"`},
		{`return string.format("%q", "\r\n\t\0\1\0012\31\127\128x\\\"") == '"\\13\\\n\\9\\0\\1\\0012\\31\\127\128x\\\\\\""'`, "true"},
		{`return string.format("%.14g|%.17g|%.20g|%g|%g|%.0g|%.0e|%.0e", 0.1, 0.1, 0.1, 1e-5, 123456789, 0.5, 2.5, 15)`, "0.1|0.10000000000000001|0.10000000000000000555|1e-05|1.23457e+08|0.5|3e+00|2e+01"},
		{`return string.format("%e|%g|%g|%f|%d|%.3f|%.3f|%.2f", 0, 0, -0.0, -0.0, -0.0, 0.0005, 0.0015, 2.675)`, "0.000000e+00|0|-0|-0.000000|0|0.001|0.002|2.67"},
		{`return string.format("%-5d|%5.3d|%+.2d|% d|%05d|%x|%#X|%o", 42, 7, 3, 9, -42, 255, 255, 8)`, "42   |  007|+03| 9|-0042|ff|0XFF|10"},
		{`return #string.format("%.99f", 1), #string.format("%99.2f", 1), string.format("%%|%%")`, "101 99 %|%"},
	})
	for f, want := range map[string]string{
		`string.format("%d", "x")`:   "bad argument #2 to 'format' (number expected, got string)",
		`string.format("%d")`:        "bad argument #2 to 'format' (value expected)",
		`string.format("%s|%s", 1)`:  "bad argument #3 to 'format' (value expected)",
		`string.format("%z", 1)`:     "invalid option '%z' to 'format'",
		`string.format("%5", 1)`:     "invalid option '%5' to 'format'",
		`string.format("%", 1)`:      "invalid option '%' to 'format'",
		`string.format("%123d", 1)`:  "invalid option '%123' to 'format'",
		`string.format("%.123f", 1)`: "invalid option '%.123' to 'format'",
		`string.format("%d", {})`:    "number expected, got table",
	} {
		L := NewState()
		err := L.DoString(f)
		if err == nil || !containsStr(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", f, err, want)
		}
		L.Close()
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func BenchmarkGsub(b *testing.B) {
	L := NewState()
	defer L.Close()
	fn, _ := L.LoadString(`for i = 1, 100 do string.gsub("hello world from lua", "%w+", "%0!") end`)
	for i := 0; i < b.N; i++ {
		L.Push(fn)
		L.Call(0, 0)
	}
}

func BenchmarkFormat(b *testing.B) {
	L := NewState()
	defer L.Close()
	fn, _ := L.LoadString(`for i = 1, 100 do string.format("%s=%d (%.2f) %q", "k", i, i / 3, "v") end`)
	for i := 0; i < b.N; i++ {
		L.Push(fn)
		L.Call(0, 0)
	}
}
