package syntax

// goresty: PCRE's "required character" (pcre_compile's reqchar): the last
// literal character every match contains. pcre_exec looks for it before
// matching at a start position, and when it is not in the rest of the
// subject the search fails at once without backtracking (see
// runner.go, FindRunesMatchStartingAtLimit).

// requiredChar is the last literal that every match of n consumes; ci when
// it is compared case-insensitively (ch is then lower case).
func requiredChar(n *regexNode) (ch rune, ci, ok bool) {
	if n == nil || n.options&RightToLeft != 0 {
		return 0, false, false
	}
	ci = n.options&IgnoreCase != 0
	switch n.t {
	case ntOne:
		return n.ch, ci, true
	case ntMulti:
		if len(n.str) == 0 {
			return 0, false, false
		}
		return n.str[len(n.str)-1], ci, true
	case ntOnerep, ntOneloop, ntOnelazy:
		if n.m >= 1 {
			return n.ch, ci, true
		}
	case ntConcatenate:
		// the last child that has one; a child without one leaves the
		// earlier one required
		for i := len(n.children) - 1; i >= 0; i-- {
			if ch, ci, ok := requiredChar(n.children[i]); ok {
				return ch, ci, true
			}
		}
	case ntAlternate:
		// every branch must require the same character
		for i, c := range n.children {
			cch, cci, cok := requiredChar(c)
			if !cok || i > 0 && (cch != ch || cci != ci) {
				return 0, false, false
			}
			ch, ci = cch, cci
		}
		return ch, ci, len(n.children) > 0
	case ntLoop, ntLazyloop:
		if n.m >= 1 && len(n.children) == 1 {
			return requiredChar(n.children[0])
		}
	case ntCapture, ntGroup, ntGreedy:
		if len(n.children) == 1 {
			return requiredChar(n.children[0])
		}
	}
	return 0, false, false
}
