-- recursion deeper than gopher-lua's default call stack
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(10000))
local function build(n) if n == 0 then return {} end return {child = build(n - 1)} end
local function count(t) if not t.child then return 0 end return 1 + count(t.child) end
print(count(build(3000)))
