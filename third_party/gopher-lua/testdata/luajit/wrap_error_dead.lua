-- a coroutine.wrap function that raised stayed the running coroutine:
-- later calls said "cannot resume running coroutine"
local w = coroutine.wrap(function() error("boom", 0) end)
print(pcall(w))
print(pcall(w))
local w2 = coroutine.wrap(function() local t = setmetatable({}, {__index = function() return coroutine.yield(1) end}) return t.x end)
-- (the yield across __index raises in the fork and in Lua 5.1)
w2 = coroutine.wrap(function() coroutine.yield(1) local x = nil; return x.y end)
print(pcall(w2))
print(pcall(w2))
local w3 = coroutine.wrap(function() return 1 end)
print(w3())
print(pcall(w3))
