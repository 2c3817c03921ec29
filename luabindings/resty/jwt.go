package resty

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"hash"
	"os"
	"strings"
	"unsafe"

	"github.com/goresty/goresty/luabindings/cjson"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// resty.jwt (lua-resty-jwt 0.2.x API) on golang-jwt's signing methods.
// The flow, the order of checks and the reason strings follow upstream:
// claims are validated before the signature, HS tokens are verified by
// re-signing, RS/PS/ES keys come from a PEM public key or certificate.

const jwtVersion = "0.2.3"

const (
	reasonInvalidJWT = "invalid jwt string"
	reasonAwesome    = "everything is awesome~ :p"
	reasonInternal   = "internal error"
)

type jwtModule struct {
	st  *jwtState
	mod *lua.LTable

	// the HMAC of the last HS verify, reused while alg and secret stay
	// the same (a VM runs one request at a time)
	macAlg, macKey string
	mac            hash.Hash
	macIn, macOut  []byte // scratch: the signed input, the MAC
}

func init() {
	luabindings.RegisterModule("resty.jwt", loadJWT)
}

func loadJWT(vm *luabindings.VM, L *lua.LState) lua.LValue {
	j := &jwtModule{st: getJWTState(vm, L)}
	m := L.NewTable()
	j.mod = m
	m.RawSetString("_VERSION", lua.LString(jwtVersion))
	mt := L.NewTable()
	mt.RawSetString("__index", m)
	set := func(name string, f lua.LGFunction) { m.RawSetString(name, L.NewFunction(f)) }
	set("new", func(L *lua.LState) int {
		t := L.NewTable()
		t.Metatable = mt
		L.Push(t)
		return 1
	})
	set("sign", j.luaSign)
	set("verify", j.luaVerify)
	set("load_jwt", j.luaLoad)
	set("verify_jwt_obj", j.luaVerifyObj)
	set("jwt_encode", func(L *lua.LState) int {
		s, err := j.encodePart(L, L.Get(2), nil)
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		L.Push(lua.LString(s))
		return 1
	})
	set("jwt_decode", func(L *lua.LState) int {
		data, ok := b64urlDecode(L.CheckString(2))
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		if lua.LVAsBool(L.Get(3)) {
			v, err := cjson.Decode(L, data)
			if err != nil {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(v)
			return 1
		}
		L.Push(lua.LString(data))
		return 1
	})
	setter := func(name, field string) {
		set(name, func(L *lua.LState) int {
			L.SetField(L.Get(1), field, L.Get(2))
			return 0
		})
	}
	setter("set_alg_whitelist", "alg_whitelist")
	setter("set_trusted_certs_file", "trusted_certs_file")
	set("set_x5u_content_retriever", func(L *lua.LState) int {
		if _, ok := L.Get(2).(*lua.LFunction); !ok {
			L.Error(lua.LString("'retriever_function' is expected to be a function"), 0)
		}
		L.SetField(L.Get(1), "x5u_content_retriever", L.Get(2))
		return 0
	})
	for _, name := range []string{"payload_encoder", "payload_decoder"} {
		field := name
		set("set_"+name, func(L *lua.LState) int {
			if _, ok := L.Get(2).(*lua.LFunction); !ok {
				t := L.NewTable()
				t.RawSetString("reason", lua.LString(strings.Replace(field, "_", " ", 1)+" must be function"))
				L.Error(t, 0)
			}
			L.SetField(L.Get(1), field, L.Get(2))
			return 0
		})
	}
	set("get_default_validation_options", func(L *lua.LState) int {
		L.Push(defaultValidationOptions(L, L.Get(2)))
		return 1
	})
	return m
}

func defaultValidationOptions(L *lua.LState, obj lua.LValue) *lua.LTable {
	t := L.CreateTable(0, 2)
	var payload lua.LValue = lua.LNil
	if ot, ok := obj.(*lua.LTable); ok {
		payload = ot.RawGetString("payload")
	}
	has := func(k string) lua.LValue {
		if p, ok := payload.(*lua.LTable); ok {
			return lua.LBool(p.RawGetString(k) != lua.LNil)
		}
		return lua.LFalse
	}
	t.RawSetString("require_exp_claim", has("exp"))
	t.RawSetString("require_nbf_claim", has("nbf"))
	return t
}

// --- base64url as lua-resty-jwt does it on top of ngx.*_base64 ---

func b64urlEncode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// b64urlDecode is jwt_decode's "-"→"+", "_"→"/", pad, ngx.decode_base64:
// nginx stops at the first "=", rejects any other byte outside the
// alphabet and a length of 4n+1, and ignores non-zero trailing bits.
func b64urlDecode(s string) (string, bool) {
	n := 0
	for n < len(s) && s[n] != '=' {
		if b64val(s[n]) < 0 {
			return "", false
		}
		n++
	}
	if n%4 == 1 {
		return "", false
	}
	var out strings.Builder
	out.Grow(n * 3 / 4)
	var acc uint32
	bits := 0
	for i := 0; i < n; i++ {
		acc = acc<<6 | uint32(b64val(s[i]))
		bits += 6
		if bits >= 8 {
			bits -= 8
			out.WriteByte(byte(acc >> uint(bits)))
		}
	}
	return out.String(), true
}

func b64val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	}
	return -1
}

