package lua

// goresty: numbers convert to and from strings as in LuaJIT 2.1.
//
// To string: "%.14g" with LuaJIT's own float formatter, which rounds
// exact ties away from zero (C's printf rounds them to even) and prints
// inf, -inf, nan and -0.
// From string: LuaJIT's lj_strscan rules (decimal and hex, hex floats
// with a p exponent, inf/nan, surrounding whitespace), used by tonumber
// and by string-to-number coercion.

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
)

// FormatNumber returns n as tostring(n) does in LuaJIT ("%.14g").
func FormatNumber(n float64) string {
	if n == math.Trunc(n) && n < 1e14 && n > -1e14 {
		if n == 0 && math.Signbit(n) {
			return "-0"
		}
		return strconv.FormatInt(int64(n), 10)
	}
	var buf [32]byte
	return string(AppendNumber(buf[:0], n))
}

// AppendNumber appends n formatted as FormatNumber does.
func AppendNumber(b []byte, n float64) []byte {
	if n == math.Trunc(n) && n < 1e14 && n > -1e14 {
		if n == 0 && math.Signbit(n) {
			return append(b, "-0"...)
		}
		return strconv.AppendInt(b, int64(n), 10)
	}
	return AppendFloatC(b, n, 'g', 14, false, false)
}

// AppendFloatC appends x formatted like C's printf with conversion verb
// ('e', 'f' or 'g', upper for 'E'/'F'/'G'), precision prec (>= 0) and the
// '#' flag alt, rounding exact ties away from zero as LuaJIT does. No
// sign flag, width or padding: the caller adds those.
func AppendFloatC(b []byte, x float64, verb byte, prec int, alt, upper bool) []byte {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		s := "inf"
		if math.IsNaN(x) {
			s = "nan"
		} else if x < 0 {
			b = append(b, '-')
		}
		if upper {
			s = map[string]string{"inf": "INF", "nan": "NAN"}[s]
		}
		return append(b, s...)
	}
	if math.Signbit(x) {
		b = append(b, '-')
		x = -x
	}
	var dbuf [40]byte
	switch verb {
	case 'f':
		start := len(b)
		b = strconv.AppendFloat(b, x, 'f', prec, 64)
		if d, e, ok := tieRound(x, -1, prec); ok {
			b = layoutF(b[:start], d, e, prec, alt)
		} else if alt && prec == 0 {
			b = append(b, '.')
		}
		return b
	case 'e':
		d, e := roundDigits(dbuf[:0], x, prec+1)
		return layoutE(b, d, e, prec, alt, upper)
	default: // 'g'
		p := prec
		if p == 0 {
			p = 1
		}
		d, e := roundDigits(dbuf[:0], x, p)
		start := len(b)
		if e < -4 || e >= p {
			b = layoutE(b, d, e, p-1, alt, upper)
			if !alt {
				b = trimZeros(b, start, true)
			}
		} else {
			b = layoutF(b, d, e, p-1-e, alt)
			if !alt {
				b = trimZeros(b, start, false)
			}
		}
		return b
	}
}

// roundDigits returns x (>= 0) rounded to n >= 1 significant digits, ties
// away from zero, and the decimal exponent of the first digit.
func roundDigits(buf []byte, x float64, n int) ([]byte, int) {
	s := strconv.AppendFloat(buf, x, 'e', n-1, 64)
	// s is "d[.ddd]e±XX"
	i := 0
	d := s[:0]
	for ; s[i] != 'e'; i++ {
		if s[i] != '.' {
			d = append(d, s[i])
		}
	}
	exp, _ := strconv.Atoi(string(s[i+1:]))
	// Half-even and half-away only differ when the kept digit is even.
	if (d[len(d)-1]-'0')%2 == 0 {
		if td, te, ok := tieRound(x, n, 0); ok {
			return append(d[:0], td...), te
		}
	}
	return d, exp
}

