package lua

// goresty: string.format as LuaJIT 2.1's: C conversions with LuaJIT's
// number handling (%d truncates, %x of a negative is two's complement,
// floats round ties away from zero), %q quoting control characters as
// \ddd, and LuaJIT's errors ("invalid option '%z' to 'format'",
// "bad argument #2 to 'format' (number expected, got string)").

import (
	"math"
	"strconv"
	"strings"
)

type fmtSpec struct {
	minus, plus, space, hash, zero bool
	width, prec                    int // prec < 0: none
}

// numToInt64 converts as LuaJIT's %d does on x86-64: truncation, and the
// "integer indefinite" value for NaN and out-of-range numbers.
func numToInt64(n float64) int64 {
	if n != n || n >= 9223372036854775808.0 || n < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(n)
}

// numToUint64 converts as LuaJIT's unsigned conversions (%x, %o, %u).
func numToUint64(n float64) uint64 {
	if n >= 9223372036854775808.0 {
		return uint64(numToInt64(n - 18446744073709551616.0))
	}
	return uint64(numToInt64(n))
}

func pad(b []byte, body []byte, sp *fmtSpec, zeroFrom int) []byte {
	n := sp.width - len(body)
	if n <= 0 {
		return append(b, body...)
	}
	if sp.minus {
		b = append(b, body...)
		for ; n > 0; n-- {
			b = append(b, ' ')
		}
		return b
	}
	if sp.zero && zeroFrom >= 0 {
		b = append(b, body[:zeroFrom]...)
		for ; n > 0; n-- {
			b = append(b, '0')
		}
		return append(b, body[zeroFrom:]...)
	}
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return append(b, body...)
}

func fmtInt(b []byte, sp *fmtSpec, conv byte, n float64) []byte {
	var body []byte
	var digits []byte
	prefix := 0
	switch conv {
	case 'd', 'i':
		v := numToInt64(n)
		if v < 0 {
			body = append(body, '-')
		} else if sp.plus {
			body = append(body, '+')
		} else if sp.space {
			body = append(body, ' ')
		}
		u := uint64(v)
		if v < 0 {
			u = -u
		}
		digits = strconv.AppendUint(nil, u, 10)
	default:
		u := numToUint64(n)
		base := 10
		switch conv {
		case 'o':
			base = 8
		case 'x', 'X':
			base = 16
			if sp.hash && u != 0 {
				body = append(body, '0', conv)
			}
		}
		digits = strconv.AppendUint(nil, u, base)
		if conv == 'X' {
			for i, c := range digits {
				if c >= 'a' {
					digits[i] = c - 32
				}
			}
		}
		if conv == 'o' && sp.hash && digits[0] != '0' {
			digits = append([]byte{'0'}, digits...)
		}
	}
	prefix = len(body)
	if sp.prec >= 0 {
		if sp.prec == 0 && len(digits) == 1 && digits[0] == '0' {
			digits = digits[:0]
		}
		for i := len(digits); i < sp.prec; i++ {
			body = append(body, '0')
		}
	}
	body = append(body, digits...)
	zeroFrom := prefix
	if sp.prec >= 0 {
		zeroFrom = -1 // C ignores the 0 flag when a precision is given
	}
	return pad(b, body, sp, zeroFrom)
}

func fmtFloat(b []byte, sp *fmtSpec, conv byte, n float64) []byte {
	var body []byte
	if !math.Signbit(n) || n != n {
		if sp.plus && n == n { // goresty: LuaJIT writes no '+' before nan (but ' ')
			body = append(body, '+')
		} else if sp.space {
			body = append(body, ' ')
		}
	}
	prec := sp.prec
	upper := conv >= 'A' && conv <= 'Z'
	lc := conv | 0x20
	finite := !math.IsInf(n, 0) && n == n
	switch lc {
	case 'a':
		body = appendHexFloat(body, n, prec, upper)
	default:
		if prec < 0 {
			prec = 6
		}
		body = AppendFloatC(body, n, lc, prec, sp.hash, upper)
	}
	zeroFrom := -1
	if finite {
		zeroFrom = 0
		if len(body) > 0 && (body[0] == '-' || body[0] == '+' || body[0] == ' ') {
			zeroFrom = 1
		}
		if lc == 'a' {
			zeroFrom += 2 // after "0x"
		}
	}
	return pad(b, body, sp, zeroFrom)
}

