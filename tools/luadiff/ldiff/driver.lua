-- luadiff driver: the same code runs each program on every engine.
-- __luadiff_run(src) compiles src as chunk "prog" and calls it under pcall
-- in a fresh copy of the globals; it returns a status ("ok", "compile",
-- "error") and the error as "type: text".
local G, pairs, type, tostring = _G, pairs, type, tostring
local loadstring, setfenv, pcall = loadstring, setfenv, pcall
local libs = { "string", "table", "math", "coroutine", "os", "io" }

local function newenv()
  local env = {}
  for k, v in pairs(G) do
    if type(k) ~= "string" or k:sub(1, 9) ~= "__luadiff" then env[k] = v end
  end
  -- the library tables are copied, so a program cannot change them for
  -- the programs after it in the same process
  for _, name in ipairs(libs) do
    local t = {}
    for k, v in pairs(G[name]) do t[k] = v end
    env[name] = t
  end
  env._G = env
  return env
end

local function errtext(e)
  local t = type(e)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" then
    return t .. ": " .. tostring(e)
  end
  return t
end

function __luadiff_run(src)
  local fn, err = loadstring(src, "=prog")
  if not fn then return "compile", errtext(err) end
  setfenv(fn, newenv())
  local ok, e = pcall(fn)
  if ok then return "ok", "" end
  return "error", errtext(e)
end

function __luadiff_batch()
  local read, write, flush = io.read, io.write, io.flush
  while true do
    local l = read("*l")
    if not l then break end
    local n = tonumber(l)
    local src = n > 0 and read(n) or ""
    local st, msg = __luadiff_run(src)
    write("\0\1@luadiff-status@", st, "\0\2@luadiff-error@", msg, "\0\3@luadiff-end@\n")
    flush()
  end
end
