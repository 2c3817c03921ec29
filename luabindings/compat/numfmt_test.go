package compat

import (
	"math"
	"testing"
)

// Values printed by ngx.say in the reference (nginx 1.22.1 + lua-nginx-module 0.10.23).
func TestFormatNgxNumber(t *testing.T) {
	negNaN := math.Float64frombits(0xFFF8000000000000)
	for _, c := range []struct {
		n    float64
		want string
	}{
		{math.Copysign(0, -1), "0"}, {negNaN, "-nan"}, {math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{0.1 + 0.2, "0.3"}, {1e15, "1e+15"}, {1 << 53, "9.007199254741e+15"}, {123456789012345, "1.2345678901234e+14"},
		{3.0, "3"}, {1 << 31, "2147483648"}, {-(1 << 31) - 1, "-2147483649"}, {1.5, "1.5"}, {1 << 63, "9.2233720368548e+18"},
		{-2147483648, "-2147483648"}, {1e-5, "1e-05"},
	} {
		if got := FormatNgxNumber(c.n); got != c.want {
			t.Errorf("FormatNgxNumber(%v) = %q, want %q", c.n, got, c.want)
		}
	}
}
