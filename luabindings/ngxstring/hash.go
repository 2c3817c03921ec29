package ngxstring

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"hash/crc32"

	lua "github.com/yuin/gopher-lua"
)

// ngx.md5(str): hex digest.
func ngxMD5(L *lua.LState) int {
	sum := md5.Sum([]byte(optString(L, 1)))
	return pushString(L, hex.EncodeToString(sum[:]))
}

// ngx.md5_bin(str)
func ngxMD5Bin(L *lua.LState) int {
	sum := md5.Sum([]byte(optString(L, 1)))
	return pushString(L, string(sum[:]))
}

// ngx.sha1_bin(str)
func ngxSHA1Bin(L *lua.LState) int {
	sum := sha1.Sum([]byte(optString(L, 1)))
	return pushString(L, string(sum[:]))
}

// ngx.hmac_sha1(secret, str)
func ngxHMACSHA1(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		L.RaiseError("expecting 2 arguments, but got %d", n)
	}
	key := checkString(L, 1)
	msg := checkString(L, 2)
	h := hmac.New(sha1.New, []byte(key))
	h.Write([]byte(msg))
	return pushString(L, string(h.Sum(nil)))
}

// ngx.crc32_short / ngx.crc32_long: the same CRC-32 (IEEE), as numbers.
func ngxCRC32(L *lua.LState) int {
	L.Push(lua.LNumber(crc32.ChecksumIEEE([]byte(optString(L, 1)))))
	return 1
}

// QuoteSQLStr quotes s as a MySQL string literal like ngx.quote_sql_str.
func QuoteSQLStr(s string) string {
	buf := make([]byte, 0, len(s)+2)
	buf = append(buf, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			buf = append(buf, '\\', '0')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case 26:
			buf = append(buf, '\\', 'Z')
		case '\\', '\'', '"':
			buf = append(buf, '\\', c)
		default:
			buf = append(buf, c)
		}
	}
	return string(append(buf, '\''))
}

// ngx.quote_sql_str(str)
func ngxQuoteSQLStr(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("expecting one argument")
	}
	return pushString(L, QuoteSQLStr(checkString(L, 1)))
}