// --- errors raised as {reason = ...} tables ---

type reasonError struct {
	reason lua.LValue // nil: not a reason table (verify says "internal error")
	msg    string
}

func (e *reasonError) Error() string {
	if e.reason != nil {
		return luaToString(e.reason)
	}
	return e.msg
}

func reasonf(format string, args ...any) *reasonError {
	return &reasonError{reason: lua.LString(sprintf(format, args...))}
}

func raiseReason(L *lua.LState, err error) {
	if re, ok := err.(*reasonError); ok && re.reason != nil {
		t := L.NewTable()
		t.RawSetString("reason", re.reason)
		L.Error(t, 0)
	}
	L.RaiseError("%s", err.Error())
}

// --- encoding parts ---

// encodePart is jwt_encode: tables as JSON, anything else as its string.
func (j *jwtModule) encodePart(L *lua.LState, v lua.LValue, encoder lua.LValue) (string, error) {
	if t, ok := v.(*lua.LTable); ok {
		s, err := cjson.Encode(L, t)
		if err != nil {
			return "", err
		}
		return b64urlEncode([]byte(s)), nil
	}
	switch x := v.(type) {
	case lua.LString:
		return b64urlEncode([]byte(string(x))), nil
	case lua.LNumber:
		return b64urlEncode([]byte(fmtNumber(float64(x)))), nil
	}
	return "", errors.New("bad argument #1 to 'encode_base64' (string expected, got " + typeName(v) + ")")
}

func (j *jwtModule) rawPart(L *lua.LState, obj *lua.LTable, part string, self lua.LValue) (string, error) {
	if raw := obj.RawGetString("raw_" + part); raw != lua.LNil {
		return luaToString(raw), nil
	}
	v := obj.RawGetString(part)
	if v == lua.LNil {
		return "", reasonf("missing part %s", part)
	}
	if part == "payload" {
		if enc, ok := L.GetField(self, "payload_encoder").(*lua.LFunction); ok {
			if t, ok := v.(*lua.LTable); ok {
				L.Push(enc)
				L.Push(t)
				L.Call(1, 1)
				v = L.Get(-1)
				L.Pop(1)
			}
		}
	}
	s, err := j.encodePart(L, v, nil)
	if err != nil {
		return "", &reasonError{msg: err.Error()}
	}
	return s, nil
}

// --- sign ---

func (j *jwtModule) luaSign(L *lua.LState) int {
	self := L.Get(1)
	obj, ok := L.Get(3).(*lua.LTable)
	if !ok {
		L.RaiseError("attempt to index local 'jwt_obj' (a %s value)", typeName(L.Get(3)))
	}
	tok, err := j.sign(L, self, L.Get(2), obj)
	if err != nil {
		raiseReason(L, err)
	}
	L.Push(lua.LString(tok))
	return 1
}

func headerOf(L *lua.LState, obj *lua.LTable) (*lua.LTable, error) {
	h, ok := obj.RawGetString("header").(*lua.LTable)
	if !ok {
		return nil, &reasonError{msg: "attempt to index field 'header' (a " + typeName(obj.RawGetString("header")) + " value)"}
	}
	return h, nil
}

var hmacMethods = map[string]*gojwt.SigningMethodHMAC{
	"HS256": gojwt.SigningMethodHS256, "HS384": gojwt.SigningMethodHS384, "HS512": gojwt.SigningMethodHS512}

var rsaMethods = map[string]gojwt.SigningMethod{
	"RS256": gojwt.SigningMethodRS256, "RS384": gojwt.SigningMethodRS384, "RS512": gojwt.SigningMethodRS512,
	"PS256": gojwt.SigningMethodPS256, "PS384": gojwt.SigningMethodPS384, "PS512": gojwt.SigningMethodPS512}

