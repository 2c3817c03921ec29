-- luadiff regression
print(5 % math.huge, -5 % math.huge, 5.5 % -2, -7 % -1, 5 % 0, 1e308 % 3, 2^53 % 3, -2^63 % 7)
