package ngxstring

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Escape types of ngx.escape_uri (nginx's NGX_ESCAPE_*).
const (
	EscapeURIType      = 0 // a whole URI: escapes " ", "#", "%", "?", controls, >= 0x7f
	EscapeArgs         = 1 // like 0 plus "+"
	EscapeURIComponent = 2 // everything but ALPHA DIGIT - . _ ~ ! * ' ( )
	EscapeHTML         = 3
	EscapeRefresh      = 4
	EscapeMemcached    = 5
	EscapeMailAuth     = 6
)

// escapeTables[kind][b] reports whether byte b is %XX-escaped; built from
// the character sets of lua-nginx-module's ngx_http_lua_escape_uri.
var escapeTables [7][256]bool

func init() {
	mark := func(t *[256]bool, chars string) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] = true
		}
	}
	ctlHigh := func(t *[256]bool) {
		for b := 0; b < 0x20; b++ {
			t[b] = true
		}
		for b := 0x7f; b < 0x100; b++ {
			t[b] = true
		}
	}
	ctlHigh(&escapeTables[EscapeURIType])
	mark(&escapeTables[EscapeURIType], ` #%?`)
	ctlHigh(&escapeTables[EscapeArgs])
	mark(&escapeTables[EscapeArgs], ` #%+?`)
	ctlHigh(&escapeTables[EscapeURIComponent])
	mark(&escapeTables[EscapeURIComponent], ` "#$%&+,/:;<=>?@[\]^`+"`{|}")
	ctlHigh(&escapeTables[EscapeHTML])
	mark(&escapeTables[EscapeHTML], ` #"%'`)
	ctlHigh(&escapeTables[EscapeRefresh])
	mark(&escapeTables[EscapeRefresh], ` "'`)
	for _, k := range []int{EscapeMemcached, EscapeMailAuth} {
		for b := 0; b < 0x20; b++ {
			escapeTables[k][b] = true
		}
		mark(&escapeTables[k], ` %`)
	}
}

const upperHex = "0123456789ABCDEF"

// EscapeURI escapes s like ngx.escape_uri(s, kind) (kind 0..6).
func EscapeURI(s string, kind int) string {
	t := &escapeTables[kind]
	n := 0
	for i := 0; i < len(s); i++ {
		if t[s[i]] {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if t[c] {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0xf])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// UnescapeURI decodes %XX and "+" (to a space) like ngx.unescape_uri;
// malformed escapes are kept as they are.
func UnescapeURI(s string) string {
	i := 0
	for i < len(s) && s[i] != '%' && s[i] != '+' {
		i++
	}
	if i == len(s) {
		return s
	}
	buf := make([]byte, i, len(s))
	copy(buf, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+2 < len(s)+0 && unhex(s[i+1]) != 0xff && unhex(s[i+2]) != 0xff {
				buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
				i += 2
			} else {
				buf = append(buf, '%')
			}
		case '+':
			buf = append(buf, ' ')
		default:
			buf = append(buf, c)
		}
	}
	return string(buf)
}

// ngx.escape_uri(str, type?)
func ngxEscapeURI(L *lua.LState) int {
	s := optString(L, 1)
	kind := EscapeURIComponent
	if v := L.Get(2); v != lua.LNil {
		// lua-resty-core raises these with error(msg, 3): the position is
		// that of the caller's caller (none for a chunk the server runs)
		n, ok := v.(lua.LNumber)
		if !ok {
			L.Error(lua.LString(`"type" is not a number`), 2)
		}
		if n < EscapeURIType || n > EscapeMailAuth {
			L.Error(lua.LString(`"type" `+n.String()+` out of range`), 2)
		}
		kind = int(n)
	}
	return pushString(L, EscapeURI(s, kind))
}

// ngx.unescape_uri(str)
func ngxUnescapeURI(L *lua.LState) int {
	return pushString(L, UnescapeURI(optString(L, 1)))
}
