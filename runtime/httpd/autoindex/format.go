package autoindex

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/goresty/goresty/runtime/httpd"
)

// nameLen is NGX_HTTP_AUTOINDEX_NAME_LEN: the html name column.
const nameLen = 50

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendHTML is ngx_http_autoindex_html. utf8: the page goes out as
// utf-8 (charset), names are cut by characters rather than bytes.
func appendHTML(b []byte, r *httpd.Request, entries []entry, c *locConf, utf8on bool) []byte {
	uri := r.URI()
	b = append(b, "<html>\r\n<head><title>Index of "...)
	b = appendEscapeHTML(b, uri)
	b = append(b, "</title></head>\r\n<body>\r\n<h1>Index of "...)
	b = appendEscapeHTML(b, uri)
	b = append(b, "</h1><hr><pre><a href=\"../\">../</a>\r\n"...)
	for i := range entries {
		e := &entries[i]
		b = append(b, "<a href=\""...)
		b = appendEscapeComponent(b, e.name)
		if e.dir {
			b = append(b, '/')
		}
		b = append(b, '"', '>')
		n := len(e.name)
		if utf8on {
			n = utf8Length(e.name)
		}
		var last int
		if n != len(e.name) {
			chars := nameLen
			if n > nameLen {
				chars = nameLen - 3
			}
			b = appendEscapeHTML(b, utf8Prefix(e.name, chars))
			last = len(b)
		} else if needsEscapeHTML(e.name) {
			cut := n
			if n > nameLen {
				cut = nameLen - 3
			}
			b = appendEscapeHTML(b, e.name[:cut])
			last = len(b)
		} else {
			cut := min(n, nameLen)
			b = append(b, e.name[:cut]...)
			last = len(b) - 3
		}
		if n > nameLen {
			b = append(b[:last], "..&gt;</a>"...)
		} else {
			if e.dir && nameLen-n > 0 {
				b = append(b, '/')
				n++
			}
			b = append(b, "</a>"...)
			for k := n; k < nameLen; k++ {
				b = append(b, ' ')
			}
		}
		b = append(b, ' ')
		t := e.mtime.UTC()
		if c.localtime == 1 {
			t = e.mtime.Local()
		}
		b = appendPad(b, t.Day(), 2, '0')
		b = append(b, '-')
		b = append(b, months[t.Month()-1]...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(t.Year()), 10)
		b = append(b, ' ')
		b = appendPad(b, t.Hour(), 2, '0')
		b = append(b, ':')
		b = appendPad(b, t.Minute(), 2, '0')
		b = append(b, ' ')
		b = appendSize(b, e, c.exactSize == 1)
		b = append(b, '\r', '\n')
	}
	return append(b, "</pre><hr></body>\r\n</html>\r\n"...)
}

// appendSize is the size column: exact ("%19O") or scaled to K, M, G
// with nginx's rounding ("%6i%c", " %6i").
func appendSize(b []byte, e *entry, exact bool) []byte {
	if exact {
		if e.dir {
			return append(b, "                  -"...)
		}
		return appendPadInt(b, e.size, 19, ' ')
	}
	if e.dir {
		return append(b, "      -"...)
	}
	const k, m, g = 1024, 1024 * 1024, 1024 * 1024 * 1024
	length := e.size
	var size int64
	var scale byte
	switch {
	case length > g-1:
		size = length / g
		if length%g > g/2-1 {
			size++
		}
		scale = 'G'
	case length > m-1:
		size = length / m
		if length%m > m/2-1 {
			size++
		}
		scale = 'M'
	case length > 9999:
		size = length / k
		if length%k > 511 {
			size++
		}
		scale = 'K'
	default:
		size = length
	}
	if scale != 0 {
		return append(appendPadInt(b, size, 6, ' '), scale)
	}
	return appendPadInt(append(b, ' '), size, 6, ' ')
}

