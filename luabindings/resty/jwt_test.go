package resty

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"os"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// runJWT runs code with the test keys and tokens as globals
// (rsa_private, ec256_public, rs256_openssl, ...), plus tokens passed in.
func runJWT(t *testing.T, code string, globals map[string]string) string {
	t.Helper()
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	files, _ := os.ReadDir("testdata")
	for _, f := range files {
		name := f.Name()
		dot := strings.LastIndexByte(name, '.')
		vm.L.SetGlobal(name[:dot], lua.LString(readTestdata(t, name)))
	}
	for k, v := range globals {
		vm.L.SetGlobal(k, lua.LString(v))
	}
	out, err := runOn(vm, code)
	if err != nil {
		t.Fatalf("lua error: %v\noutput so far:\n%s", err, out)
	}
	return out
}

func expectJWT(t *testing.T, code string, globals map[string]string, want string) {
	t.Helper()
	if got := runJWT(t, code, globals); got != want {
		t.Errorf("output mismatch\n got: %s\nwant: %s", got, want)
	}
}

func TestJWTKnownVectors(t *testing.T) {
	expectJWT(t, `
local jwt = require "resty.jwt"
-- jwt.io's example token
local tok = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
local o = jwt:verify("your-256-bit-secret", tok)
say(o.verified, " ", o.valid, " ", o.reason)
say(o.header.alg, " ", o.header.typ, " ", o.payload.name, " ", o.payload.iat, " ", o.payload.sub)
say(o.raw_header, " ", o.signature)
local bad = jwt:verify("not-the-secret", tok)
say(bad.verified, " ", bad.reason)
local tampered = jwt:verify("your-256-bit-secret", tok:sub(1, -2) .. "d")
say(tampered.reason)
-- RFC 7515 appendix A.1: the key is a JWK "k"; its exp is in 2011
local key = jwt:jwt_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
local rfc = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
local r = jwt:verify(key, rfc)
say(r.verified, " ", r.valid, " ", r.reason)
local validators = require "resty.jwt-validators"
validators.set_system_clock(function() return 1300819379 end)
r = jwt:verify(key, rfc)
say(r.verified, " ", r.reason, " ", r.payload["http://example.com/is_root"], " ", r.payload.iss)
validators.set_system_clock(function() return 1300819380 end)
say(jwt:verify(key, rfc).reason)
validators.set_system_leeway(1)
say(jwt:verify(key, rfc).reason)
-- tokens made with the openssl CLI
say(jwt:verify(rsa_public, rs256_openssl).reason)
say(jwt:verify(rsa_cert, rs256_openssl).reason, " ", jwt:verify(rsa_cert, rs256_openssl).payload.roles[2])
say(jwt:verify(rsa_public, ps256_openssl).reason)
say(jwt:verify("openssl secret", hs512_openssl).reason)
say(jwt:verify(rsa_other_public, rs256_openssl).reason)
`, nil, `true true everything is awesome~ :p
HS256 JWT John Doe 1516239022 1234567890
eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c
false signature mismatch: SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c
signature mismatch: SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5d
false true 'exp' claim expired at Tue, 22 Mar 2011 18:43:00 GMT
true everything is awesome~ :p true joe
'exp' claim expired at Tue, 22 Mar 2011 18:43:00 GMT
everything is awesome~ :p
everything is awesome~ :p
everything is awesome~ :p b
everything is awesome~ :p
everything is awesome~ :p
Verification failed
`)
}

