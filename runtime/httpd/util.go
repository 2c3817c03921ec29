package httpd

import (
	"context"
	"strings"
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

// ParseUnsafeURI is ngx_http_parse_unsafe_uri, for a URI a module or Lua
// names (ngx.exec, echo_location): the path before the first "?" with its
// %XX escapes decoded, and the query string after it. ok is false for an
// empty path, a NUL, or a ".." segment (before or after decoding).
func ParseUnsafeURI(uri string) (path, args string, ok bool) {
	path, args, _ = strings.Cut(uri, "?")
	if path == "" || !safePath(path) {
		return path, args, false
	}
	if strings.IndexByte(path, '%') >= 0 {
		// ngx_unescape_uri: a "%" is dropped with what is valid hex
		// after it; the first byte that is not is kept
		dec := make([]byte, 0, len(path))
		for i := 0; i < len(path); i++ {
			c := path[i]
			if c != '%' {
				dec = append(dec, c)
				continue
			}
			switch {
			case i+2 < len(path) && ishex(path[i+1]) && ishex(path[i+2]):
				dec = append(dec, unhex(path[i+1])<<4|unhex(path[i+2]))
				i += 2
			case i+2 < len(path) && ishex(path[i+1]):
				dec = append(dec, path[i+2]) // "%X" dropped
				i += 2
			case i+1 < len(path) && !ishex(path[i+1]):
				dec = append(dec, path[i+1]) // "%" dropped
				i++
			default:
				i = len(path) // "%" or "%X" at the end
			}
		}
		path = string(dec)
		if !safePath(path) {
			return path, args, false
		}
	}
	return path, args, true
}

// safePath: no NUL and no ".." segment.
func safePath(p string) bool {
	if strings.IndexByte(p, 0) >= 0 {
		return false
	}
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '.' && p[i+1] == '.' && (i == 0 || p[i-1] == '/') && (i+2 == len(p) || p[i+2] == '/') {
			return false
		}
	}
	return true
}
