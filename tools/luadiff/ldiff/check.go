package ldiff

import (
	"strings"
)

// Checker compares programs across the fork, LuaJIT and Lua 5.1.
type Checker struct {
	JIT   Engine
	Lua51 Engine // consulted on disagreements when available
}

// NewChecker uses the system interpreters.
func NewChecker() *Checker {
	return &Checker{JIT: Engine{Path: LuaJITPath}, Lua51: Engine{Path: Lua51Path}}
}

func (c *Checker) verdict(src string, fork, jit Result) Verdict {
	v := Verdict{Src: src, Fork: Normalize(fork), JIT: Normalize(jit)}
	v.Agree = Equal(v.Fork, v.JIT)
	if !v.Agree {
		v.Known = ExcusedByResults(v.Fork, v.JIT)
	}
	return v
}

func (c *Checker) opinion(v *Verdict) {
	if v.Agree || !c.Lua51.Available() {
		return
	}
	r := Normalize(c.Lua51.Run(v.Src))
	v.Lua51 = &r
}

// CheckSource runs one program on every engine.
func (c *Checker) CheckSource(src string) Verdict {
	v := c.verdict(src, RunFork(src), c.JIT.Run(src))
	c.opinion(&v)
	return v
}

// knownFeatures lists the generator features of the known failures.
func knownFeatures() []string {
	var fs []string
	for _, k := range KnownFailures {
		if k.Feature != "" {
			fs = append(fs, k.Feature)
		}
	}
	return fs
}

// CheckGenerated runs generated programs (LuaJIT in one batch). A
// disagreement in a program using a known-bug feature is excused when the
// same program generated without the known-bug features agrees; if that
// variant disagrees too, the variant is reported (it is the smaller
// witness of a new bug).
func (c *Checker) CheckGenerated(progs []Program) ([]Verdict, error) {
	srcs := make([]string, len(progs))
	for i, p := range progs {
		srcs[i] = p.Src
	}
	jits, err := c.JIT.RunBatch(srcs)
	if err != nil {
		return nil, err
	}
	vs := make([]Verdict, len(progs))
	var redo []int // disagreements in programs using known-bug features
	for i, p := range progs {
		vs[i] = c.verdict(p.Src, RunFork(p.Src), jits[i])
		if vs[i].Failing() && len(c.knownUsed(p)) > 0 {
			redo = append(redo, i)
		}
	}
	if len(redo) > 0 {
		alts := make([]string, len(redo))
		for k, i := range redo {
			alts[k] = Generate(progs[i].Seed, knownFeatures()...).Src
		}
		ajits, err := c.JIT.RunBatch(alts)
		if err != nil {
			return nil, err
		}
		for k, i := range redo {
			av := c.verdict(alts[k], RunFork(alts[k]), ajits[k])
			if av.Failing() {
				vs[i] = av
			} else {
				vs[i].Known = strings.Join(c.knownUsed(progs[i]), "+")
			}
		}
	}
	for i := range vs {
		if vs[i].Failing() {
			c.opinion(&vs[i])
		}
	}
	return vs, nil
}

func (c *Checker) knownUsed(p Program) []string {
	var used []string
	for _, k := range KnownFailures {
		if k.Feature != "" && p.Features[k.Feature] {
			used = append(used, k.Name)
		}
	}
	return used
}

// Failing reports whether v is a disagreement no known failure excuses.
func (v *Verdict) Failing() bool { return !v.Agree && v.Known == "" }

// Minimize shrinks a failing program: it drops top-level blocks, then
// single lines, as long as the fork and LuaJIT still disagree in a way no
// known failure excuses and LuaJIT's status stays the same.
func (c *Checker) Minimize(v Verdict) Verdict {
	still := func(src string) (Verdict, bool) {
		nv := c.verdict(src, RunFork(src), c.JIT.Run(src))
		return nv, nv.Failing() && nv.JIT.Status == v.JIT.Status
	}
	lines := strings.Split(strings.TrimRight(v.Src, "\n"), "\n")
	join := func(ls []string) string { return strings.Join(ls, "\n") + "\n" }
	best := v
	// blocks: runs of lines that start at a column-0 "-- " comment
	var starts []int
	for i, l := range lines {
		if strings.HasPrefix(l, "-- ") {
			starts = append(starts, i)
		}
	}
	starts = append(starts, len(lines))
	for b := len(starts) - 2; b >= 0; b-- {
		cand := append(append([]string{}, lines[:starts[b]]...), lines[starts[b+1]:]...)
		if nv, ok := still(join(cand)); ok {
			lines, best = cand, nv
			d := starts[b+1] - starts[b]
			for k := b + 1; k < len(starts); k++ {
				starts[k] -= d
			}
			starts = append(starts[:b+1], starts[b+2:]...)
		}
	}
	// single lines, until nothing more can go (bounded passes)
	for pass := 0; pass < 4; pass++ {
		changed := false
		for i := len(lines) - 1; i >= 0; i-- {
			if strings.Contains(lines[i], "if not ok then print(") {
				continue // keep the report of a block's error
			}
			cand := append(append([]string{}, lines[:i]...), lines[i+1:]...)
			if nv, ok := still(join(cand)); ok {
				lines, best, changed = cand, nv, true
			}
		}
		if !changed {
			break
		}
	}
	c.opinion(&best)
	return best
}
