package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goresty/goresty/tools/luadiff/ldiff"
)

// generated is how many generated programs the test compares
// (LUADIFF_N overrides it; the long run is `go run ./tools/luadiff`).
const generated = 2000

func checker(t *testing.T) *ldiff.Checker {
	c := ldiff.NewChecker()
	if !c.JIT.Available() {
		t.Skipf("%s not found: install OpenResty's LuaJIT with `apt-get install luajit2` (never Debian's luajit package)", c.JIT.Path)
	}
	return c
}

// TestCorpus compares every hand-written program and regression case.
func TestCorpus(t *testing.T) {
	c := checker(t)
	files, _ := filepath.Glob("corpus/*.lua")
	regress, _ := filepath.Glob("corpus/regress/*.lua")
	files = append(files, regress...)
	if len(files) == 0 {
		t.Fatal("no corpus")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(f, "corpus/")
		v := c.CheckSource(string(src))
		k := ldiff.KnownForCorpus(name)
		switch {
		case v.Agree && k != nil:
			t.Logf("%s agrees now: remove it from known failure %q", name, k.Name)
		case v.Agree:
		case v.Known != "":
			t.Logf("%s: known failure %s", name, v.Known)
		case k != nil:
			t.Logf("%s: known failure %s (%s)", name, k.Name, k.Why)
		default:
			t.Errorf("%s: the fork and LuaJIT disagree\n%s", name, v.Report())
		}
	}
}

// TestGenerated compares a fixed range of generated programs.
func TestGenerated(t *testing.T) {
	c := checker(t)
	n := generated
	if s := os.Getenv("LUADIFF_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n /= 10
	}
	known := map[string]int{}
	const batch = 500
	for lo := 0; lo < n; lo += batch {
		progs := make([]ldiff.Program, 0, batch)
		for s := lo; s < min(lo+batch, n); s++ {
			progs = append(progs, ldiff.Generate(int64(s)))
		}
		vs, err := c.CheckGenerated(progs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range vs {
			if vs[i].Known != "" {
				known[vs[i].Known]++
			}
			if vs[i].Failing() {
				t.Errorf("generated program %d: the fork and LuaJIT disagree (go run ./tools/luadiff -show %d)\n%s",
					progs[i].Seed, progs[i].Seed, vs[i].Report())
			}
		}
	}
	t.Logf("%d generated programs; excused by known failures: %v", n, known)
}

// TestGeneratorDeterministic: a seed always gives the same program, and
// disabling a feature changes only the spelling of that construct.
func TestGeneratorDeterministic(t *testing.T) {
	for s := int64(0); s < 200; s++ {
		a, b := ldiff.Generate(s), ldiff.Generate(s)
		if a.Src != b.Src {
			t.Fatalf("seed %d: two different programs", s)
		}
		alt := ldiff.Generate(s, ldiff.FeatMultiAssign, ldiff.FeatNextIter, ldiff.FeatYieldPcall)
		if alt.Features[ldiff.FeatMultiAssign] || alt.Features[ldiff.FeatNextIter] {
			t.Fatalf("seed %d: disabled feature used", s)
		}
		if len(a.Features) == 0 && alt.Src != a.Src {
			t.Fatalf("seed %d: variant differs without known features", s)
		}
	}
}

// TestNormalize: only addresses are normalized.
func TestNormalize(t *testing.T) {
	r := ldiff.Normalize(ldiff.Result{Out: "table: 0x7f00aa\tfunction: builtin#29\tfunction: 0xc000123456 table: 12"})
	if r.Out != "table: ADDR\tfunction: ADDR\tfunction: ADDR table: 12" {
		t.Fatalf("got %q", r.Out)
	}
}
