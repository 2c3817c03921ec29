package regex

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dlclark/regexp2"
	"github.com/dlclark/regexp2/syntax"
	"github.com/goresty/goresty/luabindings"
)

// Flags parsed from the opts string of ngx.re.*.
const (
	flagCompileOnce = 1 << iota // o
	flagDFA                     // d
	flagJIT                     // j
	flagDupNames                // D
	flagUTF8                    // u, U
	flagNoUTF8Check             // U
	flagCaseless                // i
	flagMultiline               // m
	flagDotAll                  // s
	flagExtended                // x
	flagAnchored                // a
	flagJSCompat                // J
)

// parseOpts turns the opts string into flags; bad is the offending
// character when the string holds an unknown flag.
func parseOpts(opts string) (flags int, bad byte, ok bool) {
	for i := 0; i < len(opts); i++ {
		switch opts[i] {
		case 'o':
			flags |= flagCompileOnce
		case 'j':
			flags |= flagJIT
		case 'i':
			flags |= flagCaseless
		case 's':
			flags |= flagDotAll
		case 'm':
			flags |= flagMultiline
		case 'u':
			flags |= flagUTF8
		case 'U':
			flags |= flagUTF8 | flagNoUTF8Check
		case 'x':
			flags |= flagExtended
		case 'd':
			flags |= flagDFA
		case 'a':
			flags |= flagAnchored
		case 'D':
			flags |= flagDupNames
		case 'J':
			flags |= flagJSCompat
		default:
			return 0, opts[i], false
		}
	}
	return flags, 0, true
}

// DefaultMatchLimit is PCRE's default match limit (MATCH_LIMIT), what
// lua_regex_match_limit 0 (or unset) leaves in force.
const DefaultMatchLimit = 10000000

// matchLimit bounds the steps of one match attempt (one start position) in
// regexp2's opcodes, as PCRE's match limit bounds its match() calls; past
// it ngx.re.* returns nil, "pcre_exec() failed: -8". It is a step count,
// not a time, so the outcome does not depend on the machine's load.
var matchLimit atomic.Int64

func init() { matchLimit.Store(DefaultMatchLimit) }

// SetMatchLimit sets lua_regex_match_limit for the process; n <= 0 is
// PCRE's default.
func SetMatchLimit(n int) {
	if n <= 0 {
		n = DefaultMatchLimit
	}
	matchLimit.Store(int64(n))
}

// MatchLimit reports the limit in force.
func MatchLimit() int { return int(matchLimit.Load()) }

// Regex is a compiled ngx.re pattern; immutable and shared by all VMs.
type Regex struct {
	re      *regexp2.Regexp
	ncap    int
	names   []nameEntry
	flags   int
	pattern string
	dfa     bool // d: PCRE's DFA matcher has no match limit
}

// semantic flags: the ones that change the compiled program.
const compileMask = flagUTF8 | flagNoUTF8Check | flagCaseless | flagMultiline | flagDotAll |
	flagExtended | flagAnchored | flagDupNames

// Compile translates and compiles a PCRE pattern for the given flags. The
// error string has OpenResty's wording.
func Compile(pattern string, flags int) (*Regex, string) {
	tr, terr := translate(pattern, flags&flagUTF8 != 0, flags&flagDupNames != 0,
		flags&flagExtended != 0, flags&flagMultiline != 0)
	if terr != nil {
		return nil, compileError(pattern, terr.msg, terr.at)
	}
	expr := tr.pattern
	if flags&flagAnchored != 0 {
		expr = `\G(?:` + expr + `)`
	}
	opt := regexp2.RegexOptions(regexp2.RE2)
	if flags&flagCaseless != 0 {
		opt |= regexp2.IgnoreCase
	}
	if flags&flagMultiline != 0 {
		opt |= regexp2.Multiline
	}
	if flags&flagDotAll != 0 {
		opt |= regexp2.Singleline
	}
	if flags&flagExtended != 0 {
		opt |= regexp2.IgnorePatternWhitespace
	}
	re, err := regexp2.Compile(expr, opt)
	if err != nil {
		return nil, compileError(pattern, pcreMessage(err), -1)
	}
	return &Regex{re: re, ncap: tr.ncap, names: tr.names, flags: flags & compileMask, pattern: pattern,
		dfa: flags&flagDFA != 0}, ""
}

