package regex

import (
	"strings"
	"sync"
)

// A replacement template of ngx.re.sub/gsub: literal text and $N, ${N}
// capture references; "$$" is a literal "$". Named references are not
// supported by lua-nginx-module either.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	lit string
	cap int // -1 for a literal part
}

// compileTemplate parses a template; the error is the message nginx logs.
func compileTemplate(src string) (*template, string) {
	t := &template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tmplPart{lit: lit.String(), cap: -1})
			lit.Reset()
		}
	}
	invalid := `lua script: invalid capturing variable name found in "` + src + `"`
	i := 0
	for i < len(src) {
		c := src[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		i++
		if i == len(src) {
			return nil, invalid
		}
		if src[i] == '$' {
			lit.WriteByte('$')
			i++
			continue
		}
		bracket := false
		if src[i] == '{' {
			bracket = true
			i++
			if i == len(src) {
				return nil, invalid
			}
		}
		start := i
		if src[i] >= '0' && src[i] <= '9' {
			n := 0
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				if n < 1<<20 {
					n = n*10 + int(src[i]-'0')
				}
				i++
			}
			if bracket {
				if i == len(src) || src[i] != '}' {
					return nil, `the closing bracket in "` + src[start:i] + `" variable is missing`
				}
				i++
			}
			flush()
			t.parts = append(t.parts, tmplPart{cap: n})
			continue
		}
		for i < len(src) && isWordByte(src[i]) {
			i++
		}
		if bracket && (i == len(src) || src[i] != '}') {
			return nil, `the closing bracket in "` + src[start:i] + `" variable is missing`
		}
		if i == start {
			return nil, invalid
		}
		return nil, `attempt to use named capturing variable "` + src[start:i] + `" (named captures not supported yet)`
	}
	flush()
	return t, ""
}

// expand appends the template's value for one match to dst.
func (t *template) expand(dst []byte, subj string, caps []int) []byte {
	for _, p := range t.parts {
		if p.cap < 0 {
			dst = append(dst, p.lit...)
			continue
		}
		if 2*p.cap+1 < len(caps) {
			from, to := caps[2*p.cap], caps[2*p.cap+1]
			if from >= 0 && to >= from {
				dst = append(dst, subj[from:to]...)
			}
		}
	}
	return dst
}

type tmplEntry struct {
	t   *template
	err string
}

var tmplCache = struct {
	sync.RWMutex
	m map[string]tmplEntry
}{m: make(map[string]tmplEntry, 64)}

const maxTemplates = 1024

func lookupTemplate(src string) (*template, string) {
	tmplCache.RLock()
	e, ok := tmplCache.m[src]
	tmplCache.RUnlock()
	if ok {
		return e.t, e.err
	}
	t, err := compileTemplate(src)
	tmplCache.Lock()
	if len(tmplCache.m) >= maxTemplates {
		for k := range tmplCache.m {
			delete(tmplCache.m, k)
			break
		}
	}
	tmplCache.m[src] = tmplEntry{t, err}
	tmplCache.Unlock()
	return t, err
}
