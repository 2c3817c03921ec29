package ldiff

import (
	"regexp"
	"strings"
)

// Known is a category of disagreement that is a known fork bug being
// fixed elsewhere. KNOWN FAILURES: each entry is removed when the fix for
// it merges; the tester then holds the fork to LuaJIT's answer there too.
type Known struct {
	Name string
	Why  string
	// rewrites, applied to both sides, erase the known difference (error
	// texts); a disagreement that vanishes under them is this category.
	rewrites []rewrite
	// match reports a known difference that rewriting cannot express.
	match func(fork, jit Result) bool
	// Feature is the generator feature whose programs may show the bug:
	// a generated program with it is excused only when the same program
	// generated with the feature disabled agrees.
	Feature string
	// Corpus lists corpus files (relative to the corpus directory) that
	// show the bug.
	Corpus []string
}

type rewrite struct {
	re   *regexp.Regexp
	repl string
}

// KnownFailures is the list of known differences from LuaJIT that the
// fork does not fix yet. Empty an entry when its fix merges.
var KnownFailures = []Known{
	{
		// pcall, xpcall and generic-for iterators run as frames of a
		// coroutine's own VM loop and yield as in LuaJIT; metamethods
		// (__index, __add, ...) still run as nested Go calls and raise
		// LuaJIT's "attempt to yield across C-call boundary" (as Lua 5.1
		// does) where LuaJIT yields. The generator makes no such program;
		// only this corpus file shows it.
		Name:   "yield-across-metamethod",
		Why:    "coroutine.yield inside a metamethod raises instead of yielding",
		Corpus: []string{"yield_across_metamethod.lua"},
	},
}

func (k *Known) apply(r Result) Result {
	for _, w := range k.rewrites {
		r.Out = w.re.ReplaceAllString(r.Out, w.repl)
		r.Err = w.re.ReplaceAllString(r.Err, w.repl)
	}
	return r
}

// ExcusedByResults returns the name of the known category that explains
// the disagreement from the results alone, or "". All result-pattern
// categories are applied together, so a program showing two known text
// differences is still excused, and nothing else is.
func ExcusedByResults(fork, jit Result) string {
	var names []string
	f, j := fork, jit
	for i := range KnownFailures {
		k := &KnownFailures[i]
		if k.match != nil && k.match(f, j) {
			return k.Name
		}
		if len(k.rewrites) > 0 {
			f2, j2 := k.apply(f), k.apply(j)
			if f2 != f || j2 != j {
				names = append(names, k.Name)
			}
			f, j = f2, j2
		}
	}
	if len(names) > 0 && Equal(f, j) {
		return strings.Join(names, "+")
	}
	return ""
}

// KnownForCorpus returns the known category listing a corpus file, or nil.
func KnownForCorpus(name string) *Known {
	for i := range KnownFailures {
		for _, c := range KnownFailures[i].Corpus {
			if c == name {
				return &KnownFailures[i]
			}
		}
	}
	return nil
}

// Verdict is the comparison of one program.
type Verdict struct {
	Src   string
	Fork  Result
	JIT   Result
	Lua51 *Result // nil when Lua 5.1 was not run
	Agree bool
	Known string // the known-failure category excusing a disagreement
}

// Opinion says how Lua 5.1 sides on a disagreement.
func (v *Verdict) Opinion() string {
	if v.Lua51 == nil {
		return "lua5.1 not run"
	}
	switch {
	case Equal(*v.Lua51, v.JIT) && Equal(*v.Lua51, v.Fork):
		return "lua5.1 agrees with both"
	case Equal(*v.Lua51, v.JIT):
		return "lua5.1 agrees with luajit"
	case Equal(*v.Lua51, v.Fork):
		return "lua5.1 agrees with the fork (luajit is preferred)"
	}
	return "lua5.1 differs from both"
}

// Report is a human-readable account of a disagreement.
func (v *Verdict) Report() string {
	var b strings.Builder
	b.WriteString("---- program ----\n")
	b.WriteString(v.Src)
	if !strings.HasSuffix(v.Src, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString("---- fork ----\n" + v.Fork.String())
	b.WriteString("---- luajit ----\n" + v.JIT.String())
	if v.Lua51 != nil {
		b.WriteString("---- lua5.1 (" + v.Opinion() + ") ----\n" + v.Lua51.String())
	}
	return b.String()
}
