local t = {10, 20, x = 1}
local n = 0
for k, v in next, t do n = n + 1 end
print(n)
for k, v in next, {5} do print(k, v) end
for k in next, {a = 1} do print(k) end
print(next({}), next({7}))
print(select('#', next({})))
local k, v = next({}, nil)
print(k, v)
local function three() return next, {p = 1}, nil end
for k, v in three() do print(k, v) end
local function va(...) for k, v in ... do print(k, v) end end
va(next, {q = 2})
local c = 0
for a, b, c2, d in next, {r = 3} do print(a, b, c2, d) end
for i, v in ipairs({4, 5}) do print(i, v) end
local s = 0
for k, v in pairs({1, 2, 3, x = 4}) do s = s + v end
print(s)
local function iter(st, ctl) if ctl < st then return ctl + 1, ctl * 2 end end
for i, d in iter, 3, 0 do print(i, d) end
for i in iter, 2, 0, "extra", print("evaluated") do print(i) end
