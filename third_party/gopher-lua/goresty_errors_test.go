package lua

import "testing"

// Messages as OpenResty's LuaJIT 2.1 prints them.
func TestRuntimeErrorMessages(t *testing.T) {
	checkCases(t, []luaCase{
		{`return select(2, xpcall(function() local x = nil; x() end, function(e) return "H:" .. e end))`, "H:<string>:1: attempt to call local 'x' (a nil value)"},
		{`return pcall(function() local a, b = 1 return a + b end)`, "false <string>:1: attempt to perform arithmetic on local 'b' (a nil value)"},
		{`return pcall(function() local t = {} return t.a.b.c end)`, "false <string>:1: attempt to index field 'a' (a nil value)"},
		{`return pcall(function() local s = "x" return s:nomethod() end)`, "false <string>:1: attempt to call method 'nomethod' (a nil value)"},
		{`return pcall(function() return nosuchglobal.bar end)`, "false <string>:1: attempt to index global 'nosuchglobal' (a nil value)"},
		{`return pcall(function() nosuchfn() end)`, "false <string>:1: attempt to call global 'nosuchfn' (a nil value)"},
		{`return pcall(function() local up = nil; return (function() return up.x end)() end)`, "false <string>:1: attempt to index upvalue 'up' (a nil value)"},
		{`return pcall(function() local x = {} .. "a" end)`, "false <string>:1: attempt to concatenate a table value"},
		{`return pcall(function() local t = {} local y = "a" .. t.name end)`, "false <string>:1: attempt to concatenate field 'name' (a nil value)"},
		{`return pcall(function() local n = nil; for i = 1, n do end end)`, "false <string>:1: 'for' limit must be a number"},
		{`return pcall(function() return {} < {} end)`, "false <string>:1: attempt to compare two table values"},
		{`return pcall(function() return 1 < nil end)`, "false <string>:1: attempt to compare number with nil"},
		{`return pcall(function() local t = {} t.x.y = 1 end)`, "false <string>:1: attempt to index field 'x' (a nil value)"},
		{`return pcall(function() return -{} end)`, "false <string>:1: attempt to perform arithmetic on a table value"},
		{`return pcall(function() return #5 end)`, "false <string>:1: attempt to get length of a number value"},
		{`return pcall(function() return "abc" + 1 end)`, "false <string>:1: attempt to perform arithmetic on a string value"},
	})
}

func TestErrorFunction(t *testing.T) {
	checkCases(t, []luaCase{
		{`return pcall(function() error() end)`, "false nil"},
		{`return pcall(error)`, "false nil"},
		{`return pcall(error, "msg", 0)`, "false msg"},
		{`return pcall(error, "msg")`, "false msg"},
		{`return pcall(function() error("boom") end)`, "false <string>:1: boom"},
		{`return pcall(function() error("lvl2", 2) end)`, "false lvl2"},
		{"local function f() error('in f', 2) end\nreturn pcall(function()\n f() end)", "false <string>:3: in f"},
		{`local t = {} return select(2, pcall(error, t)) == t`, "true"},
		{`return pcall(function() return math.max() end)`, "false <string>:1: bad argument #1 to 'max' (number expected, got no value)"},
		{`return pcall(setmetatable, 1, {})`, "false bad argument #1 to '?' (table expected, got number)"},
		// A Go function called straight from pcall has no position.
		{`return pcall(string.rep)`, "false bad argument #1 to '?' (string expected, got no value)"},
	})
}

func TestXpcallTraceback(t *testing.T) {
	got := evalLua(t, `local ok, tb = xpcall(function() local x = nil; return x.y end, debug.traceback) return ok, tb`)
	want := "false <string>:1: attempt to index local 'x' (a nil value)\nstack traceback:"
	if len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("got %q", got)
	}
}