// Tokens signed by golang-jwt verify in Lua, and tokens signed in Lua
// verify with golang-jwt's parser, for every algorithm.
func TestJWTCrossCheckGolangJWT(t *testing.T) {
	rsaKey, err := gojwt.ParseRSAPrivateKeyFromPEM([]byte(readTestdata(t, "rsa_private.pem")))
	if err != nil {
		t.Fatal(err)
	}
	ec256, _ := gojwt.ParseECPrivateKeyFromPEM([]byte(readTestdata(t, "ec256_private.pem")))
	ec384, _ := gojwt.ParseECPrivateKeyFromPEM([]byte(readTestdata(t, "ec384_private.pem")))
	edKey, _ := gojwt.ParseEdPrivateKeyFromPEM([]byte(readTestdata(t, "ed25519_private.pem")))
	type algCase struct {
		alg       string
		signKey   any
		verifyKey any
		luaPriv   string
		luaPublic string
	}
	cases := []algCase{
		{"HS256", []byte("s3cret"), []byte("s3cret"), `"s3cret"`, `"s3cret"`},
		{"HS384", []byte("s3cret"), []byte("s3cret"), `"s3cret"`, `"s3cret"`},
		{"HS512", []byte("s3cret"), []byte("s3cret"), `"s3cret"`, `"s3cret"`},
		{"RS256", rsaKey, &rsaKey.PublicKey, "rsa_private", "rsa_public"},
		{"RS384", rsaKey, &rsaKey.PublicKey, "rsa_private", "rsa_cert"},
		{"RS512", rsaKey, &rsaKey.PublicKey, "rsa_private", "rsa_public"},
		{"PS256", rsaKey, &rsaKey.PublicKey, "rsa_private", "rsa_public"},
		{"PS384", rsaKey, &rsaKey.PublicKey, "rsa_private", "rsa_public"},
		{"PS512", rsaKey, &rsaKey.PublicKey, "rsa_private", "rsa_public"},
		{"ES256", ec256, &ec256.PublicKey, "ec256_private", "ec256_public"},
		{"ES384", ec384, &ec384.PublicKey, "ec384_private", "ec384_public"},
		{"EdDSA", edKey, edKey.(ed25519.PrivateKey).Public(), "ed25519_private", "ed25519_public"},
	}
	_ = (*ecdsa.PrivateKey)(nil)
	_ = (*rsa.PrivateKey)(nil)
	exp := time.Now().Add(time.Hour).Unix()
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			m := gojwt.GetSigningMethod(c.alg)
			tok, err := gojwt.NewWithClaims(m, gojwt.MapClaims{"sub": "go", "exp": exp, "n": 1.5}).SignedString(c.signKey)
			if err != nil {
				t.Fatal(err)
			}
			out := runJWT(t, `
local jwt = require "resty.jwt"
local o = jwt:verify(`+c.luaPublic+`, gotoken)
say(o.verified, " ", o.reason, " ", o.payload.sub, " ", o.payload.n)
-- a flipped byte in the middle of the signature
local sig = o.signature
local i = math.floor(#sig / 2)
local flipped = sig:sub(1, i - 1) .. (sig:sub(i, i) == "A" and "B" or "A") .. sig:sub(i + 1)
say(jwt:verify(`+c.luaPublic+`, o.raw_header .. "." .. o.raw_payload .. "." .. flipped).verified)
-- a changed payload under the old signature
local p2 = jwt:jwt_encode({sub = "admin", exp = o.payload.exp})
say(jwt:verify(`+c.luaPublic+`, o.raw_header .. "." .. p2 .. "." .. sig).verified)
say(jwt:sign(`+c.luaPriv+`, {header = {typ = "JWT", alg = "`+c.alg+`"}, payload = {sub = "lua", exp = o.payload.exp, list = {1, 2, 3}}}))
`, map[string]string{"gotoken": tok})
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 4 || lines[0] != "true everything is awesome~ :p go 1.5" || lines[1] != "false" || lines[2] != "false" {
				t.Fatalf("lua verify of golang-jwt token:\n%s", out)
			}
			parsed, err := gojwt.Parse(lines[3], func(*gojwt.Token) (any, error) { return c.verifyKey, nil },
				gojwt.WithValidMethods([]string{c.alg}))
			if err != nil {
				t.Fatalf("golang-jwt rejects the Lua-signed token %s: %v", lines[3], err)
			}
			claims := parsed.Claims.(gojwt.MapClaims)
			if claims["sub"] != "lua" || len(claims["list"].([]any)) != 3 || parsed.Header["typ"] != "JWT" {
				t.Fatalf("claims %v header %v", claims, parsed.Header)
			}
		})
	}
}

// The HMAC kept between verifies follows the secret and the alg: a token
// checked with one secret, then another, then the first again, and an
// HS512 token after HS256 ones.
func TestJWTVerifyHMACReuse(t *testing.T) {
	expect(t, `
local jwt = require "resty.jwt"
local function tok(alg, secret)
  return jwt:sign(secret, {header = {typ = "JWT", alg = alg}, payload = {sub = "u"}})
end
local a, b = tok("HS256", "one"), tok("HS256", "two")
say(jwt:verify("one", a).verified, jwt:verify("one", b).verified)
say(jwt:verify("two", b).verified, jwt:verify("two", a).verified)
say(jwt:verify("one", a).verified)
local c = tok("HS512", "one")
say(jwt:verify("one", c).verified, jwt:verify("one", a).verified)
local bad = a:sub(1, -2) .. (a:sub(-1) == "A" and "B" or "A")
say(jwt:verify("one", bad).reason == "signature mismatch: " .. bad:match("[^.]+$"))
`, "truefalse\ntruefalse\ntrue\ntruetrue\ntrue\n")
}
