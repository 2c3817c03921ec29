-- LuaJIT yields across pcall and xpcall (Lua 5.1 does not): result counts,
-- errors after a yield, nested protected calls, handlers, __call, upvalues
local function gen(f) return coroutine.wrap(f) end
-- fixed result counts
local co = coroutine.create(function()
  local ok = pcall(function() coroutine.yield("a") end)
  print("1", ok)
  local a, b, c, d = pcall(function() return coroutine.yield("b") end)
  print("2", a, b, c, d)
  pcall(function() coroutine.yield("c") end)
  local t = {pcall(function() return coroutine.yield("d") end)}
  print("3", #t, t[1], t[2], t[3])
  local e1, e2, e3 = pcall(function() coroutine.yield("e"); error({code = 7}) end)
  print("4", e1, type(e2), e2 and e2.code, e3)
  local x1, x2 = pcall(function() coroutine.yield("f"); error() end)
  print("5", x1, x2)
  local y1, y2 = pcall(error, "plain", 0)
  print("6", y1, y2)
  return "end"
end)
for i = 1, 9 do print(coroutine.resume(co, i, i * 10)) end
-- nested pcall, errors crossing levels
local w = gen(function()
  local ok, v = pcall(function()
    local ok2, v2 = pcall(function()
      coroutine.yield("inner")
      error("deep")
    end)
    coroutine.yield("mid " .. tostring(ok2) .. " " .. tostring(v2))
    error("outer", 0)
  end)
  coroutine.yield("out " .. tostring(ok) .. " " .. tostring(v))
  return "fin"
end)
print(w()); print(w()); print(w()); print(w())
-- xpcall with handler and traceback-free handler
local x = gen(function(...)
  local r = {xpcall(function(a, b)
    local v = coroutine.yield(a + b)
    error("bad " .. v)
  end, function(m) return "handled: " .. m end, ...)}
  print("xp", r[1], r[2])
  local r2 = {xpcall(function() return coroutine.yield("ok"), 2 end, print)}
  print("xp2", r2[1], r2[2], r2[3])
  local r3 = {xpcall(function() error("e1") end, function(m) error("in handler") end)}
  print("xp3", r3[1], r3[2])
  return "x done"
end)
print(x(1, 2)); print(x("v")); print(x("w"))
-- __call table through pcall
local callable = setmetatable({}, {__call = function(self, a) return coroutine.yield(a) end})
local c = gen(function() print("cc", pcall(callable, 42)) return "c done" end)
print(c()); print(c("r1", "r2"))
-- upvalues survive a caught error in a coroutine
local u = gen(function()
  local n = 1
  local get = function() return n end
  local ok = pcall(function() local m = 5; local g = function() return m end; coroutine.yield(g()); error("x") end)
  n = 2
  print("up", ok, get())
  return "u"
end)
print(u()); print(u())
-- pcall of non-callable and with no args inside coroutines
local nc = gen(function()
  print(pcall(42))
  print(pcall(nil))
  print(select('#', pcall(function() end)))
  print(pcall(pcall, error, "z"))
  return "nc"
end)
print(nc())
-- stack overflow caught in a coroutine
local so = gen(function()
  local function r(n) return 1 + r(n + 1) end
  local ok, e = pcall(r, 1)
  print("so", ok, e)
  coroutine.yield("after")
  return "so done"
end)
print(so()); print(so())
