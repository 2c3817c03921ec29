package resty

import (
	"testing"

	"github.com/goresty/goresty/luabindings"
)

// JWT parts go through cjson: ngx.null and empty tables survive a round trip.
func TestJWTJSONThroughCjson(t *testing.T) {
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
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
