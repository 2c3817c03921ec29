package lua

// goresty: string.find, match, gmatch and gsub on a matcher that follows
// Lua 5.1's lstrlib (as LuaJIT does): %f frontiers, %b, back references,
// position captures, anchors and the same errors. It works on the
// subject in place and allocates only the results.

import (
	"strings"
)

const (
	luaMaxCaptures = 32
	capUnfinished  = -1
	capPosition    = -2
	maxMatchDepth  = 200000
)

type patCapture struct{ init, len int }

type matchState struct {
	L       *LState
	src     string
	pat     string
	level   int
	depth   int
	capture [luaMaxCaptures]patCapture
}

func (ms *matchState) error(msg string) {
	if ms.L == nil {
		panic(patternError(msg))
	}
	ms.L.RaiseError("%s", msg)
}

type patternError string

func (e patternError) Error() string { return string(e) }

// PatternFind is string.find(s, pattern, init+1) for Go callers, on the same
// matcher: the byte offsets [start, end) of the first match at or after
// byte offset init, start -1 when there is none, or the error string.find
// raises for a malformed pattern.
func PatternFind(s, pattern string, init int) (start, end int, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(patternError)
			if !ok {
				panic(r)
			}
			start, end, err = -1, -1, pe
		}
	}()
	anchor := len(pattern) > 0 && pattern[0] == '^'
	if anchor {
		pattern = pattern[1:]
	}
	ms := &matchState{src: s, pat: pattern}
	for i := max(init, 0); i <= len(s); i++ {
		ms.level = 0
		if e := ms.match(i, 0); e >= 0 {
			return i, e, nil
		}
		if anchor {
			break
		}
	}
	return -1, -1, nil
}

func (ms *matchState) classEnd(p int) int {
	pat := ms.pat
	c := pat[p]
	p++
	if c == '%' {
		if p >= len(pat) {
			ms.error("malformed pattern (ends with '%')")
		}
		return p + 1
	}
	if c == '[' {
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // the first character is always part of the set ("[]]")
			if p >= len(pat) {
				ms.error("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++
			}
			if p < len(pat) && pat[p] == ']' {
				break
			}
			if p >= len(pat) {
				ms.error("malformed pattern (missing ']')")
			}
		}
		return p + 1
	}
	return p
}

func isAlpha(c byte) bool  { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigitC(c byte) bool { return c >= '0' && c <= '9' }

func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = isDigitC(c)
	case 'l':
		res = c >= 'a' && c <= 'z'
	case 'p':
		res = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)
	case 's':
		res = c == ' ' || (c >= '\t' && c <= '\r')
	case 'u':
		res = c >= 'A' && c <= 'Z'
	case 'w':
		res = isAlpha(c) || isDigitC(c)
	case 'x':
		res = isDigitC(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'A' && cl <= 'Z' {
		return !res
	}
	return res
}

// matchBracketClass: p at '[', ec at the closing ']'.
func (ms *matchState) matchBracketClass(c byte, p, ec int) bool {
	pat := ms.pat
	sig := true
	if pat[p+1] == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		if pat[p] == '%' {
			p++
			if matchClass(c, pat[p]) {
				return sig
			}
		} else if p+2 < ec && pat[p+1] == '-' {
			p += 2
			if pat[p-2] <= c && c <= pat[p] {
				return sig
			}
		} else if pat[p] == c {
			return sig
		}
	}
	return !sig
}

func (ms *matchState) singleMatch(s, p, ep int) bool {
	if s >= len(ms.src) {
		return false
	}
	c := ms.src[s]
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, ms.pat[p+1])
	case '[':
		return ms.matchBracketClass(c, p, ep-1)
	}
	return ms.pat[p] == c
}

// match returns the end of the match of pat[p:] at src[s:], or -1.
func (ms *matchState) match(s, p int) int {
	ms.depth++
	if ms.depth > maxMatchDepth {
		ms.error("pattern too complex")
	}
	r := ms.doMatch(s, p)
	ms.depth--
	return r
}

