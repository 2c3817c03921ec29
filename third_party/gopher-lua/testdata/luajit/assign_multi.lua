local x, y = 1, 2
x, y = y, x
print(x, y)
local a, b = 0, 1
for i = 1, 8 do a, b = b, a + b end
print(a, b)
local m, n = 48, 18
while n ~= 0 do m, n = n, m % n end
print(m)
local p, q, r = 1, 2, 3
p, q, r = q, r, p
print(p, q, r)
local cur = {val=1, next={val=2}}
local old = cur
cur, cur.val = cur.next, 99
print(old.val, cur.val)
cur = old
cur.val, cur = 77, cur.next
print(old.val, cur.val)
local t = {}
local i = 1
t[i], i = i+1, 20
print(t[1], t[20], i)
i = 1
i, t[i] = i+1, 20
print(t[1], t[2], i)
local z = 5
z = {n = z}
print(type(z), z.n)
local w = 3
w = {w, w}
print(w[1], w[2])
local u = 2
local function g() return u end
local v
u, v = 10, g()
print(u, v)
local function f() return 1, 2, 3 end
local c1, c2, c3
c1, c2, c3 = 0, f()
print(c1, c2, c3)
local function va(...) local a, b, c; a, b, c = ..., 9; return a, b, c end
print(va(4, 5, 6))
local function vb(...) local a, b, c; c, a, b = ...; return a, b, c end
print(vb(4, 5, 6))
G1, G2 = 1, 2
G1, G2 = G2, G1
print(G1, G2)
local k = "a"
local tt = {a = 1, b = 2}
tt.a, tt.b = tt.b, tt.a
print(tt.a, tt.b)
local function up()
  local s1, s2 = "s1", "s2"
  local function inner() s1, s2 = s2, s1 end
  inner()
  return s1, s2
end
print(up())
local e = 1
e = e and e + 1 or 0
print(e)
local n1 = 3
n1, n1 = 1, 2
print(n1)
