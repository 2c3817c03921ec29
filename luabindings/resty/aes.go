package resty

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strconv"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// resty.aes on crypto/aes, byte-compatible with OpenSSL's EVP ciphers:
// EVP_BytesToKey key derivation, PKCS#7 padding for ecb/cbc, OpenSSL's
// cfb1/cfb8/cfb128/ofb/ctr stream modes and gcm with a 16-byte tag.

type aesMode uint8

const (
	modeECB aesMode = iota
	modeCBC
	modeCFB1
	modeCFB8
	modeCFB128
	modeOFB
	modeCTR
	modeGCM
)

var aesModes = map[string]aesMode{"ecb": modeECB, "cbc": modeCBC, "cfb1": modeCFB1, "cfb8": modeCFB8,
	"cfb128": modeCFB128, "ofb": modeOFB, "ctr": modeCTR, "gcm": modeGCM}

// cipherSpec is what aes.cipher() puts in its "method" field.
type cipherSpec struct {
	size int // key bits
	mode aesMode
	name string
}

// ivLen is EVP_CIPHER_iv_length: what EVP_BytesToKey derives.
func (c *cipherSpec) ivLen() int {
	switch c.mode {
	case modeECB:
		return 0
	case modeGCM:
		return 12
	}
	return 16
}

type hashSpec struct{ newH func() hash.Hash }

type aesObj struct {
	spec    *cipherSpec
	block   cipher.Block
	iv      []byte // gen_iv: cipher key length, zero padded
	gcm     cipher.AEAD
	padding bool
}

func init() {
	luabindings.RegisterModule("resty.aes", loadAES)
}

func loadAES(_ *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	m.RawSetString("_VERSION", lua.LString(restyStringVersion))
	hashes := L.NewTable()
	for _, h := range []struct {
		name string
		f    func() hash.Hash
	}{{"md5", md5.New}, {"sha1", sha1.New}, {"sha224", sha256.New224}, {"sha256", sha256.New},
		{"sha384", sha512.New384}, {"sha512", sha512.New}} {
		ud := L.NewUserData()
		ud.Value = &hashSpec{h.f}
		hashes.RawSetString(h.name, ud)
	}
	m.RawSetString("hash", hashes)
	specs := map[string]*lua.LUserData{}
	cipherFn := L.NewFunction(func(L *lua.LState) int {
		size := 128
		if v := L.Get(1); v != lua.LNil {
			n, err := strconv.ParseFloat(lua.LVAsString(v), 64)
			if err != nil {
				L.Push(lua.LNil)
				return 1
			}
			size = int(n)
		}
		name := "cbc"
		if v := L.Get(2); v != lua.LNil {
			name = lua.LVAsString(v)
		}
		mode, ok := aesModes[name]
		if !ok || (size != 128 && size != 192 && size != 256) {
			L.Push(lua.LNil)
			return 1
		}
		key := strconv.Itoa(size) + name
		ud := specs[key]
		if ud == nil {
			ud = L.NewUserData()
			ud.Value = &cipherSpec{size: size, mode: mode, name: name}
			specs[key] = ud
		}
		t := L.CreateTable(0, 3)
		t.RawSetString("size", lua.LNumber(size))
		t.RawSetString("cipher", lua.LString(name))
		t.RawSetString("method", ud)
		L.Push(t)
		return 1
	})
	m.RawSetString("cipher", cipherFn)
	mt := L.NewTable()
	mt.RawSetString("__index", m)
	m.RawSetString("new", L.NewFunction(func(L *lua.LState) int { return aesNew(L, cipherFn, mt) }))
	m.RawSetString("encrypt", L.NewFunction(aesEncrypt))
	m.RawSetString("decrypt", L.NewFunction(aesDecrypt))
	return m
}

func fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// aesNew(self, key, salt, cipher, hash, hash_rounds, iv_len, enable_padding)
func aesNew(L *lua.LState, cipherFn *lua.LFunction, mt *lua.LTable) int {
	key := L.CheckString(2)
	var spec *cipherSpec
	if ct, ok := L.Get(4).(*lua.LTable); ok {
		if ud, ok := ct.RawGetString("method").(*lua.LUserData); ok {
			spec, _ = ud.Value.(*cipherSpec)
		}
		if spec == nil {
			L.RaiseError("bad cipher")
		}
	} else if L.Get(4) != lua.LNil {
		L.RaiseError("bad cipher")
	} else {
		spec = &cipherSpec{size: 128, mode: modeCBC, name: "cbc"}
	}
	cipherLen := spec.size / 8
	genKey := make([]byte, cipherLen)
	genIV := make([]byte, cipherLen)
	ivLen := cipherLen
	if n, ok := L.Get(7).(lua.LNumber); ok {
		ivLen = int(n)
	}
	padding := true
	if v := L.Get(8); v != lua.LNil {
		padding = lua.LVAsBool(v)
	}

	switch h := L.Get(5).(type) {
	case *lua.LTable:
		iv, ok := h.RawGetString("iv").(lua.LString)
		if !ok && h.RawGetString("iv") == lua.LNil {
			return fail(L, "iv is needed")
		}
		ivs := lua.LVAsString(h.RawGetString("iv"))
		if ok {
			ivs = string(iv)
		}
		ivLen = len(ivs)
		if ivLen > cipherLen {
			return fail(L, "bad iv length")
		}
		if method := h.RawGetString("method"); method != lua.LNil {
			L.Push(method)
			L.Push(lua.LString(key))
			L.Call(1, 1)
			tmp := L.Get(-1)
			L.Pop(1)
			ts, ok := tmp.(lua.LString)
			if !ok || len(ts) != cipherLen {
				return fail(L, "bad key length")
			}
			copy(genKey, ts)
		} else if len(key) != cipherLen {
			return fail(L, "bad key length")
		} else {
			copy(genKey, key)
		}
		copy(genIV, ivs)
	case *lua.LUserData, *lua.LNilType:
		var hs *hashSpec
		if ud, ok := h.(*lua.LUserData); ok {
			hs, _ = ud.Value.(*hashSpec)
			if hs == nil {
				L.RaiseError("bad hash")
			}
		} else {
			hs = &hashSpec{md5.New}
		}
		var salt []byte
		if s := L.Get(3); s != lua.LNil {
			ss := lua.LVAsString(s)
			if len(ss) != 8 {
				return fail(L, "salt must be 8 characters or nil")
			}
			salt = []byte(ss)
		}
		rounds := 1
		if n, ok := L.Get(6).(lua.LNumber); ok {
			rounds = int(n)
		}
		bytesToKey(hs.newH, salt, []byte(key), rounds, genKey, genIV[:spec.ivLen()])
	default:
		L.RaiseError("bad hash")
	}

	block, err := aes.NewCipher(genKey)
	if err != nil {
		return fail(L, "failed to init ctx")
	}
	obj := &aesObj{spec: spec, block: block, iv: genIV, padding: padding}
	if spec.mode == modeGCM {
		if ivLen <= 0 || ivLen > cipherLen {
			return fail(L, "failed to set IV length")
		}
		obj.gcm, err = cipher.NewGCMWithNonceSize(block, ivLen)
		if err != nil {
			return fail(L, "failed to set IV length")
		}
		obj.iv = genIV[:ivLen]
	}
	ud := L.NewUserData()
	ud.Value = obj
	ud.Metatable = mt
	L.Push(ud)
	return 1
}

// bytesToKey is OpenSSL's EVP_BytesToKey: D_i = H^count(D_{i-1} || data
// || salt), concatenated and split into key then iv.
func bytesToKey(newH func() hash.Hash, salt, data []byte, count int, key, iv []byte) {
	h := newH()
	var prev []byte
	need := len(key) + len(iv)
	out := make([]byte, 0, need+64)
	for len(out) < need {
		h.Reset()
		h.Write(prev)
		h.Write(data)
		h.Write(salt)
		d := h.Sum(nil)
		for i := 1; i < count; i++ {
			h.Reset()
			h.Write(d)
			d = h.Sum(d[:0])
		}
		out = append(out, d...)
		prev = d
	}
	copy(key, out)
	copy(iv, out[len(key):])
}

func checkAES(L *lua.LState) *aesObj {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if o, ok := ud.Value.(*aesObj); ok {
			return o
		}
	}
	L.RaiseError("bad argument #1 self: table expected, got %s", L.Get(1).Type().String())
	return nil
}

// aesEncrypt(self, s, aad): ciphertext, or {ciphertext, tag} for gcm.
func aesEncrypt(L *lua.LState) int {
	o := checkAES(L)
	s := L.CheckString(2)
	if o.gcm != nil {
		var aad []byte
		if a := L.Get(3); a != lua.LNil {
			aad = []byte(lua.LVAsString(a))
		}
		sealed := o.gcm.Seal(nil, o.iv, []byte(s), aad)
		n := len(sealed) - o.gcm.Overhead()
		t := L.CreateTable(2, 0)
		t.RawSetInt(1, lua.LString(sealed[:n]))
		t.RawSetInt(2, lua.LString(sealed[n:]))
		L.Push(t)
		return 1
	}
	out, ok := o.crypt([]byte(s), true)
	if !ok {
		return fail(L, "EVP_EncryptFinal_ex failed")
	}
	L.Push(lua.LString(out))
	return 1
}

