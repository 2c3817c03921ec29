-- luadiff regression
local x = -0.0 * 1; local y = 0 * -1; print(x, y, -x, 0/-1, math.floor(-0.5) )
