package authbasic

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// This file is nginx's ngx_crypt: $apr1$, {PLAIN}, {SHA} and {SSHA} are
// nginx's own; anything else goes to the C library's crypt(3), of which
// the traditional DES scheme, $1$ (MD5), $5$ (SHA-256), $6$ (SHA-512)
// and bcrypt ($2a$, $2b$, $2y$) are implemented here.

var errCrypt = errors.New("crypt() failed")

// errScheme is a scheme the C library knows and goresty does not.
var errScheme = errors.New("crypt() failed: hash scheme not supported by goresty")

// failure is libxcrypt's failure token: a string that matches no hash.
func failure(setting string) string {
	if strings.HasPrefix(setting, "*0") {
		return "*1"
	}
	return "*0"
}

// cryptHash is what ngx_crypt gives for key with the settings of salt
// (a stored hash): the stored hash itself when the key is right.
func cryptHash(key, salt string) (string, error) {
	switch {
	case strings.HasPrefix(salt, "$apr1$"):
		return md5Crypt(key, salt, "$apr1$"), nil
	case strings.HasPrefix(salt, "{PLAIN}"):
		return "{PLAIN}" + key, nil
	case strings.HasPrefix(salt, "{SSHA}"):
		return sshaCrypt(key, salt)
	case strings.HasPrefix(salt, "{SHA}"):
		sum := sha1.Sum([]byte(key))
		return "{SHA}" + base64.StdEncoding.EncodeToString(sum[:]), nil
	case strings.HasPrefix(salt, "$1$"):
		return md5Crypt(key, salt, "$1$"), nil
	case strings.HasPrefix(salt, "$5$"):
		return shaCrypt(key, salt, "$5$", sha256.New), nil
	case strings.HasPrefix(salt, "$6$"):
		return shaCrypt(key, salt, "$6$", sha512.New), nil
	case strings.HasPrefix(salt, "$2a$"), strings.HasPrefix(salt, "$2b$"), strings.HasPrefix(salt, "$2y$"):
		// bcrypt hashes only compare: the stored hash when the key is right
		if bcrypt.CompareHashAndPassword([]byte(salt), []byte(key)) == nil {
			return salt, nil
		}
		return failure(salt), nil
	case strings.HasPrefix(salt, "$y$"), strings.HasPrefix(salt, "$gy$"), strings.HasPrefix(salt, "$7$"),
		strings.HasPrefix(salt, "_"):
		// yescrypt, scrypt, BSDi's extended DES
		return "", errScheme
	}
	return desCrypt(key, salt), nil
}

// matches reports whether key hashes to the stored hash.
func matches(key, stored string) (bool, error) {
	h, err := cryptHash(key, stored)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(h), []byte(stored)) == 1, nil
}

func sshaCrypt(key, salt string) (string, error) {
	enc := salt[len("{SSHA}"):]
	if i := strings.IndexByte(enc, '='); i >= 0 {
		enc = enc[:i]
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw) < sha1.Size {
		return "", errCrypt
	}
	s := raw[sha1.Size:]
	h := sha1.New()
	h.Write([]byte(key))
	h.Write(s)
	out := append(h.Sum(nil), s...)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(out), nil
}

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func to64(b []byte, v uint32, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, itoa64[v&0x3f])
		v >>= 6
	}
	return b
}

// md5Crypt is the MD5 scheme ($1$) and Apache's variant ($apr1$).
func md5Crypt(key, setting, magic string) string {
	salt := setting[len(magic):]
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	pw := []byte(key)
	alt := md5.New()
	alt.Write(pw)
	alt.Write([]byte(salt))
	alt.Write(pw)
	final := alt.Sum(nil)
	ctx := md5.New()
	ctx.Write(pw)
	ctx.Write([]byte(magic))
	ctx.Write([]byte(salt))
	for pl := len(pw); pl > 0; pl -= 16 {
		ctx.Write(final[:min(pl, 16)])
	}
	for i := len(pw); i != 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(pw[:1])
		}
	}
	final = ctx.Sum(nil)
	for i := 0; i < 1000; i++ {
		c := md5.New()
		if i&1 != 0 {
			c.Write(pw)
		} else {
			c.Write(final)
		}
		if i%3 != 0 {
			c.Write([]byte(salt))
		}
		if i%7 != 0 {
			c.Write(pw)
		}
		if i&1 != 0 {
			c.Write(final)
		} else {
			c.Write(pw)
		}
		final = c.Sum(final[:0])
	}
	f := final
	out := []byte(magic + salt + "$")
	out = to64(out, uint32(f[0])<<16|uint32(f[6])<<8|uint32(f[12]), 4)
	out = to64(out, uint32(f[1])<<16|uint32(f[7])<<8|uint32(f[13]), 4)
	out = to64(out, uint32(f[2])<<16|uint32(f[8])<<8|uint32(f[14]), 4)
	out = to64(out, uint32(f[3])<<16|uint32(f[9])<<8|uint32(f[15]), 4)
	out = to64(out, uint32(f[4])<<16|uint32(f[10])<<8|uint32(f[5]), 4)
	out = to64(out, uint32(f[11]), 2)
	return string(out)
}

