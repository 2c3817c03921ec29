-- table.sort (with comparators), insert, remove, concat, maxn, unpack
local t = {5, 2, 8, 1, 9, 3}
table.sort(t) print(table.concat(t, ","))
table.sort(t, function(a, b) return a > b end) print(table.concat(t, ","))
local w = {"banana", "Apple", "cherry", "apple"}
table.sort(w) print(table.concat(w, " "))
local recs = {}
for i = 1, 9 do recs[i] = {k = (i * 7) % 4, v = i} end
table.sort(recs, function(a, b) if a.k ~= b.k then return a.k < b.k end return a.v < b.v end)
for _, r in ipairs(recs) do io.write(r.k, ":", r.v, " ") end print()
print(pcall(table.sort, {3, "a", 1}))
local q = {}
table.insert(q, "a") table.insert(q, 1, "b") table.insert(q, 2, "c") table.insert(q, #q + 1, "d")
print(table.concat(q, ","), #q)
print(table.remove(q, 1), table.remove(q), table.concat(q, ","))
print(table.remove({}), select('#', table.remove({})), table.remove({}, 1), select('#', table.remove({1}, 5)))
print(table.concat({1, 2.5, "x"}, "-"), table.concat({}, ","), table.concat({1, 2, 3}, ", ", 2, 3), table.concat({1, 2}, 0))
print(table.concat({1, 2, 3}, ",", 3, 2) .. "|", pcall(table.concat, {1, 2}, ",", 1, 3))
print(pcall(table.concat, {1, {}, 3}))
print(table.maxn({1, 2, nil, 4}), table.maxn({}), #{1, 2, 3})
print(unpack({1, 2, 3}, 2), unpack({1, 2, 3}, 2, 3))
print(pcall(table.insert, {}, 1, 2, 3))