func (ms *matchState) doMatch(s, p int) int {
	pat, src := ms.pat, ms.src
	for {
		if p >= len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(pat) {
				switch d := pat[p+1]; {
				case d == 'b':
					s = ms.matchBalance(s, p+2)
					if s < 0 {
						return -1
					}
					p += 4
					continue
				case d == 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						ms.error("missing '[' after '%f' in pattern")
					}
					ep := ms.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = src[s-1]
					}
					if s < len(src) {
						cur = src[s]
					}
					if ms.matchBracketClass(prev, p, ep-1) || !ms.matchBracketClass(cur, p, ep-1) {
						return -1
					}
					p = ep
					continue
				case isDigitC(d):
					s = ms.matchCapture(s, d)
					if s < 0 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		ep := ms.classEnd(p)
		m := ms.singleMatch(s, p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if m {
					if res := ms.match(s+1, ep+1); res >= 0 {
						return res
					}
				}
				p = ep + 1
				continue
			case '*':
				return ms.maxExpand(s, p, ep)
			case '+':
				if m {
					return ms.maxExpand(s+1, p, ep)
				}
				return -1
			case '-':
				return ms.minExpand(s, p, ep)
			}
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

func (ms *matchState) maxExpand(s, p, ep int) int {
	i := 0
	for ms.singleMatch(s+i, p, ep) {
		i++
	}
	for ; i >= 0; i-- {
		if res := ms.match(s+i, ep+1); res >= 0 {
			return res
		}
	}
	return -1
}

func (ms *matchState) minExpand(s, p, ep int) int {
	for {
		if res := ms.match(s, ep+1); res >= 0 {
			return res
		}
		if ms.singleMatch(s, p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func (ms *matchState) startCapture(s, p, what int) int {
	if ms.level >= luaMaxCaptures {
		ms.error("too many captures")
	}
	ms.capture[ms.level] = patCapture{s, what}
	ms.level++
	res := ms.match(s, p)
	if res < 0 {
		ms.level--
	}
	return res
}

func (ms *matchState) endCapture(s, p int) int {
	l := -1
	for i := ms.level - 1; i >= 0; i-- {
		if ms.capture[i].len == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		ms.error("invalid pattern capture")
	}
	ms.capture[l].len = s - ms.capture[l].init
	res := ms.match(s, p)
	if res < 0 {
		ms.capture[l].len = capUnfinished
	}
	return res
}

func (ms *matchState) matchBalance(s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.error("unbalanced pattern")
	}
	src := ms.src
	if s >= len(src) || src[s] != ms.pat[p] {
		return -1
	}
	b, e := ms.pat[p], ms.pat[p+1]
	cont := 1
	for s++; s < len(src); s++ {
		if src[s] == e {
			cont--
			if cont == 0 {
				return s + 1
			}
		} else if src[s] == b {
			cont++
		}
	}
	return -1
}

func (ms *matchState) matchCapture(s int, d byte) int {
	l := int(d) - '1'
	if l < 0 || l >= ms.level || ms.capture[l].len == capUnfinished {
		ms.error("invalid capture index")
	}
	c := ms.capture[l]
	// a position capture (len capPosition) never matches, as in lstrlib
	// where its negative length fails the size_t comparison
	if c.len >= 0 && len(ms.src)-s >= c.len && ms.src[c.init:c.init+c.len] == ms.src[s:s+c.len] {
		return s + c.len
	}
	return -1
}

// capture returns capture i of a match spanning src[s:e].
func (ms *matchState) capture1(i, s, e int) LValue {
	if i >= ms.level {
		if i == 0 {
			return ms.str(ms.src[s:e])
		}
		ms.error("invalid capture index")
	}
	c := ms.capture[i]
	switch c.len {
	case capUnfinished:
		ms.error("unfinished capture")
	case capPosition:
		return LNumber(c.init + 1)
	}
	return ms.str(ms.src[c.init : c.init+c.len])
}

// str boxes a captured substring (through the state's block allocator when
// there is a state).
func (ms *matchState) str(s string) LValue {
	if ms.L != nil {
		return ms.L.alloc.LString2I(LString(s))
	}
	return LString(s)
}

// pushCaptures pushes the captures (or the whole match when wholeIfNone
// and there are none) and returns how many.
func (ms *matchState) pushCaptures(s, e int, wholeIfNone bool) int {
	n := ms.level
	if n == 0 && wholeIfNone {
		n = 1
	}
	for i := 0; i < n; i++ {
		ms.L.Push(ms.capture1(i, s, e))
	}
	return n
}

const patSpecials = "^$*+?.([%-"

func strFindAux(L *LState, find bool) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	init := L.OptInt(3, 1)
	if init < 0 {
		init += len(src) + 1
		if init < 0 {
			init = 0
		}
	}
	init--
	if init < 0 {
		init = 0
	} else if init > len(src) {
		init = len(src)
	}
	if find && (LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, patSpecials)) {
		if i := strings.Index(src[init:], pat); i >= 0 {
			L.PushNumber(LNumber(init + i + 1))
			L.PushNumber(LNumber(init + i + len(pat)))
			return 2
		}
		L.Push(LNil)
		return 1
	}
	anchor := len(pat) > 0 && pat[0] == '^'
	if anchor {
		pat = pat[1:]
	}
	ms := &matchState{L: L, src: src, pat: pat}
	for s := init; ; s++ {
		ms.level = 0
		if e := ms.match(s, 0); e >= 0 {
			if find {
				L.PushNumber(LNumber(s + 1))
				L.PushNumber(LNumber(e))
				return ms.pushCaptures(-1, -1, false) + 2
			}
			return ms.pushCaptures(s, e, true)
		}
		if s >= len(src) || anchor {
			break
		}
	}
	L.Push(LNil)
	return 1
}

func strFindLJ(L *LState) int  { return strFindAux(L, true) }
func strMatchLJ(L *LState) int { return strFindAux(L, false) }

func strGmatchLJ(L *LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	pos := 0
	L.Push(L.NewFunction(func(L *LState) int {
		ms := &matchState{L: L, src: src, pat: pat}
		for s := pos; s <= len(src); s++ {
			ms.level = 0
			if e := ms.match(s, 0); e >= 0 {
				pos = e
				if e == s {
					pos++ // empty match: go at least one position on
				}
				return ms.pushCaptures(s, e, true)
			}
		}
		pos = len(src) + 1
		return 0
	}))
	return 1
}

func strGsubLJ(L *LState) int {
	src := L.CheckString(1)
	pat := L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case LTNumber, LTString, LTTable, LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	anchor := len(pat) > 0 && pat[0] == '^'
	if anchor {
		pat = pat[1:]
	}
	ms := &matchState{L: L, src: src, pat: pat}
	var b strings.Builder
	// goresty: unmatched text is copied in runs (src[copied:s]) when a
	// match or the end comes, and not at all when nothing matched.
	s, n, copied := 0, 0, 0
	for n < maxN {
		ms.level = 0
		e := ms.match(s, 0)
		if e >= 0 {
			if n == 0 {
				b.Grow(len(src))
			}
			n++
			b.WriteString(src[copied:s])
			ms.addValue(&b, s, e, repl)
			copied = e
		}
		if e >= 0 && e > s {
			s = e
		} else if s < len(src) {
			s++
		} else {
			break
		}
		if anchor {
			break
		}
	}
	if n == 0 {
		if v, ok := L.Get(1).(LString); ok {
			L.Push(v) // the subject unchanged, already boxed
		} else {
			L.PushString(src)
		}
	} else {
		b.WriteString(src[copied:])
		L.PushString(b.String())
	}
	L.PushNumber(LNumber(n))
	return 2
}

func (ms *matchState) addValue(b *strings.Builder, s, e int, repl LValue) {
	L := ms.L
	var v LValue
	switch r := repl.(type) {
	case LString, LNumber:
		news := LVAsString(r)
		if strings.IndexByte(news, '%') < 0 {
			b.WriteString(news)
			return
		}
		for i := 0; i < len(news); i++ {
			c := news[i]
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			i++
			if i >= len(news) {
				b.WriteByte(0) // as C reads the terminating NUL
				break
			}
			c = news[i]
			switch {
			case !isDigitC(c):
				b.WriteByte(c)
			case c == '0':
				b.WriteString(ms.src[s:e])
			default:
				cv := ms.capture1(int(c-'1'), s, e)
				b.WriteString(LVAsString(cv))
			}
		}
		return
	case *LTable:
		v = L.GetTable(r, ms.capture1(0, s, e))
	case *LFunction:
		top := L.GetTop()
		L.Push(r)
		n := ms.pushCaptures(s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.SetTop(top)
	}
	if !LVAsBool(v) {
		b.WriteString(ms.src[s:e]) // keep the original text
		return
	}
	switch v.(type) {
	case LString, LNumber:
		b.WriteString(LVAsString(v))
	default:
		L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	}
}
