-- xpcall passes the arguments after the handler (LuaJIT 2.1); an error
-- inside the handler gives "error in error handling"
print(xpcall(function(...) return select('#', ...), ... end, print, 1, nil, 3))
print(xpcall(function() error("e1") end, function(m) error("in handler") end))
print(xpcall(function() error({}) end, function(m) return type(m) end))
print(xpcall(function() return "ok" end, error))
local co = coroutine.wrap(function(...)
  print(xpcall(function(a) error("e" .. coroutine.yield(a)) end, function(m) error(m) end, ...))
  print(xpcall(function(a, b) return coroutine.yield(a + b) end, print, 3, 4))
  return "end"
end)
print(co(1)); print(co("x")); print(co("y", "z"))
