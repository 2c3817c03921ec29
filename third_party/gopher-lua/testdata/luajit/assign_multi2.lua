local x = 1
x = not x; print(x)
x = 5; x = -x; print(x)
x = "abc"; x = #x; print(x)
x = {7}; x = x[1]; print(x)
x = 1; x = (x == 1) and 2 or x; print(x)
x = 1; x = x == 1 and x + 10 or x - 10; print(x)
x = "a"; x = x .. "b" .. x; print(x)
x = 2; x = {x, n = x, [x] = x}; print(x[1], x.n, x[2])
x = 3; local function id(...) return ... end; x = id(x, x); print(x)
x = 4; x = function() return x end; print(type(x()))
local a, b, c = 1, 2, 3
a, b, c = c, a
print(a, b, c)
a, b, c = 1, 2, 3
a, b = c, a, b, print("extra")
print(a, b, c)
local t = {1, 2, 3}
t[1], t[2], t[3] = t[3], t[2], t[1]
print(t[1], t[2], t[3])
local i = 1
i, t[i] = i + 1, "x"
print(i, t[1], t[2])
local s = {}
s.a, s.b, s = 1, 2, {z = 3}
print(s.z, s.a)
local u = {v = 1}
local function f() u, u.v = {v = 10}, 5 return u end
local old = u
f()
print(old.v, u.v)
local p, q = 1, 2
local function g() p, q = q, p end
g(); print(p, q)
local function vg(...) local a, b; a, b = b, ...; return a, b end
print(vg(7, 8))
local n = 0
local function cnt() n = n + 1 return n end
local r1, r2
r1, r2 = cnt(), cnt()
print(r1, r2)
local k = {}
local y
k[1], y, k[2] = 1, 2
print(k[1], y, k[2])
local m = setmetatable({}, {__newindex = function(t, kk, vv) print("set", kk, vv) rawset(t, kk, vv) end})
m.a, m.b = 1, 2
local aa, bb = 10, 20
aa, bb = bb - aa, aa + bb
print(aa, bb)
local c1 = {next = {next = {}, val = 2}, val = 1}
local h = c1
while h do h.val, h = (h.val or 0) * 10, h.next end
print(c1.val, c1.next.val, c1.next.next.val)
