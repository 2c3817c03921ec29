package modutil

// EqualFold reports whether a and b are equal under ASCII case folding,
// as nginx compares header names (ngx_strcasecmp): no Unicode folding,
// and strings of different lengths are told apart before any byte is
// read (strings.EqualFold walks both first).
func EqualFold(a, b string) bool { return equalFold(a, b) }

// EqualFoldBytes is EqualFold for a byte slice and a string.
func EqualFoldBytes(b []byte, s string) bool { return equalFold(b, s) }

func equalFold[T string | []byte](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := a[i], b[i]
		if c == d {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
