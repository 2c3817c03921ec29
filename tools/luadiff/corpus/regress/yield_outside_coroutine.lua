-- yield from the main chunk (run under pcall) and from a Go frame inside a coroutine
print(pcall(coroutine.yield, 1))
print(coroutine.wrap(function() return select('#', coroutine.yield()) end)())