var ecMethods = map[string]*gojwt.SigningMethodECDSA{
	"ES256": gojwt.SigningMethodES256, "ES384": gojwt.SigningMethodES384, "ES512": gojwt.SigningMethodES512}

func isEdDSA(alg string) bool { return alg == "EdDSA" || alg == "Ed25519" }

func (j *jwtModule) sign(L *lua.LState, self, secret lua.LValue, obj *lua.LTable) (string, error) {
	header, err := headerOf(L, obj)
	if err != nil {
		return "", err
	}
	typ := header.RawGetString("typ")
	if typ != lua.LNil && typ != lua.LString("JWT") && typ != lua.LString("JWE") {
		return "", reasonf("invalid typ: %s", luaToString(typ))
	}
	if typ == lua.LString("JWE") || header.RawGetString("enc") != lua.LNil {
		return "", reasonf("unsupported alg: JWE is not supported")
	}
	rawHeader, err := j.rawPart(L, obj, "header", self)
	if err != nil {
		return "", err
	}
	rawPayload, err := j.rawPart(L, obj, "payload", self)
	if err != nil {
		return "", err
	}
	msg := rawHeader + "." + rawPayload
	algV := header.RawGetString("alg")
	alg, _ := algV.(lua.LString)
	var sig []byte
	switch a := string(alg); {
	case hmacMethods[a] != nil:
		key, err := secretString(L, secret, header, a)
		if err != nil {
			return "", err
		}
		sig, err = hmacMethods[a].Sign(msg, []byte(key))
		if err != nil {
			return "", reasonf("signer error: %s", err.Error())
		}
	case rsaMethods[a] != nil:
		key, err := parsePrivateKey(secret, gojwt.ParseRSAPrivateKeyFromPEM)
		if err != nil {
			return "", reasonf("signer error: %s", err.Error())
		}
		if sig, err = rsaMethods[a].Sign(msg, key); err != nil {
			return "", reasonf("signer error: %s", err.Error())
		}
	case ecMethods[a] != nil:
		key, err := parsePrivateKey(secret, gojwt.ParseECPrivateKeyFromPEM)
		if err != nil {
			return "", reasonf("signer error: %s", err.Error())
		}
		if sig, err = ecMethods[a].Sign(msg, key); err != nil {
			return "", reasonf("signature error: %s", err.Error())
		}
	case isEdDSA(a):
		key, err := parsePrivateKey(secret, gojwt.ParseEdPrivateKeyFromPEM)
		if err != nil {
			return "", reasonf("failed to load EdDSA private key: %s", err.Error())
		}
		if sig, err = gojwt.SigningMethodEdDSA.Sign(msg, key); err != nil {
			return "", reasonf("EdDSA sign error: %s", err.Error())
		}
	default:
		return "", reasonf("unsupported alg: %s", luaToString(algV))
	}
	return msg + "." + b64urlEncode(sig), nil
}

func parsePrivateKey[K any](secret lua.LValue, parse func([]byte) (K, error)) (K, error) {
	var zero K
	s, ok := secret.(lua.LString)
	if !ok {
		return zero, errors.New("no start line")
	}
	if b, _ := pem.Decode([]byte(s)); b == nil {
		return zero, errors.New("no start line")
	}
	return parse([]byte(s))
}

// secretString is get_secret_str: a string, or a function of the
// header's kid (HMAC algorithms only).
func secretString(L *lua.LState, secret lua.LValue, header *lua.LTable, alg string) (string, error) {
	switch s := secret.(type) {
	case lua.LString:
		return string(s), nil
	case *lua.LFunction:
		if hmacMethods[alg] == nil {
			return "", reasonf("secret function can only be used with hmac alg: %s", alg)
		}
		kid := header.RawGetString("kid")
		if kid == lua.LNil {
			return "", reasonf("secret function specified without kid in header")
		}
		L.Push(s)
		L.Push(kid)
		if err := L.PCall(1, 1, nil); err != nil {
			return "", &reasonError{msg: err.Error()}
		}
		r := L.Get(-1)
		L.Pop(1)
		if !lua.LVAsBool(r) {
			return "", reasonf("function returned nil for kid: %s", luaToString(kid))
		}
		return luaToString(r), nil
	}
	return "", reasonf("invalid secret type (must be string or function)")
}

// --- load ---

func (j *jwtModule) luaLoad(L *lua.LState) int {
	L.Push(j.load(L, L.Get(1), L.Get(2)))
	return 1
}

