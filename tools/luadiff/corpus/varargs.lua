-- varargs with nils, select('#'), truncation and expansion
local function count(...) return select('#', ...) end
local function pass(...) return ... end
print(count(), count(nil), count(nil, nil), count(pass(nil, nil, nil)))
print(pass(1, nil, 3))
print(select(2, "a", nil, "c"))
print(select(-1, 1, 2, 3), pcall(select, 0, 1))
print((pass(1, 2, 3)))
print(count(pass(1, 2), pass(3, 4)), count((pass(1, 2))))
local t = {pass(1, nil, 3)}
print(t[1], t[2], t[3])
local function pack(...) return {n = select('#', ...), ...} end
local p = pack(nil, false, nil)
print(p.n, p[1], p[2], p[3])
print(unpack({1, 2, 3}), unpack({1, nil, 3}, 1, 3))
print(unpack({}, 1, 2))
local function tail(...) return select('#', ...), ... end
print(tail(nil))
print(string.format("%s %s", pass("x", "y", "z")))
