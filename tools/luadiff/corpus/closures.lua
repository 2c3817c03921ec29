-- closures capture a fresh local per loop iteration
local fs = {}
for i = 1, 3 do
  local j = i * 10
  fs[i] = function(d) j = j + d; return i, j end
end
print(fs[1](1)) print(fs[1](1)) print(fs[3](5))
local gs, k = {}, 0
while k < 3 do k = k + 1; local m = k; gs[k] = function() m = m + 100; return m end end
print(gs[1](), gs[1](), gs[2](), gs[3]())
local hs = {}
repeat local r = #hs + 1; hs[r] = function() return r end until #hs == 3
print(hs[1](), hs[2](), hs[3]())
local function counter()
  local c = 0
  return function() c = c + 1; return c end, function() return c end
end
local inc, get = counter()
inc() inc()
local inc2, get2 = counter()
inc2()
print(get(), get2())
local shared = {}
for _, name in ipairs({"a", "b"}) do
  shared[name] = function(x) if x then name = x end return name end
end
print(shared.a(), shared.b("z"), shared.b(), shared.a())