func (j *jwtModule) load(L *lua.LState, self, token lua.LValue) *lua.LTable {
	obj, err := j.parse(L, self, token)
	if err != nil {
		t := L.CreateTable(0, 3)
		t.RawSetString("valid", lua.LFalse)
		t.RawSetString("verified", lua.LFalse)
		if re, ok := err.(*reasonError); ok && re.reason != nil {
			t.RawSetString("reason", re.reason)
		} else {
			t.RawSetString("reason", lua.LString(reasonInvalidJWT))
		}
		return t
	}
	obj.RawSetString("verified", lua.LFalse)
	obj.RawSetString("valid", lua.LTrue)
	return obj
}

func (j *jwtModule) parse(L *lua.LState, self, token lua.LValue) (*lua.LTable, error) {
	s, ok := token.(lua.LString)
	if !ok {
		return nil, errors.New(reasonInvalidJWT)
	}
	// split like gmatch("([^.]+)"): empty segments vanish
	var parts [6]string
	n := 0
	for rest, more := string(s), true; more; {
		var p string
		p, rest, more = strings.Cut(rest, ".")
		if p == "" {
			continue
		}
		if n == len(parts) {
			return nil, reasonf(reasonInvalidJWT)
		}
		parts[n] = p
		n++
	}
	switch n {
	case 3:
	case 4, 5:
		h := j.decodeJSON(L, parts[0], nil)
		ht, ok := h.(*lua.LTable)
		if !ok {
			return nil, reasonf("invalid header: %s", parts[0])
		}
		alg := ht.RawGetString("alg")
		if alg != lua.LString("dir") && alg != lua.LString("RSA-OAEP-256") {
			return nil, reasonf("invalid algorithm: %s", luaToString(alg))
		}
		return nil, reasonf("JWE tokens are not supported")
	default:
		return nil, reasonf(reasonInvalidJWT)
	}
	header, ok := j.decodeJSON(L, parts[0], nil).(*lua.LTable)
	if !ok {
		return nil, reasonf("invalid header: %s", parts[0])
	}
	dec, _ := L.GetField(self, "payload_decoder").(*lua.LFunction)
	payload, ok := j.decodeJSON(L, parts[1], dec).(*lua.LTable)
	if !ok {
		return nil, reasonf("invalid payload: %s", parts[1])
	}
	obj := L.CreateTable(0, 8)
	obj.RawSetString("raw_header", L.StringValue(parts[0]))
	obj.RawSetString("raw_payload", L.StringValue(parts[1]))
	obj.RawSetString("header", header)
	obj.RawSetString("payload", payload)
	obj.RawSetString("signature", L.StringValue(parts[2]))
	return obj, nil
}

