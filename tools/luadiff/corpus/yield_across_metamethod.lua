-- LuaJIT yields across metamethods (__index, __add, ...); the fork runs
-- them in a nested Go loop and raises "attempt to yield across C-call
-- boundary" (as Lua 5.1 does). __call is a plain call and yields.
local mt = {__index = function(t, k) return coroutine.yield("idx " .. k) end,
  __add = function(a, b) return coroutine.yield("add") end,
  __call = function(self, x) return coroutine.yield("call " .. x) end,
}
local c = coroutine.wrap(function()
  local t = setmetatable({}, mt)
  print("c", t(7))
  print("v", t.foo)
  print("a", t + 1)
  return "done"
end)
for i = 1, 5 do print(pcall(c, i)) end