// aesDecrypt(self, s, tag, aad): plaintext, or nil and an error on bad
// padding, a partial block or a gcm tag mismatch.
func aesDecrypt(L *lua.LState) int {
	o := checkAES(L)
	s := L.CheckString(2)
	if o.gcm != nil {
		tag := L.Get(3)
		ts, ok := tag.(lua.LString)
		if !ok || len(ts) < o.gcm.Overhead() {
			return fail(L, "EVP_DecryptFinal_ex failed")
		}
		var aad []byte
		if a := L.Get(4); a != lua.LNil {
			aad = []byte(lua.LVAsString(a))
		}
		buf := make([]byte, 0, len(s)+o.gcm.Overhead())
		buf = append(append(buf, s...), ts[:o.gcm.Overhead()]...)
		plain, err := o.gcm.Open(buf[:0], o.iv, buf, aad)
		if err != nil {
			return fail(L, "EVP_DecryptFinal_ex failed")
		}
		L.Push(lua.LString(plain))
		return 1
	}
	out, ok := o.crypt([]byte(s), false)
	if !ok {
		return fail(L, "EVP_DecryptFinal_ex failed")
	}
	L.Push(lua.LString(out))
	return 1
}

// crypt runs one whole EVP Init/Update/Final cycle on in (which it may
// overwrite) for the non-AEAD modes.
func (o *aesObj) crypt(in []byte, enc bool) ([]byte, bool) {
	b := o.block
	const bs = aes.BlockSize
	switch o.spec.mode {
	case modeECB, modeCBC:
		if enc && o.padding {
			pad := bs - len(in)%bs
			for i := 0; i < pad; i++ {
				in = append(in, byte(pad))
			}
		}
		if len(in)%bs != 0 || (!enc && o.padding && len(in) == 0) {
			return nil, false
		}
		out := make([]byte, len(in))
		if o.spec.mode == modeECB {
			for i := 0; i < len(in); i += bs {
				if enc {
					b.Encrypt(out[i:i+bs], in[i:i+bs])
				} else {
					b.Decrypt(out[i:i+bs], in[i:i+bs])
				}
			}
		} else if enc {
			cipher.NewCBCEncrypter(b, o.iv[:bs]).CryptBlocks(out, in)
		} else {
			cipher.NewCBCDecrypter(b, o.iv[:bs]).CryptBlocks(out, in)
		}
		if !enc && o.padding {
			pad := int(out[len(out)-1])
			if pad == 0 || pad > bs {
				return nil, false
			}
			var bad byte
			for _, c := range out[len(out)-pad:] {
				bad |= c ^ byte(pad)
			}
			if subtle.ConstantTimeByteEq(bad, 0) != 1 {
				return nil, false
			}
			out = out[:len(out)-pad]
		}
		return out, true
	case modeCTR:
		out := make([]byte, len(in))
		cipher.NewCTR(b, o.iv[:bs]).XORKeyStream(out, in)
		return out, true
	}
	var reg, ks [bs]byte
	copy(reg[:], o.iv[:bs])
	out := make([]byte, len(in))
	switch o.spec.mode {
	case modeOFB:
		for i := 0; i < len(in); i += bs {
			b.Encrypt(reg[:], reg[:])
			subtle.XORBytes(out[i:], in[i:], reg[:])
		}
	case modeCFB128:
		for i := 0; i < len(in); i += bs {
			b.Encrypt(ks[:], reg[:])
			n := subtle.XORBytes(out[i:], in[i:], ks[:])
			if enc {
				copy(reg[:], out[i:i+n])
			} else {
				copy(reg[:], in[i:i+n])
			}
		}
	case modeCFB8:
		for i, c := range in {
			b.Encrypt(ks[:], reg[:])
			out[i] = c ^ ks[0]
			copy(reg[:], reg[1:])
			if enc {
				reg[bs-1] = out[i]
			} else {
				reg[bs-1] = c
			}
		}
	case modeCFB1:
		for i, c := range in {
			var o8 byte
			for bit := 7; bit >= 0; bit-- {
				b.Encrypt(ks[:], reg[:])
				inBit := (c >> uint(bit)) & 1
				outBit := inBit ^ (ks[0] >> 7)
				o8 |= outBit << uint(bit)
				fb := outBit
				if !enc {
					fb = inBit
				}
				shiftLeft1(&reg, fb)
			}
			out[i] = o8
		}
	}
	return out, true
}

func shiftLeft1(r *[aes.BlockSize]byte, in byte) {
	for i := 0; i < len(r)-1; i++ {
		r[i] = r[i]<<1 | r[i+1]>>7
	}
	r[len(r)-1] = r[len(r)-1]<<1 | in
}
