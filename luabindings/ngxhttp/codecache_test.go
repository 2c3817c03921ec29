package ngxhttp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// lua_code_cache off gives every request a Lua VM of its own, as
// lua-nginx-module: globals and loaded modules do not outlive the
// request, a module file is read again, and the VM is closed once the
// request and the timers it started are done.
func TestCodeCacheOff(t *testing.T) {
	ref := os.Getenv("NGX_REFERENCE")
	conf := `lua_package_path "$prefix/html/?.lua;;";
server {
    listen 127.0.0.1:PORT;
    location = /off/global { lua_code_cache off; content_by_lua_block {
        G = (G or 0) + 1
        ngx.say("G=", G, " loaded=", package.loaded.ccmod ~= nil)
        require "ccmod"
    } }
    location = /on/global { content_by_lua_block {
        G = (G or 0) + 1
        ngx.say("G=", G)
    } }
    location = /off/timer { lua_code_cache off; content_by_lua_block {
        local n = 0
        local function f() n = n + 1 end
        ngx.timer.at(0.01, f)
        ngx.timer.at(0.02, f)
        ngx.say("ok")
    } }
}
`
	hs := httpdtest.StartLevel(t, conf, ref, "debug")
	os.MkdirAll(filepath.Join(hs.Prefix, "html"), 0o755)
	os.WriteFile(filepath.Join(hs.Prefix, "html/ccmod.lua"), []byte("ngx.say('module v1') return {}\n"), 0o644)
	s := &server{base: hs.Addr, prefix: hs.Prefix, ref: ref != ""}
	cases := []hcase{
		{name: "fresh globals and modules", path: "/off/global", status: 200, want: "G=1 loaded=false\nmodule v1\n"},
		{name: "again fresh", path: "/off/global", status: 200, want: "G=1 loaded=false\nmodule v1\n"},
		{name: "code cache on keeps globals", path: "/on/global", status: 200, want: "G=1\n"},
		{name: "and shares them", path: "/on/global", status: 200, want: "G=2\n"},
		{name: "timers hold the VM until they ran", path: "/off/timer", status: 200, want: "ok\n",
			log: []string{"lua decrementing the reference count for Lua VM: 3",
				"lua decrementing the reference count for Lua VM: 2",
				"lua decrementing the reference count for Lua VM: 1",
				"lua close the global Lua VM"}},
	}
	runCases(t, s, cases)
	os.WriteFile(filepath.Join(hs.Prefix, "html/ccmod.lua"), []byte("ngx.say('module v2') return {}\n"), 0o644)
	runCases(t, s, []hcase{{name: "a changed module is read again", path: "/off/global", status: 200,
		want: "G=1 loaded=false\nmodule v2\n"}})
}
