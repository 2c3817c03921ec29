// Package payload parses the NOTIFY payloads pg-amqp-bridge understands:
// "routing_key|message" with an optional headers section.
//
// Split rule (documented in events/README.md): the routing key is the text
// before the FIRST '|', trimmed. In the rest, a headers section is only
// recognised when it matches the strict grammar
//
//	headers := header (";" header)*
//	header  := name ":" value ("," value)*
//	name    := [A-Za-z0-9][A-Za-z0-9_.-]*         (spaces around allowed)
//	value   := one or more characters other than | ; , " { } [ ] \
//	           and control characters, trimmed, non-empty
//
// and then only in one of two places: before the first '|' of the rest
// ("key|Headers|message", the documented form) or after the last '|'
// ("key|message|Headers", the form pg-amqp-bridge 0.0.8 actually parses).
// Anything else is message, byte for byte (never trimmed). JSON cannot
// match the grammar at either end because it starts with { [ or " and ends
// with } ] or ", so JSON containing '|' arrives intact.
package payload

import "strings"

// Header is one parsed header: a name with one or more values.
type Header struct {
	Name   string
	Values []string
}

// Parsed is a split payload.
type Parsed struct {
	RoutingKey string
	Message    string
	Headers    []Header // nil when the payload had no headers section
}

// Parse splits a NOTIFY payload by the rule above. A payload without '|'
// is all message with an empty routing key, as in pg-amqp-bridge.
func Parse(p string) Parsed {
	i := strings.IndexByte(p, '|')
	if i < 0 {
		return Parsed{Message: p}
	}
	out := Parsed{RoutingKey: strings.TrimSpace(p[:i])}
	rest := p[i+1:]
	if j := strings.IndexByte(rest, '|'); j >= 0 {
		if h, ok := ParseHeaders(rest[:j]); ok {
			out.Headers, out.Message = h, rest[j+1:]
			return out
		}
		k := strings.LastIndexByte(rest, '|')
		if h, ok := ParseHeaders(rest[k+1:]); ok {
			out.Headers, out.Message = h, rest[:k]
			return out
		}
	}
	out.Message = rest
	return out
}

// ParseHeaders parses a headers section by the strict grammar; ok is false
// when s does not match it exactly.
func ParseHeaders(s string) (hs []Header, ok bool) {
	if strings.TrimSpace(s) == "" {
		return nil, false
	}
	for part := range strings.SplitSeq(s, ";") {
		c := strings.IndexByte(part, ':')
		if c < 0 {
			return nil, false
		}
		name := strings.TrimSpace(part[:c])
		if !validName(name) {
			return nil, false
		}
		h := Header{Name: name}
		for v := range strings.SplitSeq(part[c+1:], ",") {
			v = strings.TrimSpace(v)
			if !validValue(v) {
				return nil, false
			}
			h.Values = append(h.Values, v)
		}
		hs = append(hs, h)
	}
	return hs, true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

func validValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '|', ';', ',', '"', '{', '}', '[', ']', '\\':
			return false
		default:
			if c < 0x20 || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// Table converts headers to the AMQP field table pg-amqp-bridge sends:
// every header is an array of long strings.
func Table(hs []Header) map[string]any {
	if hs == nil {
		return nil
	}
	t := make(map[string]any, len(hs))
	for _, h := range hs {
		vs := make([]any, len(h.Values))
		for i, v := range h.Values {
			vs[i] = v
		}
		t[h.Name] = vs
	}
	return t
}