// compileError formats like nginx's ngx_regex_compile (PCRE 8), cut to the
// 128-byte buffer lua-nginx-module uses.
func compileError(pattern, msg string, at int) string {
	var s string
	if at < 0 || at >= len(pattern) {
		s = fmt.Sprintf("pcre_compile() failed: %s in \"%s\"", msg, pattern)
	} else {
		s = fmt.Sprintf("pcre_compile() failed: %s in \"%s\" at \"%s\"", msg, pattern, pattern[at:])
	}
	if len(s) > 127 {
		s = s[:127]
	}
	return s
}

// pcreMessage maps regexp2's parse errors to PCRE's messages where the
// translator did not already catch them.
func pcreMessage(err error) string {
	if e, ok := err.(*syntax.Error); ok {
		switch e.Code {
		case syntax.ErrMissingParen:
			return "missing )"
		case syntax.ErrUnexpectedParen:
			return "unmatched parentheses"
		case syntax.ErrUnterminatedBracket:
			return "missing terminating ] for character class"
		case syntax.ErrInvalidRepeatOp, syntax.ErrMissingRepeatArgument:
			return "nothing to repeat"
		case syntax.ErrReversedCharRange, syntax.ErrInvalidCharRange:
			return "range out of order in character class"
		case syntax.ErrInvalidRepeatSize:
			return "numbers out of order in {} quantifier"
		case syntax.ErrUndefinedBackRef, syntax.ErrUndefinedNameRef:
			return "reference to non-existent subpattern"
		case syntax.ErrIllegalEndEscape:
			return `\ at end of pattern`
		case syntax.ErrUnrecognizedGrouping:
			return "unrecognized character after (? or (?-"
		}
		msg := e.Code.String()
		if len(e.Args) > 0 {
			msg = fmt.Sprintf(msg, e.Args...)
		}
		return msg
	}
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// The process-wide cache of compiled patterns, keyed by (pattern, opts).
// OpenResty caches only with the o option; caching everything gives the
// same results and spares the recompilation.

type cacheKey struct {
	pattern string
	opts    string
}

type cacheEntry struct {
	re  *Regex
	err string
}

var cache = struct {
	sync.RWMutex
	m   map[cacheKey]cacheEntry
	max int
}{m: make(map[cacheKey]cacheEntry, 64), max: 1024}

// SetCacheMaxEntries bounds the compiled-pattern cache, like
// lua_regex_cache_max_entries (0 disables caching).
func SetCacheMaxEntries(n int) {
	cache.Lock()
	cache.max = n
	for k := range cache.m {
		if len(cache.m) <= n {
			break
		}
		delete(cache.m, k)
	}
	cache.Unlock()
}

// CacheLen reports the number of cached compiled patterns.
func CacheLen() int {
	cache.RLock()
	defer cache.RUnlock()
	return len(cache.m)
}

// lookup returns the compiled pattern for (pattern, opts) with the parsed flags.
func lookup(pattern, opts string, flags int) (*Regex, string) {
	re, errs, _ := lookupFresh(pattern, opts, flags)
	return re, errs
}

// lookupLog is lookup for the Lua API: a compilation with "j" writes
// lua-nginx-module's debug line, on every call as it compiles each time,
// or on the first with "o" (its compile-once cache).
func lookupLog(vm *luabindings.VM, pattern, opts string, flags int) (*Regex, string) {
	re, errs, fresh := lookupFresh(pattern, opts, flags)
	if re != nil && flags&flagJIT != 0 && (fresh || flags&flagCompileOnce == 0) {
		vm.Log(luabindings.LogDebug, "pcre JIT compiling result: 1")
	}
	return re, errs
}

// lookupFresh is lookup that also says whether the pattern was compiled
// now (not found in the cache).
func lookupFresh(pattern, opts string, flags int) (*Regex, string, bool) {
	k := cacheKey{pattern, opts}
	cache.RLock()
	e, ok := cache.m[k]
	cache.RUnlock()
	if ok {
		return e.re, e.err, false
	}
	re, errs := Compile(pattern, flags)
	cache.Lock()
	if cache.max > 0 {
		if len(cache.m) >= cache.max {
			// evict an arbitrary entry: O(1) and good enough for a
			// working set that normally fits.
			for old := range cache.m {
				delete(cache.m, old)
				break
			}
		}
		cache.m[k] = cacheEntry{re, errs}
	}
	cache.Unlock()
	return re, errs, true
}
