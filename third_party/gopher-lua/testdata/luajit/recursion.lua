-- deep recursion works; runaway recursion is a catchable "stack overflow"
local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end
print(f(10000))
print(pcall(f, 100000))
local depth = 0
local function inf() depth = depth + 1; inf(); return 1 end
print(pcall(inf))
print(depth > 10000)
local function sum(t, i) if i > #t then return 0 end return t[i] + sum(t, i + 1) end
local t = {}
for i = 1, 12000 do t[i] = i end
print(sum(t, 1))
-- a tree walk 10000 deep
local root = {}
local node = root
for i = 1, 10000 do node.child = {v = i}; node = node.child end
local function walk(n) if not n then return 0 end return (n.v or 0) + walk(n.child) end
print(walk(root))
-- in a coroutine, and again after an overflow
local co = coroutine.wrap(function() print(pcall(inf)); return f(10000) end)
print(co())
print(f(10000))
-- tail calls do not grow the stack
local function tc(n) if n == 0 then return "done" end return tc(n - 1) end
print(tc(1000000))
-- quicksort on sorted input recurses n deep
local function qs(a, lo, hi)
  if lo < hi then
    local p, i = a[hi], lo - 1
    for j = lo, hi - 1 do if a[j] <= p then i = i + 1; a[i], a[j] = a[j], a[i] end end
    a[i + 1], a[hi] = a[hi], a[i + 1]
    qs(a, lo, i); qs(a, i + 2, hi)
  end
end
local s = {}
for i = 1, 3000 do s[i] = i end
qs(s, 1, #s)
print(s[1], s[1500], s[3000])
