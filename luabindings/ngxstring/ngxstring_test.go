package ngxstring

import (
	"strings"
	"testing"
	"time"
)

// Expectations were checked against nginx 1.22 + lua-nginx-module 0.10.23.

func TestEncodeArgs(t *testing.T) {
	expect(t, `
say(ngx.encode_args({q = "a b&c=d/é"}))
say(ngx.encode_args({n = 42}))
say(ngx.encode_args({flag = true}))
say("[" .. ngx.encode_args({off = false}) .. "]")
say(ngx.encode_args({list = {"x", "y", 3}}))
say("[" .. ngx.encode_args({}) .. "]")
say(ngx.encode_args({a = {1, true, false, "x"}}))
say("[" .. ngx.encode_args({a = {}}) .. "]")
say(ngx.encode_args({a = 1.5}))
say(perr(ngx.encode_args, "x"))
say(perr(ngx.encode_args, {[1] = "a"}))
say(perr(ngx.encode_args, {a = function() end}))
say(perr(ngx.encode_args, {a = {{}}}))
say(perr(ngx.encode_args))
`, "q=a%20b%26c%3Dd%2F%C3%A9\nn=42\nflag\n[]\nlist=x&list=y&list=3\n[]\na=1&a&a=x\n[]\na=1.5\n"+
		"false bad argument #1 to '?' (table expected, got string)\n"+
		"false attempt to use a non-string key in the \"args\" option table\n"+
		"false attempt to use function as query arg value\n"+
		"false attempt to use table as query arg value\n"+
		"false expecting 1 argument but seen 0\n")
	// several keys come out in table order, joined by "&"
	out := runLua(t, `say(ngx.encode_args({a = "1", b = "2", c = true}))`)
	parts := strings.Split(strings.TrimSpace(out), "&")
	if len(parts) != 3 || !strings.Contains(out, "a=1") || !strings.Contains(out, "b=2") || !strings.Contains(out, "c") {
		t.Fatalf("got %q", out)
	}
}

func TestDecodeArgs(t *testing.T) {
	expect(t, `
local t = ngx.decode_args("a=1&b&a=2&c=%41%42+C&d=")
say(table.concat(t.a, ","), tostring(t.b), t.c, "[" .. t.d .. "]")
local lim, err = ngx.decode_args("x=1&y=2&z=3", 1)
local n = 0
for _ in pairs(lim) do n = n + 1 end
say(n, lim.x, err)
say(select("#", ngx.decode_args("x=1", 1)), select("#", ngx.decode_args("x=1&y=2&z=3", 0)))
t = ngx.decode_args("a=b=c&=x&&b&%3d=%zz+")
say(t.a, t.b, t["="])
say(ngx.decode_args(12)["12"])
say(perr(ngx.decode_args))
say(perr(ngx.decode_args, nil))
say(perr(ngx.decode_args, "a", "x"))
t = ngx.decode_args("a=1&a=2&a=3")
say(#t.a, t.a[3])
`, "1,2 true AB C []\n1 1 truncated\n1 1\nb=c true %zz \ntrue\n"+
		"false expecting 1 or 2 arguments but seen 0\n"+
		"false bad argument #1 to '?' (string expected, got nil)\n"+
		"false bad argument #2 to '?' (number expected, got string)\n3 3\n")
}

func TestDecodeArgsDefaultMax(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 150; i++ {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("=v&")
	}
	expect(t, `local t, err = ngx.decode_args("`+strings.Repeat("a=1&", 150)+`")
say(#t.a, err)`, "100 truncated\n")
}