// decodeJSON is jwt_decode(s, true): nil on bad base64 or bad JSON.
func (j *jwtModule) decodeJSON(L *lua.LState, part string, decoder *lua.LFunction) lua.LValue {
	data, ok := b64urlDecode(part)
	if !ok {
		return lua.LNil
	}
	if decoder != nil {
		L.Push(decoder)
		L.Push(lua.LString(data))
		if err := L.PCall(1, 1, nil); err != nil {
			return lua.LNil
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	v, err := cjson.Decode(L, data)
	if err != nil {
		return lua.LNil
	}
	return v
}

// --- verify ---

func (j *jwtModule) luaVerify(L *lua.LState) int {
	self, secret := L.Get(1), L.Get(2)
	obj := j.load(L, self, L.Get(3))
	if obj.RawGetString("valid") != lua.LTrue {
		t := L.CreateTable(0, 2)
		t.RawSetString("verified", lua.LFalse)
		t.RawSetString("reason", obj.RawGetString("reason"))
		L.Push(t)
		return 1
	}
	L.Push(j.verifyObj(L, self, secret, obj, specArgs(L, 4)))
	return 1
}

func (j *jwtModule) luaVerifyObj(L *lua.LState) int {
	obj, ok := L.Get(3).(*lua.LTable)
	if !ok {
		L.RaiseError("attempt to index local 'jwt_obj' (a %s value)", typeName(L.Get(3)))
	}
	L.Push(j.verifyObj(L, L.Get(1), L.Get(2), obj, specArgs(L, 4)))
	return 1
}

// specArgs is {...} walked by ipairs: the claim specs up to the first nil.
func specArgs(L *lua.LState, from int) []lua.LValue {
	var specs []lua.LValue
	for i := from; i <= L.GetTop() && L.Get(i) != lua.LNil; i++ {
		specs = append(specs, L.Get(i))
	}
	return specs
}

func (j *jwtModule) verifyObj(L *lua.LState, self, secret lua.LValue, obj *lua.LTable, specs []lua.LValue) lua.LValue {
	if !lua.LVAsBool(obj.RawGetString("valid")) {
		return obj
	}
	if !j.validateClaims(L, obj, specs) {
		return obj
	}
	header, err := headerOf(L, obj)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	algV := header.RawGetString("alg")
	if algV == lua.LNil {
		obj.RawSetString("reason", lua.LString("No algorithm supplied"))
		return obj
	}
	if wl := L.GetField(self, "alg_whitelist"); wl != lua.LNil {
		if L.GetTable(wl, algV) == lua.LNil {
			t := L.CreateTable(0, 2)
			t.RawSetString("verified", lua.LFalse)
			t.RawSetString("reason", lua.LString("whitelist unsupported alg: "+luaToString(algV)))
			return t
		}
	}
	alg := luaToString(algV)
	var reason string
	switch {
	case hmacMethods[alg] != nil:
		reason = j.verifyHMAC(L, self, secret, obj)
	case rsaMethods[alg] != nil || ecMethods[alg] != nil || isEdDSA(alg):
		if f := L.GetField(self, "trusted_certs_file"); f != lua.LNil && !isEdDSA(alg) {
			var key crypto.PublicKey
			if key, reason = j.trustedCertKey(L, self, header, obj, luaToString(f)); reason != "" {
				break
			}
			reason = j.verifyWithKey(L, self, key, obj, alg)
			break
		}
		reason = j.verifyPublicKey(L, self, secret, obj, alg)
	default:
		reason = "Unsupported algorithm " + alg
	}
	if reason != "" {
		obj.RawSetString("reason", lua.LString(reason))
		return obj
	}
	if obj.RawGetString("reason") == lua.LNil {
		obj.RawSetString("verified", lua.LTrue)
		obj.RawSetString("reason", lua.LString(reasonAwesome))
	}
	return obj
}

// looksLikePublicKey spots the HS/RS confusion attack: an HMAC token
// "signed" with the verifier's public key as the HMAC secret.
func looksLikePublicKey(s string) bool {
	return strings.Contains(s, "-----BEGIN") &&
		(strings.Contains(s, "PUBLIC KEY") || strings.Contains(s, "CERTIFICATE"))
}

func (j *jwtModule) verifyHMAC(L *lua.LState, self, secret lua.LValue, obj *lua.LTable) string {
	if s, ok := secret.(lua.LString); ok && looksLikePublicKey(string(s)) {
		return "HMAC secret is a public key or certificate"
	}
	if reason, ok := j.verifyHMACRaw(obj, secret); ok {
		return reason
	}
	tok, err := j.sign(L, self, secret, obj)
	if err != nil {
		if re, ok := err.(*reasonError); ok && re.reason != nil {
			return luaToString(re.reason)
		}
		return reasonInternal
	}
	sig := luaToString(obj.RawGetString("signature"))
	given := luaToString(obj.RawGetString("raw_header")) + "." + luaToString(obj.RawGetString("raw_payload")) + "." + sig
	if subtle.ConstantTimeCompare([]byte(given), []byte(tok)) != 1 {
		return "signature mismatch: " + sig
	}
	return ""
}

// verifyHMACRaw is verifyHMAC for the common case, a loaded token (raw
// parts present) and a string secret: the same checks as re-signing, with
// the MAC computed over the raw parts in place and compared with the
// signature without building either token. ok is false when the case is
// not that one, or when sign would fail: the caller then re-signs.
func (j *jwtModule) verifyHMACRaw(obj *lua.LTable, secret lua.LValue) (reason string, ok bool) {
	key, ok1 := secret.(lua.LString)
	rh, ok2 := obj.RawGetString("raw_header").(lua.LString)
	rp, ok3 := obj.RawGetString("raw_payload").(lua.LString)
	header, ok4 := obj.RawGetString("header").(*lua.LTable)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return "", false
	}
	typ := header.RawGetString("typ")
	if typ != lua.LNil && typ != lua.LString("JWT") || header.RawGetString("enc") != lua.LNil {
		return "", false
	}
	alg, _ := header.RawGetString("alg").(lua.LString)
	m := hmacMethods[string(alg)]
	if m == nil {
		return "", false
	}
	if j.mac == nil || j.macAlg != string(alg) || j.macKey != string(key) {
		j.mac = hmac.New(m.Hash.New, []byte(key))
		j.macAlg, j.macKey = string(alg), string(key)
	}
	mac := j.mac
	mac.Reset()
	in := append(append(append(j.macIn[:0], rh...), '.'), rp...)
	mac.Write(in)
	if cap(in) <= 8<<10 {
		j.macIn = in[:0] // keep a typical token's buffer, not a huge one
	}
	var enc [88]byte
	d := mac.Sum(j.macOut[:0])
	j.macOut = d[:0]
	n := base64.RawURLEncoding.EncodedLen(len(d))
	base64.RawURLEncoding.Encode(enc[:n], d)
	sig := luaToString(obj.RawGetString("signature"))
	if subtle.ConstantTimeCompare(unsafe.Slice(unsafe.StringData(sig), len(sig)), enc[:n]) != 1 {
		return "signature mismatch: " + sig, true
	}
	return "", true
}

const reasonBadKey = "Decode secret is not a valid cert/public key"

func publicKeyFromSecret(secret lua.LValue) (crypto.PublicKey, bool) {
	s, ok := secret.(lua.LString)
	if !ok {
		return nil, false
	}
	str := string(s)
	switch {
	case strings.Contains(str, "CERTIFICATE"):
		b, _ := pem.Decode([]byte(str))
		if b == nil {
			return nil, false
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, false
		}
		return cert.PublicKey, true
	case strings.Contains(str, "PUBLIC KEY"):
		b, _ := pem.Decode([]byte(str))
		if b == nil {
			return nil, false
		}
		if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
			return k, true
		}
		if k, err := x509.ParsePKCS1PublicKey(b.Bytes); err == nil {
			return k, true
		}
	}
	return nil, false
}

