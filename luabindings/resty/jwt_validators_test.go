package resty

import "testing"

// Validators called directly, as in lua-resty-jwt's t/validators.t.
func TestJWTValidatorsDirect(t *testing.T) {
	expect(t, `
local v = require "resty.jwt-validators"
local function try(f, ...)
  local ok, res = pcall(f, ...)
  say(ok and tostring(res) or res)
end
local obj = '{"payload":{}}'
-- creation errors
try(v.equals)
try(v.opt_check, nil, function() end, "my_name")
try(v.opt_check, "x", 1)
try(v.check, "x")
try(v.chain, function() end, 1)
try(v.required, 1)
try(v.matches, 1)
try(v.equals_any_of, {})
try(v.equals_any_of, "x")
try(v.equals_any_of, nil)
try(v.equals_any_of, {"a", 1})
try(v.any_of, {1}, nil, "my_name")
try(v.matches_any_of, {1})
say(type(v.contains_any_of({"a"}, "roles")))
try(v.greater_than, "1")
try(v.require_one_of, {})
try(v.require_one_of, {1})
try(v.set_system_leeway, -1)
try(v.set_system_leeway, "boom")
try(v.set_system_clock, 1)
try(v.set_system_clock, function() return "x" end)
try(v.set_system_clock, function() return -1 end)
-- validators
local eq, opt = v.equals("x"), v.opt_equals("x")
try(eq, "x", "sub", obj)
try(eq, "y", "sub", obj)
try(eq, nil, "sub", obj)
try(eq, 1, "sub", obj)
try(opt, nil, "sub", obj)
local chk = v.opt_check("checker", function(v1, v2)
  if v1 == "bar" then error("Custom Error") end
  return v1 == 42
end, "my_name", "number")
try(chk, "foo", "foo", obj)
try(chk, 42, "num", obj)
try(chk, 41, "num", obj)
try(v.matches("^a+$"), "aaa", "c", obj)
try(v.matches("^a+$"), "ab", "c", obj)
say(pcall(v.matches("[a"), "ab", "c", obj) == false)
try(v.matches_any_of({"^b", "^a"}), "ab", "c", obj)
try(v.equals_any_of({1, 2}), 2, "n", obj)
try(v.equals_any_of({1, 2}), 3, "n", obj)
try(v.contains_any_of({"admin", "root"}), {"user", "root"}, "roles", obj)
try(v.contains_any_of({"admin"}), {"user"}, "roles", obj)
try(v.contains_any_of({"admin"}), "admin", "roles", obj)
try(v.any_of({1, 2}, function(a, b) return a % b == 0 end), 9, "n", obj)
for _, name in ipairs({"greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"}) do
  say(name, " ", v[name](5)(4, "n", obj), v[name](5)(5, "n", obj), v[name](5)(6, "n", obj))
end
try(v.greater_than(1), "2", "n", obj)
try(v.required(v.equals("a")), nil, "z", obj)
try(v.required(), false, "z", obj)
try(v.require_one_of({"a", "b"}), {payload = {b = 1}}, "__jwt", obj)
try(v.require_one_of({"a", "b"}), {payload = {}}, "__jwt", obj)
try(v.require_one_of({"a", "b"}), "x", "__jwt", obj)
try(v.require_one_of({"a", "b"}), {}, "__jwt", obj)
-- a chain stops at the first false; errors propagate
local calls = 0
local counted = function() calls = calls + 1 return true end
try(v.chain(counted, function() return false end, counted), 1, "c", obj)
say(calls)
try(v.chain(counted, function() return nil end, counted), 1, "c", obj)
say(calls)
-- date validators against a fixed clock
v.set_system_clock(function() return 1000 end)
try(v.is_not_expired(), 1001, "exp", obj)
try(v.is_not_expired(), 1000, "exp", obj)
try(v.opt_is_not_expired(), nil, "exp", obj)
try(v.is_not_expired(), nil, "exp", obj)
try(v.is_not_expired(), -5, "exp", obj)
try(v.is_not_expired(), "x", "exp", obj)
try(v.is_not_before(), 1000, "nbf", obj)
try(v.is_not_before(), 1001, "nbf", obj)
try(v.is_at(), 1000, "iat", obj)
try(v.is_at(), 999, "iat", obj)
v.set_system_leeway(1)
try(v.is_not_expired(), 1000, "exp", obj)
try(v.is_not_before(), 1001, "nbf", obj)
try(v.is_at(), 999, "iat", obj)
try(v.is_at(), 998, "iat", obj)
`, `Cannot create validator for nil check_val.
Cannot create validator for nil my_name.
Cannot create validator for non-function check_function.
Cannot create validator for nil check_function.
Cannot create validator for non-function chain_function.
Cannot create validator for non-function chain_function.
Cannot create validator for non-string pattern.
Cannot create validator for empty table check_values.
Cannot create validator for non-table check_values.
Cannot create validator for nil check_values.
Cannot create validator for non-string table check_values.
Cannot create validator for nil check_function.
Cannot create validator for non-string table patterns.
function
Cannot create validator for non-number check_val.
Cannot create validator for empty table claim_keys.
Cannot create validator for non-string table claim_keys.
leeway must be a non-negative number
leeway must be a non-negative number
clock must be a function
clock function must return a non-negative number
clock function must return a non-negative number
true
false
'sub' claim is required.
'sub' is malformed.  Expected to be a string.
true
'foo' is malformed.  Expected to be a number.
true
false
true
false
true
true
true
false
true
false
'roles' is malformed.  Expected to be a table.
true
greater_than falsefalsetrue
greater_than_or_equal falsetruetrue
less_than truefalsefalse
less_than_or_equal truetruefalse
'n' is malformed.  Expected to be a number.
'z' claim is required.
true
true
Missing one of claims - [ a, b ].
'__jwt' is malformed.  Expected to be a table.
'__jwt.payload' is malformed.  Expected to be a table.
false
1
true
3
true
'exp' claim expired at Thu, 01 Jan 1970 00:16:40 GMT
true
'exp' claim is required.
'exp' is malformed.  Expected to be a positive numeric value.
'exp' is malformed.  Expected to be a positive numeric value.
true
'nbf' claim not valid until Thu, 01 Jan 1970 00:16:41 GMT
true
'iat' claim is only valid at Thu, 01 Jan 1970 00:16:39 GMT
true
true
true
'iat' claim is only valid at Thu, 01 Jan 1970 00:16:38 GMT
`)
}
