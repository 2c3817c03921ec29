-- metatables: __index chains, __newindex, __call, comparisons, __concat, __len (ignored on tables)
local base = {x = 1, f = function(self, a) return self.x + a end}
base.__index = base
local mid = setmetatable({y = 2}, base)
mid.__index = mid
local obj = setmetatable({}, mid)
print(obj.x, obj.y, obj:f(10), rawget(obj, "x"), obj.z)
local d = setmetatable({}, {__index = function(t, k) return k .. "!" end})
print(d.a, d[1], rawget(d, "a"))
local store, log = {}, {}
local p = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k rawset(t, k, v) end})
p.a = 1 p.a = 2 p.b = 3
print(p.a, p.b, table.concat(log, ","))
local p2 = setmetatable({}, {__newindex = store})
p2.x = 5
print(rawget(p2, "x"), store.x)
local c = setmetatable({}, {__call = function(self, a, b) return a + b end})
print(c(1, 2))
local mt = {__eq = function(a, b) return a.v == b.v end, __lt = function(a, b) return a.v < b.v end}
local A, B = setmetatable({v = 1}, mt), setmetatable({v = 1}, mt)
print(A == B, A ~= B, A < B, A <= B, pcall(function() return A < 1 end))
mt.__le = function(a, b) return a.v <= b.v end
print(A <= B, A >= B)
local cc = setmetatable({}, {__concat = function(a, b) return "C" end})
print(cc .. "x", "x" .. cc, 1 .. cc)
local v = setmetatable({1, 2, 3}, {__len = function() return 99 end, __unm = function() return "neg" end})
print(#v, -v)
local s = setmetatable({}, {__tostring = function() return "S!" end, __metatable = "locked"})
print(tostring(s), getmetatable(s), pcall(setmetatable, s, {}))
print(getmetatable("x").__index == string, ("x"):upper())
local arith = setmetatable({}, {__add = function(a, b) return "add" end, __mod = function() return "mod" end})
print(arith + 1, 1 + arith, arith % 2, pcall(function() return arith - 1 end))
print(rawequal(A, B), rawequal(A, A), rawlen == nil)
