package cjson

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16}

// appendNumber formats f like C's "%.<prec>g" (what lua-cjson uses for
// every Lua 5.1 number). Integers with at most prec digits take a fast
// path that prints the same digits.
func appendNumber(buf []byte, f float64, prec int) []byte {
	if f == math.Trunc(f) && math.Abs(f) < pow10[prec] {
		if f == 0 && math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return appendInt(buf, int64(f))
	}
	return strconv.AppendFloat(buf, f, 'g', prec, 64)
}

func appendInt(buf []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		return append(buf, byte('0'+n))
	}
	return strconv.AppendInt(buf, n, 10)
}

// parseLuaNumber converts a string the way Lua's tonumber does (decimal
// or 0x hex, surrounding spaces allowed).
func parseLuaNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty")
	}
	neg := false
	h := s
	if h[0] == '-' || h[0] == '+' {
		neg = h[0] == '-'
		h = h[1:]
	}
	if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
		u, err := strconv.ParseUint(h[2:], 16, 64)
		if err != nil {
			return 0, err
		}
		if neg {
			return -float64(u), nil
		}
		return float64(u), nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, errors.New("not a number")
		}
	}
	return strconv.ParseFloat(s, 64)
}

// scanStrtod mimics C strtod on data[i:] (no leading spaces in JSON):
// decimal, hex (0x...), inf/infinity and nan. It returns the value and
// the index just past what was consumed (i when nothing was).
func scanStrtod(data string, i int) (float64, int) {
	start := i
	neg := false
	if i < len(data) && (data[i] == '+' || data[i] == '-') {
		neg = data[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := data[i:]
	if len(rest) >= 3 {
		switch strings.ToLower(rest[:3]) {
		case "inf":
			i += 3
			if len(data)-i >= 5 && strings.EqualFold(data[i:i+5], "inity") {
				i += 5
			}
			return sign(math.Inf(1)), i
		case "nan":
			i += 3
			if i < len(data) && data[i] == '(' {
				j := i + 1
				for j < len(data) && (isAlnum(data[j]) || data[j] == '_') {
					j++
				}
				if j < len(data) && data[j] == ')' {
					i = j + 1
				}
			}
			return sign(math.NaN()), i
		}
	}
	if len(rest) >= 3 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') &&
		(hexVal(rest[2]) >= 0 || rest[2] == '.' && len(rest) > 3 && hexVal(rest[3]) >= 0) {
		f, n := scanHexFloat(rest[2:])
		return sign(f), i + 2 + n
	}
	j := i
	digits := 0
	for j < len(data) && isDigit(data[j]) {
		j++
		digits++
	}
	if j < len(data) && data[j] == '.' {
		j++
		for j < len(data) && isDigit(data[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, start
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		k := j + 1
		if k < len(data) && (data[k] == '+' || data[k] == '-') {
			k++
		}
		if k < len(data) && isDigit(data[k]) {
			for k < len(data) && isDigit(data[k]) {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(data[i:j], 64)
	if err != nil {
		// out of range: ParseFloat gives ±Inf or 0 like strtod
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, start
		}
	}
	return sign(f), j
}

func scanHexFloat(s string) (float64, int) {
	var mant float64
	i := 0
	for i < len(s) && hexVal(s[i]) >= 0 {
		mant = mant*16 + float64(hexVal(s[i]))
		i++
	}
	exp := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && hexVal(s[i]) >= 0 {
			mant = mant*16 + float64(hexVal(s[i]))
			exp -= 4
			i++
		}
	}
	if i < len(s) && (s[i] == 'p' || s[i] == 'P') {
		k := i + 1
		eneg := false
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			eneg = s[k] == '-'
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			e := 0
			for k < len(s) && isDigit(s[k]) {
				if e < 100000 {
					e = e*10 + int(s[k]-'0')
				}
				k++
			}
			if eneg {
				e = -e
			}
			exp += e
			i = k
		}
	}
	return math.Ldexp(mant, exp), i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
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
