package cjson

import lua "github.com/yuin/gopher-lua"

// Encode is cjson.encode with the default settings, for Go-written
// modules that call cjson the way their Lua originals do (resty.jwt).
func Encode(L *lua.LState, v lua.LValue) (string, error) {
	return defaults(L).encodeValue(L, v)
}

// Decode is cjson.decode with the default settings; null is ngx.null.
func Decode(L *lua.LState, s string) (lua.LValue, error) {
	return defaults(L).decode(L, s)
}

// defaults is the VM's configuration with cjson's default settings (the
// VM lock serialises its use, as for the module's own instances).
func defaults(L *lua.LState) *config {
	st := stateOf(nil, L)
	if st.defaults == nil {
		st.defaults = newConfig(st)
	}
	return st.defaults
}
