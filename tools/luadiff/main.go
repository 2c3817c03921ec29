// Command luadiff compares goresty's gopher-lua fork with OpenResty's
// LuaJIT on generated and hand-written Lua programs.
//
//	go run ./tools/luadiff -n 1000000 -seed 1 -duration 30m -out /tmp/luadiff
//	go run ./tools/luadiff file.lua ...     compare the given programs
//	go run ./tools/luadiff -show 42          print generated program 42
//
// A long run writes each disagreement, minimized, to the -out directory
// as seed-N.lua, ready to move into tools/luadiff/corpus/regress/.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/tools/luadiff/ldiff"
)

func main() {
	n := flag.Int64("n", 1000, "number of generated programs")
	seed := flag.Int64("seed", 1, "first seed (program i uses seed+i)")
	duration := flag.Duration("duration", 0, "stop after this long (0: no limit)")
	out := flag.String("out", "luadiff-found", "directory for disagreements")
	batch := flag.Int("batch", 250, "programs per LuaJIT process")
	jobs := flag.Int("j", 1, "parallel batches")
	maxFail := flag.Int("max-fail", 100, "stop after this many disagreements")
	show := flag.Int64("show", -1, "print the program for this seed and exit")
	flag.Parse()

	if *show >= 0 {
		fmt.Print(ldiff.Generate(*show).Src)
		return
	}
	c := ldiff.NewChecker()
	if !c.JIT.Available() {
		fmt.Fprintf(os.Stderr, "luadiff: %s not found; install Debian's luajit2 package (apt-get install luajit2; never the luajit package)\n", c.JIT.Path)
		os.Exit(2)
	}
	if flag.NArg() > 0 {
		bad := 0
		for _, f := range flag.Args() {
			src, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			v := c.CheckSource(string(src))
			switch {
			case v.Agree:
				fmt.Printf("%s: agree\n", f)
			case v.Known != "":
				fmt.Printf("%s: known failure (%s)\n%s", f, v.Known, v.Report())
			default:
				bad++
				fmt.Printf("%s: DISAGREE\n%s", f, v.Report())
			}
		}
		if bad > 0 {
			os.Exit(1)
		}
		return
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := time.Now()
	var mu sync.Mutex
	var ran, known, failed int64
	next := *seed
	end := *seed + *n
	stop := func() bool {
		return next >= end || (*duration > 0 && time.Since(start) >= *duration) || failed >= int64(*maxFail)
	}
	take := func() (int64, int64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stop() {
			return 0, 0, false
		}
		lo := next
		hi := min(lo+int64(*batch), end)
		next = hi
		return lo, hi, true
	}
	lastReport := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo, hi, ok := take()
				if !ok {
					return
				}
				progs := make([]ldiff.Program, 0, hi-lo)
				for s := lo; s < hi; s++ {
					progs = append(progs, ldiff.Generate(s))
				}
				vs, err := c.CheckGenerated(progs)
				if err != nil {
					fmt.Fprintln(os.Stderr, "luadiff:", err)
					os.Exit(2)
				}
				for i, v := range vs {
					mu.Lock()
					ran++
					if v.Known != "" {
						known++
					}
					mu.Unlock()
					if !v.Failing() {
						continue
					}
					m := c.Minimize(v)
					name := filepath.Join(*out, fmt.Sprintf("seed-%d.lua", progs[i].Seed))
					writeCase(name, progs[i].Seed, m)
					mu.Lock()
					failed++
					mu.Unlock()
					fmt.Printf("seed %d: DISAGREE -> %s\n", progs[i].Seed, name)
				}
				mu.Lock()
				if time.Since(lastReport) > time.Minute {
					lastReport = time.Now()
					fmt.Printf("%s: %d programs, %d known failures, %d disagreements\n",
						time.Since(start).Round(time.Second), ran, known, failed)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("luadiff: seeds %d..%d: %d programs in %s, %d excused by known failures, %d disagreements (in %s)\n",
		*seed, next-1, ran, time.Since(start).Round(time.Second), known, failed, *out)
	if failed > 0 {
		os.Exit(1)
	}
}

// writeCase writes a minimized disagreement as a corpus-ready program
// with the engines' answers in a comment.
func writeCase(name string, seed int64, v ldiff.Verdict) {
	var b strings.Builder
	fmt.Fprintf(&b, "-- luadiff: generated program %d, minimized\n", seed)
	for _, l := range strings.Split(strings.TrimRight(v.Report(), "\n"), "\n") {
		b.WriteString("-- " + l + "\n")
	}
	b.WriteString(v.Src)
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
