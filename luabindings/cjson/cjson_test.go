package cjson

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// run executes code in a fresh VM; say() collects lines like ngx.say.
func run(t *testing.T, code string) string {
	t.Helper()
	vm := luabindings.NewVM(0, 1, "/tmp", nil)
	defer vm.Close()
	var out strings.Builder
	vm.L.SetGlobal("say", vm.L.NewFunction(func(L *lua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatalf("lua error: %v", err)
	}
	return out.String()
}

func check(t *testing.T, code, want string) {
	t.Helper()
	got := run(t, code)
	if got != want {
		t.Errorf("code:\n%s\ngot:\n%s\nwant:\n%s", code, got, want)
	}
}

func TestConformance(t *testing.T) {
	// 07-cjson.t
	check(t, `local cjson = require "cjson"
say(cjson.encode("str"), " ", cjson.encode(12), " ", cjson.encode(true), " ", cjson.encode(cjson.null), " ", cjson.encode(nil))
say(cjson.encode({}))
say(cjson.encode({items = {}}))
say(cjson.encode(cjson.decode("[]")))
say(cjson.encode({[1] = "a", [3] = "c"}))
say(cjson.encode({[2] = true}))
local c2 = require("cjson").new()
c2.encode_sparse_array(true)
local s = c2.encode({[1] = 1, [100] = 2})
say(s == '{"1":1,"100":2}' or s == '{"100":2,"1":1}')
say(cjson.encode('quote " backslash \\ slash / nl \n tab \t cr \r'))
say(cjson.encode("ctl \1 \31 del \127"))
say(cjson.encode("utf8 é ✓"))
local t = cjson.decode('{"a": {"b": [10, 20, {"c": null}]}, "n": -1.5e2, "t": true}')
say(t.a.b[2], " ", t.n, " ", tostring(t.t), " ", t.a.b[3].c == cjson.null, " ", t.a.b[3].c == ngx.null)
say(type(t.a.b[3].c), " ", #t.a.b)
local ok, err = pcall(cjson.encode, {print})
say(ok, " ", err)
local t = {}
local cur = t
for i = 1, 1100 do cur[1] = {} cur = cur[1] end
ok, err = pcall(cjson.encode, t)
say(ok, " ", err)
say(cjson.decode('{"k": 1, "k": 2}').k)
say(tostring(cjson.null), " ", require("cjson.safe").null == ngx.null)
`, `"str" 12 true null null
{}
{"items":{}}
{}
["a",null,"c"]
[null,true]
true
"quote \" backslash \\ slash \/ nl \n tab \t cr \r"
"ctl \u0001 \u001f del \u007f"
"utf8 é ✓"
20 -150 true true true
userdata 3
false Cannot serialise function: type not supported
false Cannot serialise, excessive nesting (1001)
2
userdata: NULL true
`)
}

// Expected values below were recorded from lua-cjson on LuaJIT (the
// OpenResty fork differs from upstream where noted).
func TestEncodeNumbers(t *testing.T) {
	check(t, `local cjson = require "cjson"
local z = 0
say(cjson.encode(-z))
for _, v in ipairs({0.1, 1/3, 1e15, 123456789012345, 1e-5, 100, 2^53, 1.5e300, -1e-300, 12345678901234, 3.14, -7}) do
  say(cjson.encode(v))
end
say(cjson.encode({[0] = 1}))
say(select(2, pcall(cjson.encode, {[true] = 1})))
say(select(2, pcall(cjson.encode, 1/0)))
say(select(2, pcall(cjson.encode, {a = 0/0})))
say(cjson.encode_invalid_numbers("null"), cjson.encode(1/0), cjson.encode_invalid_numbers(true), cjson.encode(-1/0), cjson.encode(0/0), cjson.encode(1/0))
local c = cjson.new()
say(c.encode_number_precision(3), c.encode(3.14159), c.encode(1234567), c.encode(100))
say(c.encode_number_precision(16), c.encode(0.1), c.encode(2^53 + 0.0))
say(select(2, pcall(c.encode_number_precision, 17)))
say(cjson.encode({[1.5] = "x"}))
`, `-0
0.1
0.33333333333333
1e+15
1.2345678901234e+14
1e-05
100
9.007199254741e+15
1.5e+300
-1e-300
12345678901234
3.14
-7
{"0":1}
Cannot serialise boolean: table key must be a number or string
Cannot serialise number: must not be NaN or Infinity
Cannot serialise number: must not be NaN or Infinity
nullnulltrue-InfinityNaNInfinity
33.141.23e+06100
160.19007199254740992
bad argument #1 to '?' (expected integer between 1 and 16)
{"1.5":"x"}
`)
}

func TestDecodeErrors(t *testing.T) {
	check(t, `local cjson = require "cjson"
local function d(s)
  local ok, r = pcall(cjson.decode, s)
  if ok and type(r) == "table" or type(r) == "string" and ok then r = cjson.encode(r)
  elseif type(r) == "number" then
    if r ~= r then r = "nan" elseif r > 1e308 then r = "inf" elseif r < -1e308 then r = "-inf" else r = string.format("%.14g", r) end
  end
  say(tostring(ok), " ", tostring(r))
end
d('{"a":1 "b":2}') d('[1 2]') d('') d('  ') d('nul') d('[1,]') d('{"a":}') d('"\\x"') d('"\\u12"') d('"abc')
d('0x10') d('-Infinity') d('NaN') d('+5') d('01') d('1.5e') d('[1] x') d('{1:2}') d('{"a" 1}') d('"\\ud800"')
d('"\\u00e9\\ud83d\\ude00"') d('1e400') d('-0') d('123456789012345678') d('"a\0b"') d('\0a') d('[1]\0junk')
d(string.rep("[", 1001) .. string.rep("]", 1001))
d('"\\udc00"') d('"\\ud800\\u0041"') d('[true,false,null]') d(' {"a" : [ 1 , 2.5e1 ] } ') d('tru') d('-') d('1.')
d('.5') d('[-]') d('"\\/\\b\\f\\n\\r\\t\\"\\\\"') d(12) d('inf') d('-nan') d('1e5x')
`, `false Expected comma or object end but found T_STRING at character 8
false Expected comma or array end but found T_NUMBER at character 4
false Expected value but found T_END at character 1
false Expected value but found T_END at character 3
false Expected value but found invalid token at character 1
false Expected value but found T_ARR_END at character 4
false Expected value but found T_OBJ_END at character 6
false Expected value but found invalid escape code at character 2
false Expected value but found invalid unicode escape code at character 2
false Expected value but found unexpected end of string at character 5
true 16
true -inf
true nan
true 5
true 1
false Expected the end but found invalid token at character 4
false Expected the end but found invalid token at character 5
false Expected object key string but found T_NUMBER at character 2
false Expected colon but found T_NUMBER at character 6
false Expected value but found invalid unicode escape code at character 2
true "é😀"
true inf
true -0
true 1.2345678901235e+17
false Expected value but found unexpected end of string at character 3
false JSON parser does not support UTF-16 or UTF-32
true [1]
false Found too many nested data structures (1001) at character 1001
false Expected value but found invalid unicode escape code at character 2
false Expected value but found invalid unicode escape code at character 2
true [true,false,null]
true {"a":[1,25]}
false Expected value but found invalid token at character 1
false Expected value but found invalid number at character 1
true 1
false Expected value but found invalid token at character 1
false Expected value but found invalid number at character 2
true "\/\b\f\n\r\t\"\\"
true 12
true inf
true nan
false Expected the end but found invalid token at character 4
`)
}

func TestArgsAndOptions(t *testing.T) {
	check(t, `local cjson = require "cjson"
say(select(2, pcall(cjson.encode)))
say(select(2, pcall(cjson.encode, 1, 2)))
say(select(2, pcall(cjson.decode)))
say(select(2, pcall(cjson.decode, {})))
say(cjson.encode_sparse_array())
say(select(2, pcall(cjson.encode_sparse_array, "x")))
say(select(2, pcall(cjson.encode_sparse_array, true, -1)))
say(select(2, pcall(cjson.encode_max_depth, 0)))
say(select(2, pcall(cjson.encode_max_depth, 1, 2)))
say(cjson.encode_keep_buffer(), cjson.encode_keep_buffer("off"), cjson.encode({1}))
local ok, err = pcall(function() cjson.encode() end)
say(err)
local s = require "cjson.safe"
say(s.decode("[x"))
say(s.encode(print))
say(select(2, pcall(s.encode)))
say(cjson._NAME, " ", s._NAME, " ", type(cjson._VERSION))
say(cjson.encode({["a/b"] = "x\0y"}))
say(cjson.decode('{"a":null}').a == ngx.null, " ", s.null == cjson.null, " ", cjson.new().null == ngx.null)
local s2 = s.new()
say(s2.decode("{"))
say(cjson.encode_escape_forward_slash(false), cjson.encode("a/b"), cjson.encode_escape_forward_slash(true), cjson.encode("a/b"))
say(s.encode("a/b"))
`, `bad argument #1 to '?' (expected 1 argument)
bad argument #1 to '?' (expected 1 argument)
bad argument #1 to '?' (expected 1 argument)
bad argument #1 to '?' (string expected, got table)
false210
bad argument #1 to '?' (invalid option 'x')
bad argument #1 to '?' (expected integer between 0 and 2147483647)
bad argument #1 to '?' (expected integer between 1 and 2147483647)
bad argument #2 to '?' (found too many arguments)
truefalse[1]
bad argument #1 to 'encode' (expected 1 argument)
nilExpected value but found invalid token at character 2
nilCannot serialise function: type not supported
bad argument #1 to '?' (expected 1 argument)
cjson cjson string
{"a\/b":"x\u0000y"}
true true true
nilExpected object key string but found T_END at character 2
false"a/b"true"a\/b"
"a\/b"
`)
}

func TestArraysAndMetatables(t *testing.T) {
	check(t, `local cjson = require "cjson"
say(cjson.encode(cjson.empty_array), cjson.encode({a = cjson.empty_array}))
say(cjson.encode(setmetatable({}, cjson.empty_array_mt)), cjson.encode(setmetatable({}, cjson.array_mt)))
say(cjson.encode(setmetatable({1, 2}, cjson.empty_array_mt)))
say(cjson.encode(setmetatable({a = 1}, cjson.empty_array_mt)))
say(cjson.encode(setmetatable({1, 2, a = 1}, cjson.array_mt)))
say(cjson.encode(setmetatable({}, {__len = function() return 2 end, __index = function(t, k) return k * 10 end})))
local c = cjson.new()
say(c.encode_empty_table_as_object(false), c.encode({}), c.encode({a = {}}))
say(c.decode_array_with_array_mt(true), c.encode(c.decode("[]")), getmetatable(c.decode("[1]")) == cjson.array_mt, getmetatable(c.decode("{}")) == nil)
say(cjson.encode({1, 2, 3, nil, 5}))
say(select(2, pcall(cjson.encode, {[1] = 1, [20] = 2})))
say(cjson.encode({[1] = 1, [10] = 2}))
local c2 = cjson.new()
say(c2.encode_sparse_array(false, 0), c2.encode({[1] = 1, [30] = 2}):sub(1, 12))
say(c2.encode_sparse_array(true, 2, 1), c2.encode({[1] = 1, [5] = 2}) == '{"1":1,"5":2}' or c2.encode({[1] = 1, [5] = 2}) == '{"5":2,"1":1}')
local c3 = cjson.new()
c3.encode_skip_unsupported_value_types(true)
say(c3.encode({1, print, 3}), c3.encode({f = print}), c3.encode({print, 2}))
local c4 = cjson.new()
c4.encode_indent("  ")
say(c4.encode({a = {1, 2}}))
say(c4.encode({}), c4.encode({{}}))
local c5 = cjson.new()
say(c5.decode_allow_comment(true), c5.encode(c5.decode('/* x */ [1, // y\n 2]')))
say(select(2, pcall(c5.decode, '[1] /* x')))
say(select(2, pcall(cjson.decode, '[1] /* x */')))
local ok, err = pcall(cjson.encode, setmetatable({}, {__len = function() error("boom") end}))
say(ok, " ", err)
local c6 = cjson.new()
say(c6.encode_max_depth(2), select(2, pcall(c6.encode, {{{}}})), c6.encode({{}}))
say(c6.decode_max_depth(2), select(2, pcall(c6.decode, '[[[1]]]')), c6.encode(c6.decode('[[1]]')))
say(select(2, pcall(cjson.encode, coroutine.create(print))))
`, `[]{"a":[]}
[][]
[1,2]
[]
[1,2]
[10,20]
false[]{"a":[]}
true[]truetrue
[1,2,3,null,5]
Cannot serialise table: excessively sparse array
[1,null,null,null,null,null,null,null,null,2]
false[1,null,null
truetrue
[1,3]{}[2]
{
  "a": [
    1,
    2
  ]
}
{}[
  {}
]
true[1,2]
Expected the end but found unclosed multi-line comment at character 9
Expected the end but found invalid token at character 5
false t:28: boom
2Cannot serialise, excessive nesting (3)[{}]
2Found too many nested data structures (3) at character 3[[1]]
Cannot serialise thread: type not supported
`)
}

// Integers past 2^53 decode to the nearest double, as strtod gives them
// (the values below were printed by LuaJIT with lua-cjson); they were
// clamped to 2^63-1 before.
func TestDecodeLargeIntegers(t *testing.T) {
	check(t, `local cjson = require "cjson"
for _, s in ipairs{"12345678901234567890", "-12345678901234567890", "9007199254740993",
                   "9223372036854775807", "9223372036854775808", "-9223372036854775809",
                   "123456789012345678901234567890", "9007199254740992", "42"} do
    local v = cjson.decode("[" .. s .. "]")[1]
    say(v, " ", string.format("%.17g", v), " ", cjson.encode(v))
end`, `1.2345678901235e+19 1.2345678901234567e+19 1.2345678901235e+19
-1.2345678901235e+19 -1.2345678901234567e+19 -1.2345678901235e+19
9.007199254741e+15 9007199254740992 9.007199254741e+15
9.2233720368548e+18 9.2233720368547758e+18 9.2233720368548e+18
9.2233720368548e+18 9.2233720368547758e+18 9.2233720368548e+18
-9.2233720368548e+18 -9.2233720368547758e+18 -9.2233720368548e+18
1.2345678901235e+29 1.2345678901234568e+29 1.2345678901235e+29
9.007199254741e+15 9007199254740992 9.007199254741e+15
42 42 42
`)
}

// Errors carry the calling Lua code's position as luaL_error adds it;
// none when pcall calls cjson directly or a tail call does.
func TestErrorPosition(t *testing.T) {
	check(t, `
local cjson = require "cjson"
say(select(2, pcall(function() local v = cjson.decode("x") return v end)))
say(select(2, pcall(function() return cjson.decode("x") end)))
say(select(2, pcall(cjson.decode, "x")))
say(select(2, pcall(function() local s = cjson.encode(print) return s end)))
`, "t:3: Expected value but found invalid token at character 1\n"+
		"Expected value but found invalid token at character 1\n"+
		"Expected value but found invalid token at character 1\n"+
		"t:6: Cannot serialise function: type not supported\n")
}
