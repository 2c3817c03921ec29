package httpd

import (
	"context"
	"time"
	"unsafe"
)

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func withTimeout(d time.Duration, fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	fn(ctx)
}

// escapePath escapes what nginx's ngx_escape_uri(NGX_ESCAPE_URI) escapes.
func escapePath(p string) string {
	need := false
	for i := 0; i < len(p); i++ {
		if pathEscape(p[i]) {
			need = true
			break
		}
	}
	if !need {
		return p
	}
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, len(p)+8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if pathEscape(c) {
			b = append(b, '%', hexd[c>>4], hexd[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func pathEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '#' || c == '%' || c == '?' || c == '<' || c == '>' ||
		c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}'
}