// appendHexFloat writes %a as C does ("0x1p+0"); Go pads the exponent to
// two digits, C does not.
func appendHexFloat(b []byte, n float64, prec int, upper bool) []byte {
	if math.IsInf(n, 0) || n != n {
		return AppendFloatC(b, n, 'g', 1, false, upper)
	}
	s := strconv.AppendFloat(nil, n, 'x', prec, 64)
	if i := strings.LastIndexByte(string(s), 'p'); i >= 0 && i+2 < len(s) && s[i+2] == '0' && i+3 < len(s) {
		s = append(s[:i+2], s[i+3:]...)
	}
	if upper {
		s = []byte(strings.ToUpper(string(s)))
	}
	return append(b, s...)
}

// appendQuoted writes s as %q does in LuaJIT 2.1.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '\n':
			b = append(b, '\\', c)
		case c < 32 || c == 127:
			b = append(b, '\\')
			if i+1 < len(s) && isDigitC(s[i+1]) {
				b = append(b, '0'+c/100, '0'+c/10%10, '0'+c%10)
			} else {
				b = strconv.AppendInt(b, int64(c), 10)
			}
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func strFormatLJ(L *LState) int {
	f := L.CheckString(1)
	top := L.GetTop()
	arg := 1
	b := make([]byte, 0, len(f)+16)
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			b = append(b, '%')
			continue
		}
		start := i - 1
		sp := fmtSpec{prec: -1}
	flags:
		for ; i < len(f); i++ {
			switch f[i] {
			case '-':
				sp.minus = true
			case '+':
				sp.plus = true
			case ' ':
				sp.space = true
			case '#':
				sp.hash = true
			case '0':
				sp.zero = true
			default:
				break flags
			}
		}
		bad := func() {
			end := i + 1
			if end > len(f) {
				end = len(f)
			}
			L.RaiseError("invalid option '%s' to 'format'", f[start:end])
		}
		for nd := 0; i < len(f) && isDigitC(f[i]); nd++ {
			if nd == 2 {
				bad()
			}
			sp.width = sp.width*10 + int(f[i]-'0')
			i++
		}
		if i < len(f) && f[i] == '.' {
			i++
			sp.prec = 0
			for nd := 0; i < len(f) && isDigitC(f[i]); nd++ {
				if nd == 2 {
					bad()
				}
				sp.prec = sp.prec*10 + int(f[i]-'0')
				i++
			}
		}
		if i >= len(f) {
			bad()
		}
		conv := f[i]
		switch conv {
		case 'd', 'i', 'o', 'u', 'x', 'X', 'c', 'e', 'E', 'f', 'F', 'g', 'G', 'a', 'A', 'q', 's':
		default:
			bad()
		}
		arg++
		if arg > top {
			L.ArgError(arg, "value expected")
		}
		switch conv {
		case 'd', 'i', 'o', 'u', 'x', 'X':
			b = fmtInt(b, &sp, conv, float64(L.CheckNumber(arg)))
		case 'c':
			b = pad(b, []byte{byte(numToInt64(float64(L.CheckNumber(arg))))}, &sp, -1)
		case 'e', 'E', 'f', 'F', 'g', 'G', 'a', 'A':
			b = fmtFloat(b, &sp, conv, float64(L.CheckNumber(arg)))
		case 'q':
			b = appendQuoted(b, L.ToStringMeta(L.Get(arg)).String())
		case 's':
			s := L.ToStringMeta(L.Get(arg)).String()
			if sp.prec >= 0 && len(s) > sp.prec {
				s = s[:sp.prec]
			}
			b = pad(b, []byte(s), &sp, -1)
		}
	}
	L.PushString(string(b))
	return 1
}
