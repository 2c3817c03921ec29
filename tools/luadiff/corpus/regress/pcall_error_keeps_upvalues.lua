-- an error caught by pcall closed the open upvalues of every frame, also
-- those below the pcall: a closure then no longer saw its local change
local x = 1
local f = function() return x end
print(pcall(function() error("e") end))
x = 2
print(f())
local function outer()
  local n = 0
  local inc = function() n = n + 1 return n end
  for i = 1, 3 do
    pcall(function() inc() error("x") end)
    n = n + 10
  end
  return n, inc()
end
print(outer())
local co = coroutine.wrap(function()
  local m = 1
  local get = function() return m end
  pcall(error, "y")
  m = 5
  coroutine.yield(get())
  m = 7
  return get()
end)
print(co(), co())