func (j *jwtModule) verifyPublicKey(L *lua.LState, self, secret lua.LValue, obj *lua.LTable, alg string) string {
	if secret == lua.LNil {
		return "No trusted certs loaded"
	}
	key, ok := publicKeyFromSecret(secret)
	if isEdDSA(alg) {
		if !ok {
			return "Failed to load EdDSA public key: " + reasonBadKey
		}
	} else if !ok {
		return reasonBadKey
	}
	return j.verifyWithKey(L, self, key, obj, alg)
}

func (j *jwtModule) verifyWithKey(L *lua.LState, self lua.LValue, key crypto.PublicKey, obj *lua.LTable, alg string) string {
	rawHeader, err := j.rawPart(L, obj, "header", self)
	if err != nil {
		return reasonInternal
	}
	rawPayload, err := j.rawPart(L, obj, "payload", self)
	if err != nil {
		return reasonInternal
	}
	msg := rawHeader + "." + rawPayload
	sigV, ok := obj.RawGetString("signature").(lua.LString)
	if !ok {
		return "Wrongly encoded signature"
	}
	sigStr, ok := b64urlDecode(string(sigV))
	if !ok {
		return "Wrongly encoded signature"
	}
	sig := []byte(sigStr)
	switch {
	case rsaMethods[alg] != nil:
		if _, ok := key.(*rsa.PublicKey); !ok || rsaMethods[alg].Verify(msg, sig, key) != nil {
			return "Verification failed"
		}
	case ecMethods[alg] != nil:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return "Verification failed"
		}
		if order := (pub.Curve.Params().N.BitLen() + 7) / 8; len(sig) != 2*order {
			return "signature length != 2 * order length"
		}
		if ecMethods[alg].Verify(msg, sig, pub) != nil {
			return "Verification failed"
		}
	default:
		pub, ok := key.(ed25519.PublicKey)
		if !ok || gojwt.SigningMethodEdDSA.Verify(msg, sig, pub) != nil {
			return "EdDSA signature verification failed"
		}
	}
	return ""
}

// --- claims ---

var legacyOptions = map[string]bool{"valid_issuers": true, "lifetime_grace_period": true,
	"require_nbf_claim": true, "require_exp_claim": true}

func isLegacyOptions(spec lua.LValue) bool {
	t, ok := spec.(*lua.LTable)
	if !ok {
		return false
	}
	legacy := false
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		ks, ok := k.(lua.LString)
		if !ok || !legacyOptions[string(ks)] {
			return false
		}
		legacy = true
	}
	return legacy
}

type claimCheck struct {
	claim lua.LValue
	goFn  validatorFn
	luaFn *lua.LFunction
}

