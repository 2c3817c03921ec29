-- upstream gopher-lua #490: an 'and' operand jumping to the end must land in the assigned local
function greaterThan(a, b) return a > b end
function lessThan(a, b) return a < b end
function betweenViaOperators(val, a, b)
  local result = true
  result = result and (val > a and val < b)
  return result
end
function betweenViaFunctions(val, a, b)
  local result = true
  result = result and (greaterThan(val, a) and lessThan(val, b))
  return result
end
print(betweenViaOperators(2, 3, 5))
print(betweenViaFunctions(2, 3, 5))
print(betweenViaOperators(4, 3, 5))
print(betweenViaFunctions(4, 3, 5))
print(betweenViaOperators(6, 3, 5))
print(betweenViaFunctions(6, 3, 5))
local function gt(a,b) return a>b end
local function lt(a,b) return a<b end
local result = true
result = result and (gt(2,3) and lt(2,5))
print(result)
local r2 = true
local x = r2 and (gt(2,3) and lt(2,5))
print(x)
