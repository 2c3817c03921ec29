-- luadiff regression
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d, e, "done"
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 3))
print(coroutine.resume(co, 4))
local stale = coroutine.wrap(function() local x, y, z = coroutine.yield() print(x, y, z) local p, q = coroutine.yield() print(p, q) end)
stale() stale(1, 2, 3) stale()
print(string.gsub(".(2y_c]e3$)Z c-d", "()%1a-%f[%a]", "%%", 2))
