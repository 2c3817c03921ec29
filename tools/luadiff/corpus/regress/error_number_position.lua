-- error(number) is a string with the position prefixed when the level allows
print(pcall(error, 42), pcall(error, 42, 2), pcall(function() error(3.5) end), pcall(function() error(1, 0) end))
local co = coroutine.create(function() error(42) end)
print(coroutine.resume(co))
