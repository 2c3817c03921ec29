package regex

import "testing"

func TestRealWorldPatterns(t *testing.T) {
	expect(t, `
local m = ngx.re.match("https://example.com:8443/a/b?x=1", [[^(?<scheme>https?)://(?<host>[^/:]+)(?::(?<port>\d+))?(?<path>/.*)?$]], "jo")
say(m.scheme, m.host, m.port, m.path, m[3])
m = ngx.re.match("http://h/", [[^(?<scheme>https?)://(?<host>[^/:]+)(?::(?<port>\d+))?(?<path>/.*)?$]], "jo")
say(m.port, m[3], m.path)
say(ngx.re.match("Bearer abc.def", [[^bearer\s+(.+)$]], "joi")[1])
say(ngx.re.match("my-host.example_1", [[^[\w\-\.]+$]], "jo")[0])
say(ngx.re.match("  key = some value ", [[^\s*([^=\s]+)\s*=\s*(.*?)\s*$]], "jo")[2])
say(ngx.re.match("héllo", [[^\p{L}+$]], "ju") ~= nil)
say(ngx.re.gsub("/api//v1///x", "/+", "/", "jo"))
say(ngx.re.match("192.168.1.10", [[^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$]], "jo")[4])
say(ngx.re.find("application/json; charset=utf-8", [[^application/(?:[a-z.+-]+\+)?json]], "joi"))
`, "https example.com 8443 /a/b?x=1 8443\nfalse false /\nabc.def\nmy-host.example_1\nsome value\ntrue\n/api/v1/x 3\n10\n1 16\n")
}
