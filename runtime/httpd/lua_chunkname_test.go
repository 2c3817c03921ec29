package httpd

import "testing"

// Chunk names of inline Lua as lua-nginx-module's
// ngx_http_lua_gen_chunk_name makes them.
func TestLuaChunkName(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"/p/conf/nginx.conf", "content_by_lua(nginx.conf:7)"},
		{"/elsewhere/nginx.conf", "content_by_lua(nginx.conf:7)"},
		{"/p/conf/../html/lua.conf", "content_by_lua(../html/lua.conf:7)"},
		{"/p/conf/sites/a.conf", "content_by_lua(sites/a.conf:7)"},
		{"/tmp/lua.conf", "content_by_lua(/tmp/lua.conf:7)"},
		// 56 bytes at most for the tag, the name and the line: the head
		// of a long name becomes "..."
		{"/p/conf/../html/1234567890123456789012345678901234.conf", "content_by_lua(...234567890123456789012345678901234.conf:7)"},
		{"/tmp/12345678901234567890123456789012345.conf", "content_by_lua(...345678901234567890123456789012345.conf:7)"},
	} {
		if got := luaChunkName("content_by_lua", c.file, "/p/conf/nginx.conf", 7); got != c.want {
			t.Errorf("%s: %s, want %s", c.file, got, c.want)
		}
	}
}

func TestLuaChunkNameLongLine(t *testing.T) {
	// a two-digit line leaves one byte less of the name
	if got, want := luaChunkName("content_by_lua", "/tmp/12345678901234567890123456789012345.conf", "/p/conf/nginx.conf", 14), "content_by_lua(...45678901234567890123456789012345.conf:14)"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
