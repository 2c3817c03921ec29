package compat

import (
	"math"
	"strconv"
)

// AppendNgxNumber appends n the way lua-nginx-module writes numbers in
// ngx.say, ngx.print and ngx.log (ngx_http_lua_write_num): "%d" when n
// is an int32, else C's "%.14g". This differs from tostring(n): -0 is
// "0", 0/0 is "-nan" (x86's NaN has the sign bit set), and ties round
// to even (glibc) where LuaJIT's tostring rounds them away from zero.
func AppendNgxNumber(b []byte, n float64) []byte {
	if n == math.Trunc(n) && n >= math.MinInt32 && n <= math.MaxInt32 {
		return strconv.AppendInt(b, int64(n), 10)
	}
	switch {
	case n != n:
		if math.Signbit(n) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(n, 1):
		return append(b, "inf"...)
	case math.IsInf(n, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, n, 'g', 14, 64)
}

// FormatNgxNumber is AppendNgxNumber returning a string.
func FormatNgxNumber(n float64) string {
	var buf [32]byte
	return string(AppendNgxNumber(buf[:0], n))
}