func TestEscapeURI(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	high := ""
	for i := 0x80; i < 0x100; i++ {
		high += "%" + strings.ToUpper(string("0123456789abcdef"[i>>4])+string("0123456789abcdef"[i&15]))
	}
	ctl := ""
	for i := 0; i < 0x20; i++ {
		ctl += "%" + string("0123456789ABCDEF"[i>>4]) + string("0123456789ABCDEF"[i&15])
	}
	want2 := ctl + "%20!%22%23%24%25%26'()*%2B%2C-.%2F0123456789%3A%3B%3C%3D%3E%3F%40ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~%7F" + high
	if got := EscapeURI(string(all), EscapeURIComponent); got != want2 {
		t.Errorf("type 2:\n%s\n%s", got, want2)
	}
	want0 := ctl + "%20!\"%23$%25&'()*+,-./0123456789:;<=>%3F@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~%7F" + high
	if got := EscapeURI(string(all), EscapeURIType); got != want0 {
		t.Errorf("type 0:\n%s\n%s", got, want0)
	}
	expect(t, `
say(ngx.escape_uri(123), ngx.unescape_uri(4.5))
say("[" .. ngx.escape_uri(nil) .. "] [" .. ngx.unescape_uri(nil) .. "]")
say(ngx.escape_uri("a b", 1), ngx.escape_uri("a b+?", 3))
say(ngx.unescape_uri("a+b%20c%zz%4%"), ngx.unescape_uri("%e4%BD%a0") == "\228\189\160")
say(perr(ngx.escape_uri, "a", "x"))
say(perr(ngx.escape_uri, "a", 7))
local function f()
  local r = ngx.escape_uri("a", -1)
  return r
end
local function g()
  local r = f()
  return r
end
say(pcall(f))
say(pcall(g))
`, "123 4.5\n[] []\na%20b a%20b+?\na b c%zz%4% true\nfalse \"type\" is not a number\nfalse \"type\" 7 out of range\n"+
		// the position is the caller's caller's, as lua-resty-core's error(msg, 3)
		"false \"type\" -1 out of range\nfalse t:13: \"type\" -1 out of range\n")
}

func TestBase64(t *testing.T) {
	expect(t, `
say(tostring(ngx.decode_base64("-_-_")))
say(ngx.encode_base64(string.char(251, 255)))
say(ngx.encode_base64("ab"), ngx.encode_base64("ab", true), ngx.encode_base64("ab", false))
say(perr(ngx.encode_base64, "ab", 1))
say("[" .. ngx.encode_base64(nil) .. "]", ngx.encode_base64(12))
say(ngx.decode_base64("YWI="), ngx.decode_base64("YWI"), ngx.decode_base64("YWI=="), ngx.decode_base64("YWI=junk"))
say(ngx.decode_base64("Y"), ngx.decode_base64("YW I="), "[" .. ngx.decode_base64("") .. "]")
say(perr(ngx.decode_base64, 12))
say(ngx.decode_base64mime("YW\r\nI=x"), ngx.decode_base64mime("Y"))
local b64 = require "ngx.base64"
say(b64.encode_base64url(string.char(251, 255)), b64.decode_base64url("-_8") == string.char(251, 255))
say(b64.decode_base64url("+/8="))
say(b64.encode_base64url(1))
say(b64.decode_base64url(nil))
`, "nil\n+/8=\nYWI= YWI YWI=\nfalse bad no_padding: boolean expected, got number\n[] MTI=\nab ab ab ab\n"+
		"nil nil []\nfalse string argument only\nab nil\n-_8 true\nnil invalid input\nnil must provide a string\nnil must provide a string\n")
}

func TestDigests(t *testing.T) {
	expect(t, `
say(ngx.md5("hello"), #ngx.md5_bin("x"), ngx.md5(nil), ngx.md5(12))
say(ngx.encode_base64(ngx.sha1_bin("abc")), ngx.encode_base64(ngx.hmac_sha1("key", "The quick brown fox jumps over the lazy dog")))
say(perr(ngx.hmac_sha1, "a"))
say(perr(ngx.hmac_sha1, "a", nil))
say(ngx.crc32_short("hello"), ngx.crc32_long("hello"))
say(ngx.crc32_short(""), ngx.crc32_long("The quick brown fox jumps over the lazy dog"))
say(ngx.crc32_short(nil), ngx.crc32_long(12))
`, "5d41402abc4b2a76b9719d911017c592 16 d41d8cd98f00b204e9800998ecf8427e c20ad4d76fe97759aa27a0c99bff6710\n"+
		"qZk+NkcGgWq6PiVxeFDCbJzQ2J0= 3nybhbi3iqa8ino29wqQcBydtNk=\n"+
		"false expecting 2 arguments, but got 1\n"+
		"false bad argument #2 to '?' (string expected, got nil)\n"+
		"907060870 907060870\n0 1095738169\n0 1330857165\n")
}

