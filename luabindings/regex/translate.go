package regex

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The PCRE pattern is rewritten into the dialect of regexp2 (.NET syntax,
// RE2 compat mode) so that PCRE's semantics survive:
//   - group numbering: .NET numbers named groups after the unnamed ones,
//     PCRE numbers all groups left to right. Every named group becomes a
//     plain group and the names are kept on the side (this also gives
//     PCRE's D option: several groups may share a name).
//   - byte-wise matching without the u option: each subject byte becomes
//     one rune; bytes >= 0x80 map into a private-use block so that they
//     never case-fold and never count as \w, like PCRE's C-locale tables.
//   - PCRE-only syntax: \Q..\E, possessive quantifiers, (?P=name), \k{name},
//     \g{N}, POSIX classes, \h, \R, \x{...}, ASCII-only \s with VT.
//   - `$` without m matches at the end or before a final newline.

const byteBase = 0xF700 // bytes 0x80..0xFF map to U+F780..U+F7FF

// mapByte gives the rune standing for one subject byte in byte mode.
func mapByte(b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	return byteBase + rune(b)
}

type translateError struct {
	msg string
	at  int // offset in the pattern where PCRE would report, -1 for none
}

type nameEntry struct {
	name   string
	groups []int
}

type translated struct {
	pattern string
	ncap    int
	names   []nameEntry
}

type group struct {
	start   int // output offset of the group's "("
	capture bool
}

type translator struct {
	src      string
	utf8     bool
	dupnames bool
	xmode    bool
	mmode    bool
	out      []byte
	ncap     int
	names    []nameEntry
	stack    []group
	atom     int // output offset where the last quantifiable atom starts, -1 if none
	maxRef   int // highest numbered back reference
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isWordByte(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func translate(src string, utf8Mode, dupnames, xmode, mmode bool) (*translated, *translateError) {
	t := &translator{src: src, utf8: utf8Mode, dupnames: dupnames, xmode: xmode, mmode: mmode,
		out: make([]byte, 0, len(src)+16), atom: -1}
	if err := t.run(); err != nil {
		return nil, err
	}
	return &translated{pattern: string(t.out), ncap: t.ncap, names: t.names}, nil
}

func (t *translator) fail(msg string, at int) *translateError {
	return &translateError{msg: msg, at: at}
}

// emitRune writes a code point as a literal that regexp2 reads verbatim.
func (t *translator) emitCodepoint(v rune) {
	if v < 0x80 {
		c := byte(v)
		if strings.IndexByte(`\.+*?()|[]{}^$#- `, c) >= 0 || c < 0x20 || c == 0x7f {
			t.out = append(t.out, `\x{`...)
			t.out = strconv.AppendInt(t.out, int64(c), 16)
			t.out = append(t.out, '}')
			return
		}
		t.out = append(t.out, c)
		return
	}
	t.out = utf8.AppendRune(t.out, v)
}

// literalAt emits the pattern character at i literally and returns its width.
func (t *translator) literalAt(i int) int {
	c := t.src[i]
	if c < 0x80 {
		t.emitCodepoint(rune(c))
		return 1
	}
	if !t.utf8 {
		t.out = utf8.AppendRune(t.out, mapByte(c))
		return 1
	}
	r, n := utf8.DecodeRuneInString(t.src[i:])
	if r == utf8.RuneError && n <= 1 {
		t.out = utf8.AppendRune(t.out, utf8.RuneError)
		return 1
	}
	t.out = append(t.out, t.src[i:i+n]...)
	return n
}

// codepoint emits a character given by number (\x, octal), honouring byte mode.
func (t *translator) codepoint(v int, at int) *translateError {
	if !t.utf8 {
		if v > 0xff {
			return t.fail(`character value in \x{} or \o{} is too large`, at)
		}
		t.emitCodepoint(mapByte(byte(v)))
		return nil
	}
	if v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) {
		return t.fail(`character value in \x{} or \o{} is too large`, at)
	}
	t.emitCodepoint(rune(v))
	return nil
}

// hexEscape parses after `\x` at i; returns the value and the next index.
func (t *translator) hexEscape(i int) (int, int, *translateError) {
	s := t.src
	if i < len(s) && s[i] == '{' {
		j := i + 1
		v := 0
		for j < len(s) && isHex(s[j]) {
			d, _ := strconv.ParseUint(s[j:j+1], 16, 8)
			v = v*16 + int(d)
			if v > 0x10ffff {
				v = 0x110000
			}
			j++
		}
		if j < len(s) && s[j] == '}' && j > i+1 {
			return v, j + 1, nil
		}
		// not a valid \x{...}: PCRE reads \x as NUL followed by literal "{"
		return 0, i, nil
	}
	v := 0
	j := i
	for j < len(s) && j < i+2 && isHex(s[j]) {
		d, _ := strconv.ParseUint(s[j:j+1], 16, 8)
		v = v*16 + int(d)
		j++
	}
	return v, j, nil
}

func (t *translator) lookupName(name string, at int) (int, *translateError) {
	for _, e := range t.names {
		if e.name == name {
			return e.groups[0], nil
		}
	}
	return 0, t.fail("reference to non-existent subpattern", at)
}

func (t *translator) backref(n int) {
	t.atom = len(t.out)
	t.out = append(t.out, `(?:\`...)
	t.out = strconv.AppendInt(t.out, int64(n), 10)
	t.out = append(t.out, ')')
}

// readName reads a group name at i up to the terminator; returns name, index of terminator.
func (t *translator) readName(i int, term byte) (string, int, *translateError) {
	s := t.src
	j := i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	if j == len(s) || s[j] != term {
		if j == i {
			return "", j, t.fail("group name expected", j)
		}
		return "", j, t.fail("syntax error in subpattern name (missing terminator)", j)
	}
	if j == i {
		return "", j, t.fail("group name expected", j)
	}
	if isDigit(s[i]) {
		return "", j, t.fail("group name must start with a non-digit", i)
	}
	return s[i:j], j, nil
}

const spaceChars = `\t\n\x{b}\f\r\x{20}`

func (t *translator) run() *translateError {
	s := t.src
	i := 0
	for i < len(s) {
		c := s[i]
		if t.xmode {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				i++
				continue
			}
			if c == '#' {
				for i < len(s) && s[i] != '\n' {
					i++
				}
				continue
			}
		}
		switch c {
		case '\\':
			n, err := t.escape(i)
			if err != nil {
				return err
			}
			i = n
		case '[':
			n, err := t.class(i)
			if err != nil {
				return err
			}
			i = n
		case '(':
			n, err := t.open(i)
			if err != nil {
				return err
			}
			i = n
		case ')':
			if len(t.stack) == 0 {
				return t.fail("unmatched parentheses", i)
			}
			g := t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.out = append(t.out, ')')
			t.atom = g.start
			i++
		case '|':
			t.out = append(t.out, '|')
			t.atom = -1
			i++
		case '*', '+', '?':
			if t.atom < 0 {
				return t.fail("nothing to repeat", i)
			}
			i = t.quantifier(i, i+1)
		case '{':
			if end, ok := t.isQuantifier(i); ok {
				if t.atom < 0 {
					return t.fail("nothing to repeat", end-1)
				}
				if err := t.checkCounts(i, end); err != nil {
					return err
				}
				i = t.quantifier(i, end)
			} else {
				t.atom = len(t.out)
				t.out = append(t.out, `\{`...)
				i++
			}
		case '$':
			if t.mmode {
				t.out = append(t.out, '$')
			} else {
				t.out = append(t.out, `(?=\n?\z)`...)
			}
			t.atom = -1
			i++
		case '^':
			t.out = append(t.out, '^')
			t.atom = -1
			i++
		case '.':
			t.atom = len(t.out)
			t.out = append(t.out, '.')
			i++
		default:
			t.atom = len(t.out)
			i += t.literalAt(i)
		}
	}
	if len(t.stack) > 0 {
		return t.fail("missing )", len(s))
	}
	if t.maxRef > t.ncap {
		return t.fail("reference to non-existent subpattern", len(s))
	}
	return nil
}

// isQuantifier reports whether s[i:] starts with {n}, {n,} or {n,m}.
func (t *translator) isQuantifier(i int) (int, bool) {
	s := t.src
	j := i + 1
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return 0, false
	}
	if k < len(s) && s[k] == '}' {
		return k + 1, true
	}
	if k >= len(s) || s[k] != ',' {
		return 0, false
	}
	k++
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k < len(s) && s[k] == '}' {
		return k + 1, true
	}
	return 0, false
}

func (t *translator) checkCounts(i, end int) *translateError {
	body := t.src[i+1 : end-1]
	lo, hi, hasComma := body, "", false
	if p := strings.IndexByte(body, ','); p >= 0 {
		lo, hi, hasComma = body[:p], body[p+1:], true
	}
	a, err := strconv.Atoi(lo)
	if err != nil || a > 65535 {
		return t.fail("number too big in {} quantifier", end-1)
	}
	if hasComma && hi != "" {
		b, err := strconv.Atoi(hi)
		if err != nil || b > 65535 {
			return t.fail("number too big in {} quantifier", end-1)
		}
		if b < a {
			return t.fail("numbers out of order in {} quantifier", end-1)
		}
	}
	return nil
}

// quantifier copies the quantifier s[i:end] plus a lazy/possessive suffix.
func (t *translator) quantifier(i, end int) int {
	s := t.src
	atom := t.atom
	if end < len(s) && s[end] == '+' {
		// possessive: X*+ == (?>X*)
		body := append([]byte(nil), t.out[atom:]...)
		t.out = append(t.out[:atom], "(?>"...)
		t.out = append(t.out, body...)
		t.out = append(t.out, s[i:end]...)
		t.out = append(t.out, ')')
		end++
	} else {
		t.out = append(t.out, s[i:end]...)
		if end < len(s) && s[end] == '?' {
			t.out = append(t.out, '?')
			end++
		}
	}
	t.atom = -1
	return end
}

func (t *translator) open(i int) (int, *translateError) {
	s := t.src
	start := len(t.out)
	if i+1 < len(s) && s[i+1] == '*' {
		return 0, t.fail("(*VERB) constructs are not supported", i+1)
	}
	if i+1 >= len(s) || s[i+1] != '?' {
		t.ncap++
		t.stack = append(t.stack, group{start: start, capture: true})
		t.out = append(t.out, '(')
		t.atom = -1
		return i + 1, nil
	}
	j := i + 2
	if j >= len(s) {
		return 0, t.fail("unrecognized character after (? or (?-", j)
	}
	switch s[j] {
	case '#':
		k := strings.IndexByte(s[j:], ')')
		if k < 0 {
			return 0, t.fail("missing ) after comment", len(s))
		}
		return j + k + 1, nil
	case ':', '=', '!', '>':
		t.stack = append(t.stack, group{start: start})
		t.out = append(t.out, s[i:j+1]...)
		t.atom = -1
		return j + 1, nil
	case '<':
		if j+1 < len(s) && (s[j+1] == '=' || s[j+1] == '!') {
			t.stack = append(t.stack, group{start: start})
			t.out = append(t.out, s[i:j+2]...)
			t.atom = -1
			return j + 2, nil
		}
		return t.named(i, j+1, '>')
	case '\'':
		return t.named(i, j+1, '\'')
	case 'P':
		if j+1 < len(s) && s[j+1] == '<' {
			return t.named(i, j+2, '>')
		}
		if j+1 < len(s) && s[j+1] == '=' {
			name, end, err := t.readName(j+2, ')')
			if err != nil {
				return 0, err
			}
			n, err := t.lookupName(name, end)
			if err != nil {
				return 0, err
			}
			t.backref(n)
			return end + 1, nil
		}
		return 0, t.fail("recursion and subroutine calls are not supported", j)
	case 'R', '&', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return 0, t.fail("recursion and subroutine calls are not supported", j)
	case '|':
		return 0, t.fail("branch reset groups are not supported", j)
	case '(':
		// conditional: let regexp2 handle (?(1)..|..) and (?(name)..)
		t.stack = append(t.stack, group{start: start})
		t.out = append(t.out, "(?"...)
		t.atom = -1
		return j, nil
	}
	// option setting: (?imsx-imsx) or (?imsx-imsx:
	k := j
	on := true
	var keep []byte
	for k < len(s) && s[k] != ')' && s[k] != ':' {
		switch s[k] {
		case '-':
			on = false
			keep = append(keep, '-')
		case 'i', 's':
			keep = append(keep, s[k])
		case 'm':
			keep = append(keep, 'm')
			t.mmode = on
		case 'x':
			keep = append(keep, 'x')
			t.xmode = on
		case 'J', 'U', 'X':
			// J (dupnames) is allowed anyway; U and X have no equivalent
		default:
			return 0, t.fail("unrecognized character after (? or (?-", k)
		}
		k++
	}
	if k >= len(s) {
		return 0, t.fail("missing )", len(s))
	}
	if len(keep) > 0 && keep[len(keep)-1] == '-' {
		keep = keep[:len(keep)-1]
	}
	if s[k] == ')' {
		if len(keep) > 0 {
			t.out = append(t.out, "(?"...)
			t.out = append(t.out, keep...)
			t.out = append(t.out, ')')
		}
		return k + 1, nil
	}
	t.stack = append(t.stack, group{start: start})
	t.out = append(t.out, "(?"...)
	t.out = append(t.out, keep...)
	t.out = append(t.out, ':')
	t.atom = -1
	return k + 1, nil
}

func (t *translator) named(open, i int, term byte) (int, *translateError) {
	name, end, err := t.readName(i, term)
	if err != nil {
		return 0, err
	}
	t.ncap++
	found := false
	for k := range t.names {
		if t.names[k].name == name {
			if !t.dupnames {
				return 0, t.fail("two named subpatterns have the same name", end)
			}
			t.names[k].groups = append(t.names[k].groups, t.ncap)
			found = true
		}
	}
	if !found {
		t.names = append(t.names, nameEntry{name: name, groups: []int{t.ncap}})
	}
	t.stack = append(t.stack, group{start: len(t.out), capture: true})
	t.out = append(t.out, '(')
	t.atom = -1
	return end + 1, nil
}

// escape handles a backslash sequence outside a class.
func (t *translator) escape(i int) (int, *translateError) {
	s := t.src
	if i+1 >= len(s) {
		return 0, t.fail(`\ at end of pattern`, len(s))
	}
	c := s[i+1]
	switch c {
	case 'Q':
		j := i + 2
		for j < len(s) {
			if s[j] == '\\' && j+1 < len(s) && s[j+1] == 'E' {
				return j + 2, nil
			}
			t.atom = len(t.out)
			j += t.literalAt(j)
		}
		return j, nil
	case 'E':
		return i + 2, nil
	case 'x':
		v, j, err := t.hexEscape(i + 2)
		if err != nil {
			return 0, err
		}
		t.atom = len(t.out)
		if err := t.codepoint(v, j-1); err != nil {
			return 0, err
		}
		return j, nil
	case '0':
		j := i + 2
		v := 0
		for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
			v = v*8 + int(s[j]-'0')
			j++
		}
		t.atom = len(t.out)
		return j, t.codepoint(v, j-1)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		n, _ := strconv.Atoi(s[i+1 : j])
		t.backref(n)
		if n > t.maxRef {
			t.maxRef = n
		}
		return j, nil
	case 'k':
		if i+2 < len(s) {
			var term byte
			switch s[i+2] {
			case '<':
				term = '>'
			case '\'':
				term = '\''
			case '{':
				term = '}'
			}
			if term != 0 {
				name, end, err := t.readName(i+3, term)
				if err != nil {
					return 0, err
				}
				n, err := t.lookupName(name, end)
				if err != nil {
					return 0, err
				}
				t.backref(n)
				return end + 1, nil
			}
		}
		return 0, t.fail(`\k is not followed by a braced, angle-bracketed, or quoted name`, i+2)
	case 'g':
		j := i + 2
		braced := j < len(s) && s[j] == '{'
		if braced {
			j++
		}
		k := j
		neg := k < len(s) && s[k] == '-'
		if neg || (k < len(s) && s[k] == '+') {
			k++
		}
		d := k
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > d {
			n, _ := strconv.Atoi(s[d:k])
			if neg {
				n = t.ncap - n + 1
			}
			if braced {
				if k >= len(s) || s[k] != '}' {
					return 0, t.fail(`\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number`, k)
				}
				k++
			}
			if n <= 0 {
				return 0, t.fail("reference to non-existent subpattern", k)
			}
			t.backref(n)
			if n > t.maxRef {
				t.maxRef = n
			}
			return k, nil
		}
		if braced {
			name, end, err := t.readName(j, '}')
			if err != nil {
				return 0, err
			}
			n, err := t.lookupName(name, end)
			if err != nil {
				return 0, err
			}
			t.backref(n)
			return end + 1, nil
		}
		return 0, t.fail("recursion and subroutine calls are not supported", i+2)
	case 's':
		t.atom = len(t.out)
		t.out = append(t.out, "["+spaceChars+"]"...)
		return i + 2, nil
	case 'S':
		t.atom = len(t.out)
		t.out = append(t.out, "[^"+spaceChars+"]"...)
		return i + 2, nil
	case 'h', 'H':
		t.atom = len(t.out)
		if c == 'h' {
			t.out = append(t.out, `[\t\x{20}`...)
		} else {
			t.out = append(t.out, `[^\t\x{20}`...)
		}
		t.emitNBSP()
		t.out = append(t.out, ']')
		return i + 2, nil
	case 'v', 'V':
		t.atom = len(t.out)
		if c == 'v' {
			t.out = append(t.out, `[\n\x{b}\f\r`...)
		} else {
			t.out = append(t.out, `[^\n\x{b}\f\r`...)
		}
		t.emitNEL()
		t.out = append(t.out, ']')
		return i + 2, nil
	case 'R':
		t.atom = len(t.out)
		t.out = append(t.out, `(?>\r\n|[\n\x{b}\f\r`...)
		t.emitNEL()
		t.out = append(t.out, "])"...)
		return i + 2, nil
	case 'K', 'C', 'X', 'N', 'L', 'l', 'U', 'u':
		return 0, t.fail(`PCRE does not support \`+string(c), i+2)
	case 'A', 'z', 'Z', 'b', 'B', 'G':
		t.out = append(t.out, s[i:i+2]...)
		t.atom = -1
		return i + 2, nil
	case 'd', 'D', 'w', 'W', 'a', 'e', 'f', 'n', 'r', 't':
		t.atom = len(t.out)
		t.out = append(t.out, s[i:i+2]...)
		return i + 2, nil
	case 'c':
		if i+2 >= len(s) {
			return 0, t.fail(`\c at end of pattern`, len(s))
		}
		t.atom = len(t.out)
		v := s[i+2]
		if v >= 'a' && v <= 'z' {
			v -= 32
		}
		t.emitCodepoint(rune(v ^ 0x40))
		return i + 3, nil
	case 'p', 'P':
		t.atom = len(t.out)
		j := i + 2
		if j < len(s) && s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				return 0, t.fail(`malformed \P or \p sequence`, len(s))
			}
			j += k + 1
		} else if j < len(s) {
			j++
		}
		t.out = append(t.out, s[i:j]...)
		return j, nil
	}
	t.atom = len(t.out)
	if c >= 0x80 {
		return i + 1 + t.literalAt(i+1), nil
	}
	// any other escaped character stands for itself
	t.emitCodepoint(rune(c))
	return i + 2, nil
}

func (t *translator) emitNBSP() {
	if t.utf8 {
		t.out = append(t.out, `\x{a0}`...)
	} else {
		t.out = utf8.AppendRune(t.out, mapByte(0xa0))
	}
}

func (t *translator) emitNEL() {
	if t.utf8 {
		t.out = append(t.out, `\x{85}\x{2028}\x{2029}`...)
	} else {
		t.out = utf8.AppendRune(t.out, mapByte(0x85))
	}
}

var posixClasses = map[string]string{
	"alpha":  `a-zA-Z`,
	"digit":  `0-9`,
	"alnum":  `a-zA-Z0-9`,
	"upper":  `A-Z`,
	"lower":  `a-z`,
	"space":  spaceChars,
	"blank":  `\t\x{20}`,
	"punct":  `!-/:-@\[-\x{60}\{-~`,
	"xdigit": `0-9A-Fa-f`,
	"word":   `a-zA-Z0-9_`,
	"cntrl":  `\x{0}-\x{1f}\x{7f}`,
	"print":  `\x{20}-~`,
	"graph":  `!-~`,
	"ascii":  `\x{0}-\x{7f}`,
}

// class copies a character class starting at s[i] == '['.
func (t *translator) class(i int) (int, *translateError) {
	s := t.src
	t.atom = len(t.out)
	t.out = append(t.out, '[')
	j := i + 1
	if j < len(s) && s[j] == '^' {
		t.out = append(t.out, '^')
		j++
	}
	first := true
	for {
		if j >= len(s) {
			return 0, t.fail("missing terminating ] for character class", len(s))
		}
		c := s[j]
		if c == ']' && !first {
			t.out = append(t.out, ']')
			return j + 1, nil
		}
		first = false
		switch c {
		case ']':
			t.out = append(t.out, `\]`...)
			j++
		case '[':
			if j+1 < len(s) && (s[j+1] == ':' || s[j+1] == '.' || s[j+1] == '=') {
				end := strings.Index(s[j+2:], string(s[j+1])+"]")
				if end >= 0 {
					name := s[j+2 : j+2+end]
					if s[j+1] != ':' {
						return 0, t.fail("POSIX collating elements are not supported", j)
					}
					neg := strings.HasPrefix(name, "^")
					if neg {
						return 0, t.fail("negated POSIX classes are not supported", j)
					}
					body, ok := posixClasses[name]
					if !ok {
						return 0, t.fail("unknown POSIX class name", j+2)
					}
					t.out = append(t.out, body...)
					j += 2 + end + 2
					continue
				}
			}
			t.out = append(t.out, `\[`...)
			j++
		case '\\':
			if j+1 >= len(s) {
				return 0, t.fail(`\ at end of pattern`, len(s))
			}
			e := s[j+1]
			switch e {
			case 'x':
				v, k, err := t.hexEscape(j + 2)
				if err != nil {
					return 0, err
				}
				if err := t.codepoint(v, k-1); err != nil {
					return 0, err
				}
				j = k
			case 'Q':
				k := j + 2
				for k < len(s) && !(s[k] == '\\' && k+1 < len(s) && s[k+1] == 'E') {
					k += t.literalAt(k)
				}
				if k < len(s) {
					k += 2
				}
				j = k
			case 'E':
				j += 2
			case 's':
				t.out = append(t.out, spaceChars...)
				j += 2
			case 'h':
				t.out = append(t.out, `\t\x{20}`...)
				t.emitNBSP()
				j += 2
			case 'v':
				t.out = append(t.out, `\n\x{b}\f\r`...)
				t.emitNEL()
				j += 2
			case '0':
				k := j + 2
				v := 0
				for k < len(s) && k < j+4 && s[k] >= '0' && s[k] <= '7' {
					v = v*8 + int(s[k]-'0')
					k++
				}
				if err := t.codepoint(v, k-1); err != nil {
					return 0, err
				}
				j = k
			case 'b':
				t.out = append(t.out, `\x{8}`...)
				j += 2
			case 'd', 'D', 'w', 'W', 'S', 'a', 'e', 'f', 'n', 'r', 't':
				t.out = append(t.out, s[j:j+2]...)
				j += 2
			case 'p', 'P':
				k := j + 2
				if k < len(s) && s[k] == '{' {
					end := strings.IndexByte(s[k:], '}')
					if end < 0 {
						return 0, t.fail(`malformed \P or \p sequence`, len(s))
					}
					k += end + 1
				} else if k < len(s) {
					k++
				}
				t.out = append(t.out, s[j:k]...)
				j = k
			case 'c':
				if j+2 >= len(s) {
					return 0, t.fail(`\c at end of pattern`, len(s))
				}
				v := s[j+2]
				if v >= 'a' && v <= 'z' {
					v -= 32
				}
				t.emitCodepoint(rune(v ^ 0x40))
				j += 3
			default:
				if e >= 0x80 {
					j += 1 + t.literalAt(j+1)
				} else {
					t.emitCodepoint(rune(e))
					j += 2
				}
			}
		case '-':
			t.out = append(t.out, '-')
			j++
		default:
			j += t.literalAt(j)
		}
	}
}
