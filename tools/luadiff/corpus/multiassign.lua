-- multiple assignment evaluates every right-hand expression first (Lua 5.1 §2.4.3)
local x, y = 1, 2
x, y = y, x
print(x, y)
local a, b, c = 1, 2, 3
a, b, c = c, a, b
print(a, b, c)
local f0, f1 = 0, 1
for i = 1, 8 do f0, f1 = f1, f0 + f1 end
print(f0, f1)
local m, n = 1071, 462
while n ~= 0 do m, n = n, m % n end
print(m)
local t, i = {}, 3
i, t[i] = i + 1, 20
print(i, t[3], t[4])
local n3 = {val = 3}
local cur = {val = 1, next = {val = 2, next = n3}}
local second = cur.next
cur, cur.val = cur.next, 99
print(cur.val, second.val)
g1, g2 = 1, 2
g1, g2 = g2, g1
print(g1, g2)
local u, v = 1, 2
local function swap() u, v = v, u end
swap()
print(u, v)
