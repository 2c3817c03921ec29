package lua

// Uncatchable is a panic value that PCall (and so Lua's pcall and xpcall)
// does not turn into a Lua error: it unwinds to the embedder. goresty
// uses it for ngx.exit, ngx.exec and ngx.redirect, which in OpenResty end
// the handler even when called inside pcall.
type Uncatchable interface {
	LuaUncatchable()
}