// legacyChecks is get_claim_spec_from_legacy_options.
func (j *jwtModule) legacyChecks(L *lua.LState, opts *lua.LTable) []claimCheck {
	var checks []claimCheck
	if iss := opts.RawGetString("valid_issuers"); iss != lua.LNil {
		// built through the Lua module to get its argument checks
		v := j.validatorsFn(L, "equals_any_of", iss)
		checks = append(checks, claimCheck{claim: lua.LString("iss"), luaFn: v})
	}
	reqNbf, reqExp := opts.RawGetString("require_nbf_claim"), opts.RawGetString("require_exp_claim")
	if grace := opts.RawGetString("lifetime_grace_period"); grace != lua.LNil {
		n, ok := grace.(lua.LNumber)
		if !ok || float64(n) < 0 {
			L.Error(lua.LString("leeway must be a non-negative number"), 0)
		}
		j.st.leeway = float64(n)
		if reqNbf != lua.LTrue && reqExp != lua.LTrue {
			checks = append(checks, claimCheck{claim: lua.LString("__jwt"), goFn: requireNbfOrExp})
		}
	}
	for _, o := range []struct {
		name string
		v    lua.LValue
	}{{"require_nbf_claim", reqNbf}, {"require_exp_claim", reqExp}} {
		if o.v != lua.LNil && o.v.Type() != lua.LTBool {
			L.Error(lua.LString("'"+o.name+"' validation option is expected to be a boolean."), 0)
		}
	}
	if opts.RawGetString("lifetime_grace_period") != lua.LNil || reqNbf != lua.LNil || reqExp != lua.LNil {
		nbf, exp := isNotBefore, isNotExpired
		if reqNbf == lua.LTrue {
			nbf = chainValidator(requiredValidator(), isNotBefore)
		}
		if reqExp == lua.LTrue {
			exp = chainValidator(requiredValidator(), isNotExpired)
		}
		checks = append(checks, claimCheck{claim: lua.LString("nbf"), goFn: nbf},
			claimCheck{claim: lua.LString("exp"), goFn: exp})
	}
	return checks
}

// requireNbfOrExp is require_one_of({"nbf", "exp"}) on the __jwt claim.
func requireNbfOrExp(c *vcall, val lua.LValue) (lua.LValue, error) {
	t, ok := val.(*lua.LTable)
	if !ok {
		return nil, verrf(msgWrongTypeClaim, luaToString(c.claim), "table")
	}
	p, ok := t.RawGetString("payload").(*lua.LTable)
	if !ok {
		return nil, verrf(msgWrongTypeClaim, luaToString(c.claim)+".payload", "table")
	}
	if p.RawGetString("nbf") != lua.LNil || p.RawGetString("exp") != lua.LNil {
		return lua.LTrue, nil
	}
	return nil, verrf(msgMissingClaim, "nbf, exp")
}

// validatorsFn calls require("resty.jwt-validators")[name](arg).
func (j *jwtModule) validatorsFn(L *lua.LState, name string, arg lua.LValue) *lua.LFunction {
	L.Push(L.GetGlobal("require"))
	L.Push(lua.LString("resty.jwt-validators"))
	L.Call(1, 1)
	mod := L.Get(-1)
	L.Pop(1)
	L.Push(L.GetField(mod, name))
	L.Push(arg)
	L.Call(1, 1)
	f, _ := L.Get(-1).(*lua.LFunction)
	L.Pop(1)
	return f
}

// validateClaims is upstream's validate_claims: false with obj.reason set
// when a validator fails or raises.
func (j *jwtModule) validateClaims(L *lua.LState, obj *lua.LTable, specs []lua.LValue) bool {
	var defaultSpec bool
	if len(specs) == 0 {
		defaultSpec = true
	}
	if obj.RawGetString("reason") != lua.LNil {
		return false
	}
	var jsonCache lua.LValue
	jsonOf := func() lua.LValue {
		if jsonCache == nil {
			s, err := cjson.Encode(L, obj)
			if err != nil {
				jsonCache = lua.LNil
			} else {
				jsonCache = lua.LString(s)
			}
		}
		return jsonCache
	}
	payload, _ := obj.RawGetString("payload").(*lua.LTable)
	run := func(ch claimCheck) bool {
		var val lua.LValue
		if ch.claim == lua.LString("__jwt") {
			val = j.deepCopy(L, obj)
		} else if payload != nil {
			val = L.GetTable(payload, ch.claim)
		} else {
			val = lua.LNil
		}
		c := &vcall{L: L, st: j.st, claim: ch.claim, json: jsonOf}
		var r lua.LValue
		var err error
		if ch.goFn != nil {
			r, err = ch.goFn(c, val)
		} else {
			r, err = c.call(ch.luaFn, val)
		}
		if err != nil {
			obj.RawSetString("reason", errorReason(L, err))
			return false
		}
		if r == lua.LFalse {
			obj.RawSetString("reason", lua.LString("Claim '"+luaToString(ch.claim)+"' ('"+luaToString(val)+"') returned failure"))
			return false
		}
		return true
	}
	if defaultSpec {
		// {require_exp_claim = exp ~= nil, require_nbf_claim = nbf ~= nil}
		for _, ch := range j.legacyChecks(L, defaultValidationOptions(L, obj)) {
			if !run(ch) {
				return false
			}
		}
		return true
	}
	for _, spec := range specs {
		var checks []claimCheck
		if isLegacyOptions(spec) {
			checks = j.legacyChecks(L, spec.(*lua.LTable))
		} else {
			t, ok := spec.(*lua.LTable)
			if !ok {
				L.RaiseError("bad argument #1 to 'pairs' (table expected, got %s)", typeName(spec))
			}
			for k, fx := t.Next(lua.LNil); k != lua.LNil; k, fx = t.Next(k) {
				f, ok := fx.(*lua.LFunction)
				if !ok {
					L.Error(lua.LString("Claim spec value must be a function - see jwt-validators.lua for helper functions"), 0)
				}
				checks = append(checks, claimCheck{claim: k, luaFn: f})
			}
		}
		for _, ch := range checks {
			if !run(ch) {
				return false
			}
		}
	}
	return true
}

