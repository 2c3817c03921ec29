package ngxhttp_test

import "testing"

// cjson inside a request, as OpenResty's lua-cjson answers: integers past
// 2^63 decode to the nearest double (not clamped), numbers encode with 14
// significant digits, and errors carry the calling Lua code's position.
var cjsonCases = []hcase{
	{name: "decode keeps large integers as the nearest double",
		loc: `location = /cjson/big { content_by_lua_block {
			local cjson = require "cjson"
			for _, s in ipairs{"12345678901234567890", "-12345678901234567890", "9007199254740993",
			                   "9223372036854775807", "9223372036854775808", "-9223372036854775809",
			                   "123456789012345678901234567890", "1e400", "-1e400", "1E2", "0.1", "-0", "42"} do
				local v = cjson.decode("[" .. s .. "]")[1]
				-- (OpenResty's fork says "NaN or Infinity", Debian's lua-cjson "NaN or Inf")
				ngx.say(s, " ", v, " ", string.format("%.17g", v), " ", (select(2, pcall(cjson.encode, v)):sub(1, 47)))
			end
		} }`,
		path: "/cjson/big", status: 200,
		want: "12345678901234567890 1.2345678901235e+19 1.2345678901234567e+19 1.2345678901235e+19\n" +
			"-12345678901234567890 -1.2345678901235e+19 -1.2345678901234567e+19 -1.2345678901235e+19\n" +
			"9007199254740993 9.007199254741e+15 9007199254740992 9.007199254741e+15\n" +
			"9223372036854775807 9.2233720368548e+18 9.2233720368547758e+18 9.2233720368548e+18\n" +
			"9223372036854775808 9.2233720368548e+18 9.2233720368547758e+18 9.2233720368548e+18\n" +
			"-9223372036854775809 -9.2233720368548e+18 -9.2233720368547758e+18 -9.2233720368548e+18\n" +
			"123456789012345678901234567890 1.2345678901235e+29 1.2345678901234568e+29 1.2345678901235e+29\n" +
			"1e400 inf inf Cannot serialise number: must not be NaN or Inf\n" +
			"-1e400 -inf -inf Cannot serialise number: must not be NaN or Inf\n" +
			"1E2 100 100 100\n" +
			"0.1 0.1 0.10000000000000001 0.1\n" +
			"-0 0 -0 -0\n" +
			"42 42 42 42\n"},
	{name: "encode numbers",
		loc: `location = /cjson/enc { content_by_lua_block {
			local cjson = require "cjson"
			ngx.say(cjson.encode({1e15, 1e16, 123456789012345, 2^53, -2^63, 1/3, 1e-7, 3.0}))
			cjson.encode_number_precision(3)
			ngx.say(cjson.encode({1/3, 2^63}))
		} }`,
		path: "/cjson/enc", status: 200,
		want: "[1e+15,1e+16,1.2345678901234e+14,9.007199254741e+15,-9.2233720368548e+18,0.33333333333333,1e-07,3]\n[0.333,9.22e+18]\n"},
	{name: "errors carry the caller's position",
		loc: `location = /cjson/err { content_by_lua_block {
			local cjson = require "cjson"
			ngx.say(select(2, pcall(function() local v = cjson.decode("x") return v end)))
			ngx.say(select(2, pcall(cjson.decode, "{")))
			ngx.say(select(2, pcall(function() local s = cjson.encode(print) return s end)))
			ngx.say(select(2, pcall(cjson.decode, "[1 2]")))
		} }`,
		path: "/cjson/err", status: 200,
		want: "content_by_lua(nginx.conf:28):3: Expected value but found invalid token at character 1\n" +
			"Expected object key string but found T_END at character 2\n" +
			"content_by_lua(nginx.conf:28):5: Cannot serialise function: type not supported\n" +
			"Expected comma or array end but found T_NUMBER at character 4\n"},
	{name: "an uncaught error is logged with the position",
		loc: `location = /cjson/raise { content_by_lua_block {
			local cjson = require "cjson"
			local v = cjson.decode("[1,")
		} }`,
		path: "/cjson/raise", status: 500, want: "*",
		log: []string{"content_by_lua(nginx.conf:35):3: Expected value but found T_END at character 4\n"}},
}

func TestCjsonInRequest(t *testing.T) {
	s := startServer(t, "", "", cjsonCases)
	runCases(t, s, cjsonCases)
}
