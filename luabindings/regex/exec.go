package regex

import (
	"sort"
	"sync"
	"unicode/utf8"
)

// PCRE exec error codes OpenResty reports as "pcre_exec() failed: N".
const (
	errBadUTF8       = -10
	errBadUTF8Offset = -11
	errBadOffset     = -24
)

// subject is a Lua string prepared for regexp2: one rune per byte in byte
// mode, decoded runes in UTF-8 mode with a rune -> byte offset table.
type subject struct {
	s     string
	runes []rune
	offs  []int // byte offset of each rune plus len(s); nil when identity
	bad   bool  // UTF-8 mode and s is not valid UTF-8
}

var subjectPool = sync.Pool{New: func() any { return new(subject) }}

func getSubject(s string, utf8Mode bool) *subject {
	sub := subjectPool.Get().(*subject)
	sub.s = s
	sub.runes = sub.runes[:0]
	sub.offs = sub.offs[:0]
	sub.bad = false
	ascii := true
	if utf8Mode {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				ascii = false
				break
			}
		}
	}
	if !utf8Mode || ascii {
		for i := 0; i < len(s); i++ {
			sub.runes = append(sub.runes, mapByte(s[i]))
		}
		sub.offs = nil
		return sub
	}
	for i, r := range s {
		sub.runes = append(sub.runes, r)
		sub.offs = append(sub.offs, i)
	}
	sub.offs = append(sub.offs, len(s))
	sub.bad = !utf8.ValidString(s)
	return sub
}

func putSubject(sub *subject) {
	if cap(sub.runes) > 64<<10 {
		return // do not keep huge buffers alive
	}
	sub.s = ""
	subjectPool.Put(sub)
}

// byteOff converts a rune index to a byte offset.
func (sub *subject) byteOff(r int) int {
	if sub.offs == nil {
		return r
	}
	return sub.offs[r]
}

// runeIndex converts a byte offset to a rune index; exact is false when the
// offset falls inside a multi-byte character.
func (sub *subject) runeIndex(b int) (int, bool) {
	if sub.offs == nil {
		return b, true
	}
	i := sort.SearchInts(sub.offs, b)
	return i, i < len(sub.offs) && sub.offs[i] == b
}

// result holds the byte offsets of one match: caps[2i], caps[2i+1] for
// group i, -1 when unset.
type result struct {
	caps []int
}

// exec runs re on sub from byte offset pos. It returns false on no match;
// rc < 0 reports a PCRE exec error code.
func (re *Regex) exec(sub *subject, pos int, res *result) (matched bool, rc int) {
	if pos > len(sub.s) || pos < 0 {
		return false, errBadOffset
	}
	if sub.bad && re.flags&flagNoUTF8Check == 0 {
		return false, errBadUTF8 // PCRE checks the whole subject first
	}
	start, exact := sub.runeIndex(pos)
	if !exact {
		if re.flags&flagNoUTF8Check == 0 {
			return false, errBadUTF8Offset
		}
	}
	limit := int(matchLimit.Load())
	if re.dfa {
		// pcre_dfa_exec ignores lua_regex_match_limit; regexp2 still
		// backtracks, so PCRE's default bound stays
		limit = DefaultMatchLimit
	}
	m, err := re.re.FindRunesMatchStartingAtLimit(sub.runes, start, limit)
	if err != nil {
		return false, -8 // PCRE_ERROR_MATCHLIMIT
	}
	if m == nil {
		return false, 0
	}
	n := re.ncap + 1
	if cap(res.caps) < 2*n {
		res.caps = make([]int, 2*n)
	}
	res.caps = res.caps[:2*n]
	res.caps[0] = sub.byteOff(m.Index)
	res.caps[1] = sub.byteOff(m.Index + m.Length)
	for i := 1; i < n; i++ {
		g := m.GroupByNumber(i)
		if g == nil || len(g.Captures) == 0 {
			res.caps[2*i], res.caps[2*i+1] = -1, -1
			continue
		}
		res.caps[2*i] = sub.byteOff(g.Index)
		res.caps[2*i+1] = sub.byteOff(g.Index + g.Length)
	}
	return true, 0
}