func TestQuoteSQLStr(t *testing.T) {
	expect(t, `
say(ngx.quote_sql_str("a'b\"c\\d\0e\nf\r\t" .. string.char(26, 8) .. "é"))
say(ngx.quote_sql_str(""), ngx.quote_sql_str(12))
say(perr(ngx.quote_sql_str, nil))
say(perr(ngx.quote_sql_str))
`, `'a\'b\"c\\d\0e\nf\r\t\Z\bé'`+"\n'' '12'\nfalse bad argument #1 to '?' (string expected, got nil)\nfalse expecting one argument\n")
}

func TestHTTPTimes(t *testing.T) {
	expect(t, `
say(ngx.http_time(0))
say(ngx.http_time(1290079655))
say(ngx.cookie_time(1290079655))
say(ngx.cookie_time(2200000000))
say(ngx.parse_http_time("Thu, 18 Nov 2010 11:27:35 GMT"))
say(tostring(ngx.parse_http_time("yesterday")))
say(ngx.http_time(1.7), ngx.cookie_time(-1))
say(ngx.parse_http_time("Thursday, 18-Nov-10 11:27:35 GMT"), ngx.parse_http_time("Thu Nov 18 11:27:35 2010"), ngx.parse_http_time("Thu, 18 Nov 2010 11:27:35"))
say(ngx.parse_http_time("Thu, 29 Feb 2011 11:27:35 GMT"), ngx.parse_http_time("Thu, 18 Nov 2010 24:27:35 GMT"))
say(perr(ngx.http_time, "1"))
say(perr(ngx.parse_http_time, 1))
`, "Thu, 01 Jan 1970 00:00:00 GMT\nThu, 18 Nov 2010 11:27:35 GMT\nThu, 18-Nov-10 11:27:35 GMT\nSun, 18-Sep-2039 23:06:40 GMT\n1290079655\nnil\n"+
		"Thu, 01 Jan 1970 00:00:01 GMT Thu, 01-Jan-70 00:00:00 GMT\n1290079655 1290079655 1290079655\nnil nil\n"+
		"false number argument only\nfalse string argument only\n")
}

func TestClock(t *testing.T) {
	out := runLua(t, `
local now, sec = ngx.now(), ngx.time()
say(type(now), math.floor(now) == sec or math.floor(now) == sec - 1, #ngx.today(), #ngx.localtime(), #ngx.utctime())
say(now * 1000 == math.floor(now * 1000 + 0.5))
say(ngx.localtime():match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$") ~= nil, ngx.today() == ngx.localtime():sub(1, 10))
`)
	if out != "number true 10 19 19\ntrue\ntrue true\n" {
		t.Fatalf("got %q", out)
	}
	// UpdateTime reads the real clock (at millisecond resolution)
	before := time.Now()
	UpdateTime()
	n, after := Now(), time.Now()
	if n.Before(before.Truncate(time.Millisecond)) || n.After(after) {
		t.Fatalf("UpdateTime: cached %v outside [%v, %v]", n, before, after)
	}
	// the background ticker refreshes the cache by itself (waited for,
	// bounded only against a hang)
	for end := time.Now().Add(10 * time.Second); !Now().After(n); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("cached clock never refreshed")
		}
	}
	out = runLua(t, `local t = ngx.now(); ngx.update_time(); say(ngx.now() >= t, math.abs(ngx.time() - os.time()) <= 1)`)
	if out != "true true\n" {
		t.Fatalf("got %q", out)
	}
}
