// Package ngxstring implements lua-nginx-module's string, args and time
// helpers: ngx.encode_args/decode_args, escape_uri/unescape_uri, base64,
// md5/sha1/hmac_sha1/crc32, quote_sql_str and ngx.now/time/today/...
// with OpenResty's results and error messages. See README.md.
package ngxstring

import (
	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.Register("ngx.string", install)
	luabindings.RegisterModule("ngx.base64", loadBase64Module)
}

func install(vm *luabindings.VM, ngx *lua.LTable) {
	L := vm.L
	set := func(name string, fn lua.LGFunction) { ngx.RawSetString(name, L.NewFunction(fn)) }
	// args
	set("encode_args", ngxEncodeArgs)
	set("decode_args", ngxDecodeArgs)
	// uri
	set("escape_uri", ngxEscapeURI)
	set("unescape_uri", ngxUnescapeURI)
	// base64
	set("encode_base64", ngxEncodeBase64)
	set("decode_base64", ngxDecodeBase64)
	set("decode_base64mime", ngxDecodeBase64MIME)
	// digests
	set("md5", ngxMD5)
	set("md5_bin", ngxMD5Bin)
	set("sha1_bin", ngxSHA1Bin)
	set("hmac_sha1", ngxHMACSHA1)
	set("crc32_short", ngxCRC32)
	set("crc32_long", ngxCRC32)
	set("quote_sql_str", ngxQuoteSQLStr)
	// time
	startClock()
	set("now", ngxNow)
	set("time", ngxTime)
	set("update_time", ngxUpdateTime)
	set("today", ngxToday)
	set("localtime", ngxLocaltime)
	set("utctime", ngxUtctime)
	set("http_time", ngxHTTPTime)
	set("cookie_time", ngxCookieTime)
	set("parse_http_time", ngxParseHTTPTime)
}

// argError raises Lua's luaL_argerror message, the function named as
// LuaJIT names it ('?' when it was not called through a named field, as
// in pcall(ngx.encode_args, x)).
func argError(L *lua.LState, n int, expected string) {
	L.ArgError(n, expected+" expected, got "+typeName(L.Get(n)))
}

func typeName(v lua.LValue) string {
	if v == lua.LNil {
		return "nil"
	}
	return v.Type().String()
}

// checkString is luaL_checklstring: strings, and numbers converted.
func checkString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	argError(L, n, "string")
	return ""
}

// optString is resty.core's coercion: nil and false give "", other
// values go through tostring().
func optString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	case *lua.LNilType:
		return ""
	case lua.LBool:
		if !bool(v) {
			return ""
		}
	}
	return L.ToStringMeta(L.Get(n)).String()
}

func pushString(L *lua.LState, s string) int {
	L.PushString(s) // boxed in the state's block: no allocation
	return 1
}