func appendPad(b []byte, v, width int, pad byte) []byte { return appendPadInt(b, int64(v), width, pad) }

func appendPadInt(b []byte, v int64, width int, pad byte) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, pad)
	}
	return append(b, s...)
}

// appendJSON is ngx_http_autoindex_json (jsonp: with the callback).
func appendJSON(b []byte, entries []entry, callback string, jsonp bool) []byte {
	if jsonp {
		b = append(b, "/* callback */\r\n"...)
		b = append(b, callback...)
		b = append(b, '(')
	}
	b = append(b, '[')
	for i := range entries {
		e := &entries[i]
		b = append(b, "\r\n{ \"name\":\""...)
		b = appendEscapeJSON(b, e.name)
		b = append(b, "\", \"type\":\""...)
		switch {
		case e.dir:
			b = append(b, "directory"...)
		case e.file:
			b = append(b, "file"...)
		default:
			b = append(b, "other"...)
		}
		b = append(b, "\", \"mtime\":\""...)
		b = e.mtime.UTC().AppendFormat(b, http.TimeFormat)
		if e.file {
			b = append(b, "\", \"size\":"...)
			b = strconv.AppendInt(b, e.size, 10)
		} else {
			b = append(b, '"')
		}
		b = append(b, " },"...)
	}
	if len(entries) > 0 {
		b = b[:len(b)-1]
	}
	b = append(b, "\r\n]"...)
	if jsonp {
		b = append(b, ')', ';')
	}
	return b
}

// appendXML is ngx_http_autoindex_xml.
func appendXML(b []byte, entries []entry) []byte {
	b = append(b, "<?xml version=\"1.0\"?>\r\n<list>\r\n"...)
	for i := range entries {
		e := &entries[i]
		typ := "other"
		if e.dir {
			typ = "directory"
		} else if e.file {
			typ = "file"
		}
		b = append(b, '<')
		b = append(b, typ...)
		b = append(b, " mtime=\""...)
		b = e.mtime.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
		if e.file {
			b = append(b, "\" size=\""...)
			b = strconv.AppendInt(b, e.size, 10)
		}
		b = append(b, '"', '>')
		b = appendEscapeHTML(b, e.name)
		b = append(b, '<', '/')
		b = append(b, typ...)
		b = append(b, '>', '\r', '\n')
	}
	return append(b, "</list>\r\n"...)
}

// utf8Length is ngx_utf8_length: characters, or bytes for invalid UTF-8.
func utf8Length(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < 0x80 {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return len(s)
		}
		i += size
		n++
	}
	return n
}

// utf8Prefix is what ngx_utf8_cpystrn copies: up to chars characters,
// stopping at invalid UTF-8.
func utf8Prefix(s string, chars int) string {
	i := 0
	for ; chars > 0 && i < len(s); chars-- {
		if s[i] < 0x80 {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	return s[:i]
}

func needsEscapeHTML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '"':
			return true
		}
	}
	return false
}

// appendEscapeHTML is ngx_escape_html.
func appendEscapeHTML(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendEscapeComponent is ngx_escape_uri(NGX_ESCAPE_URI_COMPONENT):
// all but letters, digits, "-", ".", "_" and "~".
func appendEscapeComponent(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

// appendEscapeJSON is ngx_escape_json.
func appendEscapeJSON(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x1f {
			if c == '\\' || c == '"' {
				b = append(b, '\\')
			}
			b = append(b, c)
			continue
		}
		b = append(b, '\\')
		switch c {
		case '\n':
			b = append(b, 'n')
		case '\r':
			b = append(b, 'r')
		case '\t':
			b = append(b, 't')
		case '\b':
			b = append(b, 'b')
		case '\f':
			b = append(b, 'f')
		default:
			lo := c & 0xf
			h := byte('0' + lo)
			if lo >= 10 {
				h = 'A' + lo - 10
			}
			b = append(b, 'u', '0', '0', '0'+c>>4, h)
		}
	}
	return b
}