// errorReason is `ret.reason or string.gsub(ret, "^.-:%d-: ", "")`.
func errorReason(L *lua.LState, err error) lua.LValue {
	ve, ok := err.(*valError)
	if !ok {
		return lua.LString(err.Error())
	}
	switch x := ve.obj.(type) {
	case *lua.LTable:
		if r := x.RawGetString("reason"); r != lua.LNil {
			return r
		}
		return lua.LString(luaToString(x))
	case lua.LString:
		s := string(x)
		if start, end, err := lua.PatternFind(s, "^.-:%d-: ", 0); err == nil && start >= 0 {
			s = s[end:]
		}
		return lua.LString(s)
	}
	return lua.LString(luaToString(ve.obj))
}

// deepCopy stands in for cjson.decode(cjson.encode(jwt_obj)).
func (j *jwtModule) deepCopy(L *lua.LState, v lua.LValue) lua.LValue {
	t, ok := v.(*lua.LTable)
	if !ok {
		return v
	}
	c := L.NewTable()
	t.ForEach(func(k, val lua.LValue) { c.RawSet(k, j.deepCopy(L, val)) })
	return c
}

// trustedCertKey is upstream's x5c/x5u model: the signing certificate
// comes from the header (x5c[1], or the x5u retriever) and must chain to
// a CA in trusted_certs_file.
func (j *jwtModule) trustedCertKey(L *lua.LState, self lua.LValue, header, obj *lua.LTable, caFile string) (crypto.PublicKey, string) {
	var certData string
	if x5c, ok := header.RawGetString("x5c").(*lua.LTable); ok && x5c.RawGetInt(1) != lua.LNil {
		der, err := base64.StdEncoding.DecodeString(luaToString(x5c.RawGetInt(1)))
		if err != nil {
			return nil, "Malformed x5c header"
		}
		certData = string(der)
	} else if x5u := header.RawGetString("x5u"); x5u != lua.LNil {
		fn, ok := L.GetField(self, "x5u_content_retriever").(*lua.LFunction)
		if !ok {
			return nil, "No function has been provided to retrieve the content pointed at by the 'x5u'."
		}
		var iss lua.LValue = lua.LNil
		if p, ok := obj.RawGetString("payload").(*lua.LTable); ok {
			iss = p.RawGetString("iss")
		}
		L.Push(fn)
		L.Push(x5u)
		L.Push(iss)
		L.Push(header.RawGetString("kid"))
		if err := L.PCall(3, 1, nil); err != nil {
			return nil, "An error occured while invoking the x5u_content_retriever function."
		}
		certData = luaToString(L.Get(-1))
		L.Pop(1)
	} else {
		return nil, "Unsupported RS256 key model"
	}
	der := []byte(certData)
	if b, _ := pem.Decode(der); b != nil {
		der = b.Bytes
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "Unable to extract signing cert from JWT: " + err.Error()
	}
	pool := x509.NewCertPool()
	var pemData []byte
	j.st.vm.Unlocked(func() { pemData, err = os.ReadFile(caFile) })
	if err != nil || !pool.AppendCertsFromPEM(pemData) {
		return nil, "Cert used to sign the JWT isn't trusted: unable to load " + caFile
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, "Cert used to sign the JWT isn't trusted: " + err.Error()
	}
	return cert.PublicKey, ""
}
