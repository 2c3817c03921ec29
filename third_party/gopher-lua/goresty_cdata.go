package lua

// CData marks the Go value of a userdata that stands for a LuaJIT FFI
// cdata object (an SSL session, a parsed certificate): type() of such a
// userdata is "cdata", as LuaJIT reports for the objects lua-resty-core
// hands out.
type CData interface{ LuaCData() }

var cdataTypeName = LString("cdata")
