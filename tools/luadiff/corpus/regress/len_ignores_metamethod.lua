-- #t on a table ignores __len (Lua 5.1 / LuaJIT)
local v = setmetatable({1, 2}, {__len = function() return 99 end})
print(#v, #setmetatable({}, {__len = function() return 1 end}))
