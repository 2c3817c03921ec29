-- LuaJIT has no implicit `arg` table in vararg functions (Lua 5.1's
-- LUA_COMPAT_VARARG): `arg` is the global
arg = nil
local function f(...) return arg end
print(f(1, 2))
arg = "global"
local function g(a, ...) return a, arg, select("#", ...) end
print(g(1, 2, 3))
print((function(...) return type(arg) end)())
