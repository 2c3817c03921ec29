-- init_by_lua_file: runs once when the configuration is loaded. The globals
-- created here are visible to the Lua code of every request phase.
cjson = require "cjson"
utils = require "utils"
hooks = require "hooks"

if type(hooks.on_init) == "function" then
    hooks.on_init()
end
