-- a Lua iterator of a generic for yielding inside a coroutine: the fork
-- ran the iterator in a nested Go loop and the yield corrupted the thread
-- (nil pointer dereference); LuaJIT yields
local co = coroutine.wrap(function()
  local function iter(s, i)
    if i >= 3 then return nil end
    coroutine.yield("it" .. i)
    return i + 1, i * 2
  end
  for i, v in iter, nil, 0 do print("loop", i, v) end
  local function tail(s, i)
    if i >= 4 then return nil end
    if i % 2 == 1 then return coroutine.yield(i + 1, "t" .. i) end
    return i + 1, coroutine.yield("y" .. i)
  end
  for i, v in tail, nil, 0 do print("tail", i, v) end
  local t = {}
  for k, v in pairs({a = 1}) do t[#t + 1] = k .. v end
  for i, v in ipairs({5, 6}) do t[#t + 1] = i .. v end
  print(table.concat(t, ","))
  return "done"
end)
for i = 1, 9 do print(pcall(co, i, "r" .. i)) end
