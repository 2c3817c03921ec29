package resty

import (
	"testing"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func TestJSONEncodeLikeCjson(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	null := L.NewUserData()
	mk := func(code string) lua.LValue {
		if err := L.DoString("return " + code); err != nil {
			t.Fatal(err)
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	L.SetGlobal("null", null)
	for _, c := range []struct{ code, want, err string }{
		{`{}`, `{}`, ""},
		{`{1, 2, "x"}`, `[1,2,"x"]`, ""},
		{`{b = 1, a = {true, false}, c = null}`, `{"a":[true,false],"b":1,"c":null}`, ""},
		{`{[1] = 1, [3] = 3}`, `[1,null,3]`, ""},
		{`{[1] = 1, [20] = 3}`, "", "Cannot serialise table: excessively sparse array"},
		{`{[1] = 1, x = 2}`, `{"1":1,"x":2}`, ""},
		{`{s = "a/b\"c\\d\n\1\127é"}`, `{"s":"a\/b\"c\\d\n\u0001\u007fé"}`, ""},
		{`{n = 0.1, i = 1516239022, big = 1e20, neg = -2.5}`, `{"big":1e+20,"i":1516239022,"n":0.1,"neg":-2.5}`, ""},
		{`{f = print}`, "", "Cannot serialise function: type not supported"},
		{`{[true] = 1}`, "", "Cannot serialise table: table key must be a number or string"},
		{`{n = 0/0}`, "", "Cannot serialise number: must not be NaN or Inf"},
	} {
		got, err := jsonEncode(mk(c.code), null)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: err %v, want %s", c.code, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.code, got, err, c.want)
		}
	}
	// self-referencing tables stop at the depth limit
	L.DoString(`loop = {} loop.x = loop`)
	if _, err := jsonEncode(L.GetGlobal("loop"), null); err == nil {
		t.Error("cyclic table encoded")
	}
}

func TestJSONDecode(t *testing.T) {
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	null := vm.L.NewUserData()
	vm.Ngx().RawSetString("null", null)
	L := vm.L
	v, err := jsonDecode(L, `{"a":[1,2.5,-3e2,null,"x\u00e9\ud83d\ude00\/"],"b":{"c":true,"d":false},"e":null}`, null)
	if err != nil {
		t.Fatal(err)
	}
	tb := v.(*lua.LTable)
	arr := tb.RawGetString("a").(*lua.LTable)
	if arr.RawGetInt(1) != lua.LNumber(1) || arr.RawGetInt(2) != lua.LNumber(2.5) || arr.RawGetInt(3) != lua.LNumber(-300) ||
		arr.RawGetInt(4) != null || arr.RawGetInt(5) != lua.LString("xé😀/") || tb.RawGetString("e") != null ||
		tb.RawGetString("b").(*lua.LTable).RawGetString("c") != lua.LTrue {
		t.Fatalf("decoded wrongly: %v", v)
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `"\x"`, `"a`, `tru`, `{"a":1} x`, `"\ud800"`, "\"\x01\""} {
		if _, err := jsonDecode(L, bad, null); err == nil {
			t.Errorf("decoded invalid JSON %q", bad)
		}
	}
	// ngx.null reaches jwt payloads
	out, err := runOn(vm, `
local jwt = require "resty.jwt"
local tok = jwt:sign("k", {header = {alg = "HS256"}, payload = {a = ngx.null, b = {}}})
local o = jwt:verify("k", tok)
say(o.reason, " ", o.payload.a == ngx.null, " ", type(o.payload.b))
say(jwt:jwt_decode(o.raw_payload))
say(jwt:jwt_decode("!!"), " ", jwt:jwt_decode(jwt:jwt_encode("{bad"), true))
`)
	if err != nil || out != "everything is awesome~ :p true table\n{\"a\":null,\"b\":{}}\nnil nil\n" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestBase64URLDecodeLikeNginx(t *testing.T) {
	for in, want := range map[string]string{
		"":         "",
		"YQ":       "a",
		"YWI":      "ab",
		"YWJj":     "abc",
		"YR":       "a", // non-zero trailing bits are ignored, as nginx does
		"YQ==":     "a",
		"YQ==junk": "a", // nginx stops at the first "="
		"-_-_":     "\xfb\xff\xbf",
		"+/+/":     "\xfb\xff\xbf",
	} {
		got, ok := b64urlDecode(in)
		if !ok || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"Y", "YWJjZ", "YQ!", "a b"} {
		if _, ok := b64urlDecode(bad); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}
