package lua

import (
	"os"
)

// CompatVarArg gives a vararg function that does not use `...` Lua 5.1's
// implicit `arg` table (LUA_COMPAT_VARARG). LuaJIT has no such table (`arg`
// there is the global), and building it cost a table per call of every
// main chunk (request handlers), so it is off; the Lua 5.1 suite's
// vararg.lua runs with it on.
var CompatVarArg = false
var FieldsPerFlush = 50

// RegistrySize is the initial size of an LState's value stack (registers);
// it grows on demand (doubling) up to RegistryMaxSize. CallStackSize is the
// maximum call depth; the call stack starts with CallStackInitialSize frames.
// The limits are LuaJIT's order of magnitude (its stack holds at most 65500
// slots): a simple recursive function goes some 30000 calls deep before
// "stack overflow", and a new coroutine costs a few KiB.
var RegistrySize = 512
var RegistryMaxSize = 65500 * 2
var RegistryGrowStep = 32
var CallStackSize = 65500 / 2
var MaxTableGetLoop = 100
var MaxArrayIndex = 67108864

type LNumber float64

const LNumberBit = 64
const LNumberScanFormat = "%f"
const LuaVersion = "Lua 5.1"

var LuaPath = "LUA_PATH"
var LuaLDir string
var LuaPathDefault string
var LuaOS string
var LuaDirSep string
var LuaPathSep = ";"
var LuaPathMark = "?"
var LuaExecDir = "!"
var LuaIgMark = "-"

func init() {
	if os.PathSeparator == '/' { // unix-like
		LuaOS = "unix"
		LuaLDir = "/usr/local/share/lua/5.1"
		LuaDirSep = "/"
		LuaPathDefault = "./?.lua;" + LuaLDir + "/?.lua;" + LuaLDir + "/?/init.lua"
	} else { // windows
		LuaOS = "windows"
		LuaLDir = "!\\lua"
		LuaDirSep = "\\"
		LuaPathDefault = ".\\?.lua;" + LuaLDir + "\\?.lua;" + LuaLDir + "\\?\\init.lua"
	}
}
