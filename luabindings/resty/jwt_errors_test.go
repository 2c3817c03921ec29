package resty

import (
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

func TestJWTAttacksAndErrors(t *testing.T) {
	// The HS/RS confusion attack: an HS256 token whose HMAC key is the
	// verifier's RSA public key PEM.
	pub := readTestdata(t, "rsa_public.pem")
	confused, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{"sub": "admin"}).SignedString([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	confusedCert, _ := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{"sub": "admin"}).
		SignedString([]byte(readTestdata(t, "rsa_cert.pem")))
	ec384, _ := gojwt.ParseECPrivateKeyFromPEM([]byte(readTestdata(t, "ec384_private.pem")))
	es384, _ := gojwt.NewWithClaims(gojwt.SigningMethodES384, gojwt.MapClaims{"sub": "x"}).SignedString(ec384)
	expectJWT(t, `
local jwt = require "resty.jwt"
say(jwt:verify(rsa_public, confused).reason)
say(jwt:verify(rsa_cert, confusedCert).reason)
local wl = jwt.new()
wl:set_alg_whitelist({RS256 = 1})
local o = wl:verify(rsa_public, confused)
say(o.verified, " ", o.valid, " ", o.reason)
-- the whitelist of an instance does not leak into the module
say(jwt.alg_whitelist, " ", wl:verify(rsa_public, rs256_openssl).reason)
-- alg none, with and without a signature part
local none = jwt:jwt_encode({alg = "none", typ = "JWT"}) .. "." .. jwt:jwt_encode({sub = "admin"})
say(jwt:verify("secret", none .. ".").reason)
say(jwt:verify("secret", none .. ".x").reason)
say(jwt:verify("secret", jwt:jwt_encode({typ = "JWT"}) .. "." .. jwt:jwt_encode({}) .. ".x").reason)
local ok, err = pcall(jwt.sign, jwt, "secret", {header = {alg = "none"}, payload = {sub = "x"}})
say(ok, " ", err.reason)
-- RS token checked with an HMAC secret, no secret, a bad PEM
say(jwt:verify("some hmac secret", rs256_openssl).reason)
say(jwt:verify(nil, rs256_openssl).reason)
say(jwt:verify("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----", rs256_openssl).reason)
-- ES384 token checked against a P-256 key, a bad signature encoding
say(jwt:verify(ec256_public, es384).reason)
local p = {} for part in es384:gmatch("[^.]+") do p[#p + 1] = part end
say(jwt:verify(ec384_public, p[1] .. "." .. p[2] .. ".a").reason)
-- malformed tokens
say(jwt:verify("s", "abc").reason, "|", jwt:verify("s", "abc").valid)
say(jwt:verify("s", nil).reason)
say(jwt:verify("s", "a.b.c.d.e.f").reason)
say(jwt:verify("s", "!!.b.c").reason)
say(jwt:verify("s", jwt:jwt_encode("not json") .. ".b.c").reason)
say(jwt:verify("s", jwt:jwt_encode({alg = "HS256"}) .. ".eyJ.c").reason)
say(jwt:verify("s", jwt:jwt_encode({alg = "A"}) .. ".b.c.d").reason)
local l = jwt:load_jwt("abc")
say(l.valid, " ", l.verified, " ", l.reason)
-- sign errors are raised as {reason = ...}
for _, obj in ipairs({
  {header = {alg = "HS999"}, payload = {}},
  {header = {alg = "HS256", typ = "JOSE"}, payload = {}},
  {header = {alg = "HS256"}},
}) do
  local ok, err = pcall(jwt.sign, jwt, "k", obj)
  say(ok, " ", err.reason)
end
say(select(2, pcall(jwt.sign, jwt, "not a pem", {header = {alg = "RS256"}, payload = {}})).reason)
say(select(2, pcall(jwt.sign, jwt, rsa_public, {header = {alg = "RS256"}, payload = {}})).reason ~= nil)
say(select(2, pcall(jwt.sign, jwt, {}, {header = {alg = "HS256"}, payload = {}})).reason)
-- secret functions look up the kid
local function lookup(kid) return ({k1 = "one", k2 = "two"})[kid] end
local t1 = jwt:sign("one", {header = {alg = "HS256", kid = "k1"}, payload = {a = 1}})
local t2 = jwt:sign(lookup, {header = {alg = "HS512", kid = "k2"}, payload = {a = 1}})
say(jwt:verify(lookup, t1).reason, " ", jwt:verify(lookup, t2).reason)
say(jwt:verify(lookup, jwt:sign("x", {header = {alg = "HS256", kid = "nope"}, payload = {}})).reason)
say(jwt:verify(lookup, jwt:sign("x", {header = {alg = "HS256"}, payload = {}})).reason)
say(jwt:verify(lookup, rs256_openssl).reason)
`, map[string]string{"confused": confused, "confusedCert": confusedCert, "es384": es384},
		`HMAC secret is a public key or certificate
HMAC secret is a public key or certificate
false nil whitelist unsupported alg: HS256
nil everything is awesome~ :p
invalid jwt string
Unsupported algorithm none
No algorithm supplied
false unsupported alg: none
Decode secret is not a valid cert/public key
No trusted certs loaded
Decode secret is not a valid cert/public key
signature length != 2 * order length
Wrongly encoded signature
invalid jwt string|nil
invalid jwt string
invalid jwt string
invalid header: !!
invalid header: bm90IGpzb24
invalid payload: eyJ
invalid algorithm: A
false false invalid jwt string
false unsupported alg: HS999
false invalid typ: JOSE
false missing part payload
signer error: no start line
true
invalid secret type (must be string or function)
everything is awesome~ :p everything is awesome~ :p
function returned nil for kid: nope
secret function specified without kid in header
Decode secret is not a valid cert/public key
`)
}

func TestJWTClaims(t *testing.T) {
	now := time.Now().Unix()
	mk := func(claims gojwt.MapClaims) string {
		s, _ := gojwt.NewWithClaims(gojwt.SigningMethodHS256, claims).SignedString([]byte("k"))
		return s
	}
	globals := map[string]string{
		"expired":  mk(gojwt.MapClaims{"sub": "a", "exp": now - 10}),
		"future":   mk(gojwt.MapClaims{"sub": "a", "nbf": now + 100}),
		"fresh":    mk(gojwt.MapClaims{"sub": "a", "iss": "me", "exp": now + 100, "roles": []string{"x", "admin"}}),
		"bare":     mk(gojwt.MapClaims{"sub": "y"}),
		"badexp":   mk(gojwt.MapClaims{"exp": "soon"}),
		"tampered": mk(gojwt.MapClaims{"sub": "a", "exp": now - 10})[:20] + "x",
	}
	out := runJWT(t, `
local jwt = require "resty.jwt"
local v = require "resty.jwt-validators"
local function r(tok, ...) local o = jwt:verify("k", tok, ...) return o.reason end
say(r(expired):match("^'exp' claim expired at %a+, %d+ %a+ %d+ %d+:%d+:%d+ GMT$") ~= nil)
say(r(future):match("^'nbf' claim not valid until ") ~= nil)
say(r(fresh), "|", r(bare), "|", r(badexp))
-- claims are checked before the signature, as upstream does
say(jwt:verify("wrong key", expired).reason:sub(1, 19))
-- leeway
v.set_system_leeway(200)
say(r(expired), "|", r(future))
v.set_system_leeway(0)
-- claim specs with built-in validators
say(r(fresh, {sub = v.equals("a"), iss = v.equals_any_of({"you", "me"}), roles = v.contains_any_of({"admin"})}))
say(r(fresh, {sub = v.equals("b")}))
say(r(fresh, {aud = v.required()}))
say(r(fresh, {aud = v.opt_equals("x")}))
say(r(fresh, {sub = v.matches("^%a$")}), "|", r(fresh, {sub = v.matches("^%d$")}))
say(r(fresh, {exp = v.is_not_expired(), nbf = v.opt_is_not_before()}))
say(r(fresh, {nbf = v.is_not_before()}))
say(r(bare, {__jwt = v.require_one_of({"nbf", "exp"})}))
say(r(fresh, {__jwt = v.require_one_of({"nbf", "exp"})}))
say(r(fresh, {exp = v.chain(v.required(), v.greater_than(0), v.less_than(1))}))
-- user validators: false, error string, error table, jwt_json and the __jwt copy
say(r(fresh, {sub = function(val, claim, json) return val == "a" and claim == "sub" and json:find('"payload"') ~= nil end}))
say(r(fresh, {sub = function() return false end}))
say(r(fresh, {sub = function() error("boom") end}))
say(r(fresh, {sub = function() error({reason = "custom reason"}) end}))
say(r(fresh, {__jwt = function(obj) obj.payload.sub = "changed" return obj.header.alg == "HS256" end}))
say(r(fresh, {sub = v.chain(function() return true end, v.equals("a"))}))
-- several specs: all must pass
say(r(fresh, {sub = v.equals("a")}, {iss = v.equals("nope")}))
-- a non-function in a spec raises
say(pcall(jwt.verify, jwt, "k", fresh, {sub = "a"}))
-- legacy options
say(r(bare, {lifetime_grace_period = 0}))
say(r(bare, {require_exp_claim = true}))
say(r(fresh, {valid_issuers = {"other"}}))
say(r(fresh, {valid_issuers = {"me"}, require_exp_claim = true}))
say(pcall(jwt.verify, jwt, "k", fresh, {require_nbf_claim = "yes"}))
-- load_jwt + verify_jwt_obj; a signature failure after valid claims
local o = jwt:load_jwt(fresh)
say(o.valid, " ", o.verified, " ", o.reason)
say(jwt:verify_jwt_obj("k", o).verified)
say(jwt:verify_jwt_obj("other", jwt:load_jwt(fresh)).reason:sub(1, 19))
say(r(tampered))
local d = jwt:get_default_validation_options(jwt:load_jwt(fresh))
say(d.require_exp_claim, " ", d.require_nbf_claim)
`, globals)
	want := `true
true
everything is awesome~ :p|everything is awesome~ :p|'exp' is malformed.  Expected to be a positive numeric value.
'exp' claim expired
everything is awesome~ :p|everything is awesome~ :p
everything is awesome~ :p
Claim 'sub' ('a') returned failure
'aud' claim is required.
everything is awesome~ :p
everything is awesome~ :p|Claim 'sub' ('a') returned failure
everything is awesome~ :p
'nbf' claim is required.
Missing one of claims - [ nbf, exp ].
everything is awesome~ :p
Claim 'exp' ('` + fmtNumber(float64(now+100)) + `') returned failure
everything is awesome~ :p
Claim 'sub' ('a') returned failure
boom
custom reason
everything is awesome~ :p
everything is awesome~ :p
Claim 'iss' ('me') returned failure
falseClaim spec value must be a function - see jwt-validators.lua for helper functions
Missing one of claims - [ nbf, exp ].
'exp' claim is required.
Claim 'iss' ('me') returned failure
everything is awesome~ :p
false'require_nbf_claim' validation option is expected to be a boolean.
true false nil
true
signature mismatch:
invalid jwt string
true false
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
