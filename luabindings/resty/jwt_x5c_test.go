package resty

import (
	"encoding/base64"
	"encoding/pem"
	"path/filepath"
	"testing"
)

// The x5c/x5u model: the signing certificate travels in the header and
// must chain to a CA from trusted_certs_file.
func TestJWTTrustedCerts(t *testing.T) {
	b, _ := pem.Decode([]byte(readTestdata(t, "signer_cert.pem")))
	abs, _ := filepath.Abs("testdata/ca_cert.pem")
	other, _ := filepath.Abs("testdata/rsa_cert.pem")
	expectJWT(t, `
local jwt = require "resty.jwt"
local tok = jwt:sign(rsa_private, {header = {alg = "RS256", x5c = {signer_der_b64}}, payload = {sub = "x"}})
local j = jwt.new()
j:set_trusted_certs_file(ca_file)
say(j:verify(nil, tok).reason)
-- signed by another key under the same x5c
local forged = jwt:sign(rsa_other_private, {header = {alg = "RS256", x5c = {signer_der_b64}}, payload = {sub = "x"}})
say(j:verify(nil, forged).reason)
-- a certificate that does not chain to the trusted CA
local k = jwt.new()
k:set_trusted_certs_file(other_file)
say(k:verify(nil, tok).reason:match("^Cert used to sign the JWT isn't trusted: ") ~= nil)
-- no x5c: x5u needs a retriever
local u = jwt:sign(rsa_private, {header = {alg = "RS256", x5u = "https://certs/x"}, payload = {iss = "me"}})
say(j:verify(nil, u).reason)
j:set_x5u_content_retriever(function(url, iss, kid) return url == "https://certs/x" and iss == "me" and signer_cert or nil end)
say(j:verify(nil, u).reason)
j:set_x5u_content_retriever(function() error("down") end)
say(j:verify(nil, u).reason)
say(pcall(j.set_x5u_content_retriever, j, "x"))
say(j:verify(nil, jwt:sign(rsa_private, {header = {alg = "RS256"}, payload = {}})).reason)
say(j:verify(nil, jwt:sign(rsa_private, {header = {alg = "RS256", x5c = {"!!"}}, payload = {}})).reason)
`, map[string]string{"signer_der_b64": encodeStd(b.Bytes), "ca_file": abs, "other_file": other},
		`everything is awesome~ :p
Verification failed
true
No function has been provided to retrieve the content pointed at by the 'x5u'.
everything is awesome~ :p
An error occured while invoking the x5u_content_retriever function.
false'retriever_function' is expected to be a function
Unsupported RS256 key model
Malformed x5c header
`)
}

func encodeStd(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
