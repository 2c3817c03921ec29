-- the generic for with next as the iterator function
local t = {a = 1, b = 2, c = 3}
local keys = {}
for k, v in next, t do keys[#keys + 1] = k .. "=" .. v end
table.sort(keys)
print(#keys, table.concat(keys, " "))
local n = 0
for i, v in next, {10, 20, 30} do n = n + i * v end
print(n)