var (
	sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}
)

// shaCrypt is Drepper's SHA-crypt ($5$, $6$) with "rounds=".
func shaCrypt(key, setting, magic string, newHash func() hash.Hash) string {
	s := setting[len(magic):]
	rounds, custom := 5000, false
	if r, ok := strings.CutPrefix(s, "rounds="); ok {
		i := strings.IndexByte(r, '$')
		if i < 0 {
			return failure(setting)
		}
		n, err := strconv.ParseUint(r[:i], 10, 64)
		if err != nil || n < 1000 || n > 999999999 {
			// libxcrypt refuses what glibc clamped
			return failure(setting)
		}
		rounds = int(n)
		s, custom = r[i+1:], true
	}
	if i := strings.IndexByte(s, '$'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 16 {
		s = s[:16]
	}
	pw, salt := []byte(key), []byte(s)
	b := newHash()
	b.Write(pw)
	b.Write(salt)
	b.Write(pw)
	altB := b.Sum(nil)
	size := len(altB)
	a := newHash()
	a.Write(pw)
	a.Write(salt)
	cnt := len(pw)
	for ; cnt > size; cnt -= size {
		a.Write(altB)
	}
	a.Write(altB[:cnt])
	for cnt = len(pw); cnt > 0; cnt >>= 1 {
		if cnt&1 != 0 {
			a.Write(altB)
		} else {
			a.Write(pw)
		}
	}
	altA := a.Sum(nil)
	dp := newHash()
	for i := 0; i < len(pw); i++ {
		dp.Write(pw)
	}
	dpSum := dp.Sum(nil)
	p := make([]byte, 0, len(pw))
	for cnt = len(pw); cnt >= size; cnt -= size {
		p = append(p, dpSum...)
	}
	p = append(p, dpSum[:cnt]...)
	ds := newHash()
	for i := 0; i < 16+int(altA[0]); i++ {
		ds.Write(salt)
	}
	dsSum := ds.Sum(nil)
	sb := make([]byte, 0, len(salt))
	for cnt = len(salt); cnt >= size; cnt -= size {
		sb = append(sb, dsSum...)
	}
	sb = append(sb, dsSum[:cnt]...)
	for r := 0; r < rounds; r++ {
		c := newHash()
		if r&1 != 0 {
			c.Write(p)
		} else {
			c.Write(altA)
		}
		if r%3 != 0 {
			c.Write(sb)
		}
		if r%7 != 0 {
			c.Write(p)
		}
		if r&1 != 0 {
			c.Write(altA)
		} else {
			c.Write(p)
		}
		altA = c.Sum(altA[:0])
	}
	out := []byte(magic)
	if custom {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	f := altA
	if size == 32 {
		for _, o := range sha256Order {
			out = to64(out, uint32(f[o[0]])<<16|uint32(f[o[1]])<<8|uint32(f[o[2]]), 4)
		}
		out = to64(out, uint32(f[31])<<8|uint32(f[30]), 3)
	} else {
		for _, o := range sha512Order {
			out = to64(out, uint32(f[o[0]])<<16|uint32(f[o[1]])<<8|uint32(f[o[2]]), 4)
		}
		out = to64(out, uint32(f[63]), 2)
	}
	return string(out)
}

// The traditional DES scheme: the salt's 12 bits swap pairs of the
// expansion's outputs; the key's 8 first characters key DES, which
// encrypts a zero block 25 times.

var (
	desIP   = [64]uint8{58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7}
	desFP   = [64]uint8{40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25}
	desPC1C = [28]uint8{57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36}
	desPC1D = [28]uint8{63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4}
	desPC2C = [24]uint8{14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2}
	desPC2D = [24]uint8{41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32}
	desE    = [48]uint8{32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1}
	desP    = [32]uint8{16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25}
	desRot  = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}
)

var desS = [8][4][16]uint8{
	// S-box 1
	{
		{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7},
		{0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8},
		{4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0},
		{15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	},
	// S-box 2
	{
		{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10},
		{3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5},
		{0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15},
		{13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	},
	// S-box 3
	{
		{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8},
		{13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1},
		{13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7},
		{1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	},
	// S-box 4
	{
		{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15},
		{13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9},
		{10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4},
		{3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	},
	// S-box 5
	{
		{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9},
		{14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6},
		{4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14},
		{11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	},
	// S-box 6
	{
		{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11},
		{10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8},
		{9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6},
		{4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	},
	// S-box 7
	{
		{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1},
		{13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6},
		{1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2},
		{6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	},
	// S-box 8
	{
		{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7},
		{1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2},
		{7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8},
		{2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
	},
}

func saltValue(c byte) (int, bool) {
	switch {
	case c == '.' || c == '/':
		return int(c - '.'), true
	case c >= '0' && c <= '9':
		return int(c-'0') + 2, true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12, true
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38, true
	}
	return 0, false
}

func desCrypt(key, salt string) string {
	if len(salt) < 2 {
		return failure(salt)
	}
	var e [48]uint8
	copy(e[:], desE[:])
	for i := 0; i < 2; i++ {
		v, ok := saltValue(salt[i])
		if !ok {
			return failure(salt)
		}
		for j := 0; j < 6; j++ {
			if v>>j&1 != 0 {
				e[6*i+j], e[6*i+j+24] = e[6*i+j+24], e[6*i+j]
			}
		}
	}
	var block [66]uint8
	for i := 0; i < 8 && i < len(key); i++ {
		c := key[i]
		for j := 0; j < 7; j++ {
			block[i*8+j] = c >> (6 - j) & 1
		}
	}
	var c, d [28]uint8
	for i := range c {
		c[i] = block[desPC1C[i]-1]
		d[i] = block[desPC1D[i]-1]
	}
	var ks [16][48]uint8
	for i := 0; i < 16; i++ {
		for k := 0; k < int(desRot[i]); k++ {
			t := c[0]
			copy(c[:], c[1:])
			c[27] = t
			t = d[0]
			copy(d[:], d[1:])
			d[27] = t
		}
		for j := 0; j < 24; j++ {
			ks[i][j] = c[desPC2C[j]-1]
			ks[i][j+24] = d[desPC2D[j]-28-1]
		}
	}
	block = [66]uint8{}
	for n := 0; n < 25; n++ {
		var lr [64]uint8
		for j := range lr {
			lr[j] = block[desIP[j]-1]
		}
		l, r := lr[:32], lr[32:]
		for i := 0; i < 16; i++ {
			var tmp [32]uint8
			copy(tmp[:], r)
			var pre [48]uint8
			for j := range pre {
				pre[j] = r[e[j]-1] ^ ks[i][j]
			}
			var f [32]uint8
			for j := 0; j < 8; j++ {
				t := 6 * j
				row := pre[t]<<1 | pre[t+5]
				col := pre[t+1]<<3 | pre[t+2]<<2 | pre[t+3]<<1 | pre[t+4]
				k := desS[j][row][col]
				f[4*j] = k >> 3 & 1
				f[4*j+1] = k >> 2 & 1
				f[4*j+2] = k >> 1 & 1
				f[4*j+3] = k & 1
			}
			for j := 0; j < 32; j++ {
				r[j] = l[j] ^ f[desP[j]-1]
			}
			copy(l, tmp[:])
		}
		for j := 0; j < 32; j++ {
			l[j], r[j] = r[j], l[j]
		}
		for j := 0; j < 64; j++ {
			block[j] = lr[desFP[j]-1]
		}
	}
	out := []byte{salt[0], salt[1]}
	for i := 0; i < 11; i++ {
		v := 0
		for j := 0; j < 6; j++ {
			v = v<<1 | int(block[6*i+j])
		}
		out = append(out, itoa64[v])
	}
	return string(out)
}
