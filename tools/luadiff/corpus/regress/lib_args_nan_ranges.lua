-- luadiff regression
print(string.rep("x", 2.7), string.rep("x", "2.7"), string.rep("x", -2.5), ("abcdef"):sub(2.5, 4.5), ("abcdef"):sub("2", "3"))
print(math.max(0/0, 1), math.max(1, 0/0), math.min(0/0, 1), math.min(1, 0/0), 1/math.max(0, -0.0), 1/math.max(-0.0, 0), 1/math.min(0, -0.0), 1/math.min(-0.0, 0))
print(math.max(1, 0/0, 2), math.max(0/0, 0/0, 1))
print(string.format("%+.2e|%+f|% f|%5.1f|%-6g|%06f", 0/0, 1/0, 1/0, -1/0, 0/0, -1/0))
print(pcall(coroutine.yield))
print(select('#', table.remove({})), table.remove({}, 1), #{n=1})
print(string.byte("abc", 0), string.byte("abc", -10, 2))
print(table.concat({1,2,3}, 0), table.concat({1,2}, 1.5))