// tieRound checks whether rounding x (>= 0) to n significant digits
// (or, when n < 0, to prec fraction digits) hits an exact tie; if so it
// returns the digits rounded away from zero and their exponent.
func tieRound(x float64, n, prec int) ([]byte, int, bool) {
	if x == 0 {
		return nil, 0, false
	}
	var sbuf [32]byte
	s := strconv.AppendFloat(sbuf[:0], x, 'e', -1, 64)
	var d []byte
	i := 0
	for ; s[i] != 'e'; i++ {
		if s[i] != '.' {
			d = append(d, s[i])
		}
	}
	exp, _ := strconv.Atoi(string(s[i+1:]))
	if n < 0 {
		n = exp + 1 + prec
	}
	if n < 0 || len(d) != n+1 || d[n] != '5' || !exactDecimal(x, d, exp-n) {
		return nil, 0, false
	}
	d = d[:n]
	j := n - 1
	for ; j >= 0; j-- {
		if d[j] < '9' {
			d[j]++
			break
		}
		d[j] = '0'
	}
	if j < 0 { // carried out of the first digit (or n == 0)
		if n > 0 {
			d = d[:n-1]
		}
		d = append([]byte{'1'}, d...)
		exp++
	}
	return d, exp, true
}

// exactDecimal reports whether x == digits × 10^k exactly.
func exactDecimal(x float64, digits []byte, k int) bool {
	var m uint64
	for _, c := range digits {
		m = m*10 + uint64(c-'0')
	}
	if k >= 0 {
		for ; k > 0; k-- {
			hi, lo := bits.Mul64(m, 10)
			if hi != 0 {
				return false
			}
			m = lo
		}
		return x < 1<<64 && uint64(x) == m && float64(m) == x
	}
	// x = m / (5^-k * 2^-k): m must be divisible by 5^-k and the quotient
	// must fit a double's mantissa for the value to be exact.
	for ; k < 0; k++ {
		if m%5 != 0 {
			return false
		}
		m /= 5
	}
	if m == 0 {
		return false
	}
	m >>= uint(bits.TrailingZeros64(m))
	return bits.Len64(m) <= 53
}

func layoutE(b, d []byte, exp, prec int, alt, upper bool) []byte {
	b = append(b, d[0])
	if prec > 0 || alt {
		b = append(b, '.')
	}
	for i := 1; i <= prec; i++ {
		if i < len(d) {
			b = append(b, d[i])
		} else {
			b = append(b, '0')
		}
	}
	if upper {
		b = append(b, 'E')
	} else {
		b = append(b, 'e')
	}
	if exp < 0 {
		b = append(b, '-')
		exp = -exp
	} else {
		b = append(b, '+')
	}
	if exp < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(exp), 10)
}

// layoutF writes digits d (first digit at 10^exp) with prec fraction digits.
func layoutF(b, d []byte, exp, prec int, alt bool) []byte {
	digit := func(pos int) byte { // pos: index into d
		if pos >= 0 && pos < len(d) {
			return d[pos]
		}
		return '0'
	}
	if exp < 0 {
		b = append(b, '0')
	} else {
		for i := 0; i <= exp; i++ {
			b = append(b, digit(i))
		}
	}
	if prec > 0 || alt {
		b = append(b, '.')
	}
	for i := 1; i <= prec; i++ {
		b = append(b, digit(exp+i))
	}
	return b
}

// trimZeros drops trailing fraction zeros (and a bare '.') of the number
// written at b[start:], before the exponent when exp is set.
func trimZeros(b []byte, start int, exp bool) []byte {
	end := len(b)
	if exp {
		for end > start && b[end-1] != 'e' && b[end-1] != 'E' {
			end--
		}
		end--
	}
	dot := -1
	for i := start; i < end; i++ {
		if b[i] == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return b
	}
	cut := end
	for cut > dot+1 && b[cut-1] == '0' {
		cut--
	}
	if cut == dot+1 {
		cut = dot
	}
	if cut == end {
		return b
	}
	return append(b[:cut], b[end:]...)
}

var errNotNumber = errors.New("cannot convert to number")

func isLuaSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// ParseNumber converts s as LuaJIT's tonumber(s) does; ok is false when s
// is not a number.
func ParseNumber(s string) (float64, bool) {
	i, j := 0, len(s)
	for i < j && isLuaSpace(s[i]) {
		i++
	}
	for j > i && isLuaSpace(s[j-1]) {
		j--
	}
	s = s[i:j]
	if s == "" {
		return 0, false
	}
	neg := false
	body := s
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = body[1:]
	}
	if len(body) >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		v, ok := parseHex(body[2:])
		if neg {
			v = -v
		}
		return v, ok
	}
	if !validDecimal(body) {
		return 0, false
	}
	// Fast path: short plain integers.
	if len(body) <= 15 {
		var v int64
		plain := true
		for k := 0; k < len(body); k++ {
			c := body[k]
			if c < '0' || c > '9' {
				plain = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if plain {
			if neg {
				if v == 0 {
					return math.Copysign(0, -1), true
				}
				return float64(-v), true
			}
			return float64(v), true
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of range values are ±inf (or 0) in LuaJIT, as ParseFloat
		// returns them with its range error.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// validDecimal checks digits[.digits][(e|E)[sign]digits] with at least
// one mantissa digit, or inf/infinity/nan in any case.
func validDecimal(s string) bool {
	switch len(s) {
	case 3, 8:
		if eqFold(s, "inf") || eqFold(s, "nan") || eqFold(s, "infinity") {
			return true
		}
	}
	i, nd := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		nd++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			nd++
		}
	}
	if nd == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ne := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ne++
		}
		if ne == 0 {
			return false
		}
	}
	return i == len(s)
}

func eqFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseHex parses the part after "0x": hexdigits[.hexdigits][(p|P)[sign]digits].
func parseHex(s string) (float64, bool) {
	i, nd := 0, 0
	var m uint64
	exact := true
	for i < len(s) && hexVal(s[i]) >= 0 {
		if m>>60 != 0 {
			exact = false
		} else {
			m = m<<4 | uint64(hexVal(s[i]))
		}
		i++
		nd++
	}
	frac := false
	if i < len(s) && s[i] == '.' {
		frac = true
		i++
		for i < len(s) && hexVal(s[i]) >= 0 {
			i++
			nd++
		}
	}
	if nd == 0 {
		return 0, false
	}
	hasExp := false
	if i < len(s) && (s[i] == 'p' || s[i] == 'P') {
		hasExp = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ne := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ne++
		}
		if ne == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	if exact && !frac && !hasExp {
		return float64(m), true
	}
	t := "0x" + s
	if !hasExp {
		t += "p0"
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// ParseNumberBase converts s as LuaJIT's tonumber(s, base) does for a
// base other than 10 (strtoul semantics: optional sign, "0x" allowed for
// base 16, saturating at 2^64-1).
func ParseNumberBase(s string, base int) (float64, bool) {
	i := 0
	for i < len(s) && isLuaSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitIn(s[i+2], 16) {
		i += 2
	}
	start := i
	var v uint64
	over := false
	for i < len(s) {
		d := digitVal(s[i])
		if d < 0 || d >= base {
			break
		}
		hi, lo := bits.Mul64(v, uint64(base))
		lo2, carry := bits.Add64(lo, uint64(d), 0)
		if hi != 0 || carry != 0 {
			over = true
		}
		v = lo2
		i++
	}
	if i == start {
		return 0, false
	}
	for i < len(s) && isLuaSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, false
	}
	if over {
		v = math.MaxUint64
	}
	f := float64(v)
	if neg {
		f = -f
	}
	return f, true
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

func digitIn(c byte, base int) bool {
	d := digitVal(c)
	return d >= 0 && d < base
}

// argNumber converts a library function's argument as luaL_checkinteger
// and luaL_checknumber do: numbers, and strings that read as numbers.
func argNumber(v LValue) (LNumber, bool) {
	switch lv := v.(type) {
	case LNumber:
		return lv, true
	case LString:
		if num, err := parseNumber(string(lv)); err == nil {
			return num, true
		}
	}
	return 0, false
}
