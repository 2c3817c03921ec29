package ldiff

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
)

// Generator features that a known fork bug affects (see KnownFailures).
// A program generated with a feature disabled draws the same random
// numbers and computes the same values, written without the construct.
const (
	FeatMultiAssign = "multiassign" // multiple assignment whose targets appear on the right
	FeatNextIter    = "nextiter"    // for k, v in next, t
	FeatYieldPcall  = "yieldpcall"  // coroutine.yield inside pcall (agrees since the fork yields across pcall)
)

// Program is one generated program.
type Program struct {
	Seed     int64
	Src      string
	Features map[string]bool // features the program uses
}

// Generate makes the program for seed. Every program it makes is
// deterministic and defined in Lua 5.1 (no reliance on pairs order, no
// # on arrays with holes, no addresses printed, no unstable sort ties),
// small, and finishes in milliseconds.
func Generate(seed int64, disabled ...string) Program {
	g := &gen{r: rand.New(rand.NewSource(seed)), feats: map[string]bool{}, off: map[string]bool{}}
	for _, d := range disabled {
		g.off[d] = true
	}
	n := 3 + g.r.Intn(5)
	for i := 0; i < n; i++ {
		area := areas[g.r.Intn(len(areas))]
		protect := g.r.Intn(8) != 0 || i < n-1 && g.r.Intn(2) == 0
		g.line("-- %s", area.name)
		if protect {
			g.line("do")
			g.ind++
			g.line("local ok, e = pcall(function()")
			g.ind++
			area.fn(g)
			g.ind--
			g.line("end)")
			g.line("if not ok then print(%q, e) end", "E"+strconv.Itoa(i))
			g.ind--
			g.line("end")
		} else {
			g.line("do")
			g.ind++
			area.fn(g)
			g.ind--
			g.line("end")
		}
	}
	return Program{Seed: seed, Src: g.b.String(), Features: g.feats}
}

type gen struct {
	r     *rand.Rand
	b     strings.Builder
	ind   int
	feats map[string]bool
	off   map[string]bool
	tmp   int
}

// use reports whether feature f may be written, recording its use.
func (g *gen) use(f string) bool {
	if g.off[f] {
		return false
	}
	g.feats[f] = true
	return true
}

func (g *gen) line(format string, args ...any) {
	g.b.WriteString(strings.Repeat("  ", g.ind))
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteByte('\n')
}

func (g *gen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }
func (g *gen) intn(lo, hi int) int      { return lo + g.r.Intn(hi-lo+1) }
func (g *gen) fresh(p string) string    { g.tmp++; return p + strconv.Itoa(g.tmp) }

// num is an interesting number literal (as Lua source).
func (g *gen) num() string {
	return g.pick("0", "1", "2", "3", "7", "10", "-1", "-7", "100", "255", "1000", "12345", "-32768",
		"2147483648", "4294967296", "2^53", "1e15", "0.5", "-0.5", "0.1", "1/3", "2.5", "3.5", "-2.5",
		"1e-3", "1e100", "-0.0", "123.456", "0.1+0.2", "1e15+0.5", "-123456789", "65", "97", "3.0", "1e308*10",
		"-1e308*10", "0/0")
}

// smallInt is an integer literal from a small range.
func (g *gen) smallInt() string { return strconv.Itoa(g.intn(-9, 20)) }

// finite is a finite number literal.
func (g *gen) finite() string {
	for {
		n := g.num()
		if !strings.Contains(n, "1e308") && n != "0/0" {
			return n
		}
	}
}

// luaQuote writes s as a Lua string literal.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c < 32 || c >= 127:
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

type area struct {
	name string
	fn   func(*gen)
}

var areas []area

func init() {
	areas = []area{
		{"multiple assignment", (*gen).multiAssign},
		{"closures in loops", (*gen).closures},
		{"varargs", (*gen).varargs},
		{"numeric for", (*gen).numericFor},
		{"number formatting", (*gen).numberFormat},
		{"patterns", (*gen).patterns},
		{"string library", (*gen).stringLib},
		{"table library", (*gen).tableLib},
		{"metatables", (*gen).metatables},
		{"coroutines", (*gen).coroutines},
		{"pcall and error", (*gen).errors},
		{"coercion", (*gen).coercion},
		{"math", (*gen).mathLib},
		{"iteration", (*gen).iteration},
		{"recursion", (*gen).recursion},
	}
}

// ---- multiple assignment ----

// target is an assignable expression: a name, or obj[key].
type target struct{ obj, key string }

func (t target) String() string {
	if t.obj == "" {
		return t.key
	}
	return t.obj + "[" + t.key + "]"
}

// assign writes targets = rhs. With the multiassign feature it is one
// Lua multiple assignment; without it the same semantics spelled out: the
// targets' table and key expressions, then every right-hand value, are
// evaluated into fresh locals first, then assigned one by one.
func (g *gen) assign(ts []target, rhs []string) {
	if g.use(FeatMultiAssign) {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = t.String()
		}
		g.line("%s = %s", strings.Join(names, ", "), strings.Join(rhs, ", "))
		return
	}
	g.line("do")
	g.ind++
	lhs := make([]string, len(ts))
	for i, t := range ts {
		if t.obj == "" {
			lhs[i] = t.key
			continue
		}
		o, k := g.fresh("o"), g.fresh("k")
		g.line("local %s = %s", o, t.obj)
		g.line("local %s = %s", k, t.key)
		lhs[i] = o + "[" + k + "]"
	}
	vals := make([]string, len(ts))
	for i := range ts {
		vals[i] = g.fresh("v")
	}
	if len(rhs) > 0 {
		g.line("local %s = %s", strings.Join(vals, ", "), strings.Join(rhs, ", "))
	} else {
		g.line("local %s", strings.Join(vals, ", "))
	}
	for i := len(ts) - 1; i >= 0; i-- {
		// Lua 5.1 assigns right to left; with distinct targets the
		// order is unobservable, and the generator keeps them distinct
		g.line("%s = %s", lhs[i], vals[i])
	}
	g.ind--
	g.line("end")
}

func (g *gen) multiAssign() {
	kind := g.r.Intn(3) // locals, globals, upvalues
	a, b, c := "a", "b", "c"
	switch kind {
	case 0:
		g.line("local a, b, c = %s, %s, %s", g.smallInt(), g.smallInt(), g.smallInt())
	case 1:
		a, b, c = "ga", "gb", "gc"
		g.line("ga, gb, gc = nil, nil, nil")
		g.line("ga = %s; gb = %s; gc = %s", g.smallInt(), g.smallInt(), g.smallInt())
	case 2:
		g.line("local a, b, c = %s, %s, %s", g.smallInt(), g.smallInt(), g.smallInt())
		g.line("local function step()")
		g.ind++
	}
	T := func(n string) target { return target{key: n} }
	steps := g.intn(1, 5)
	for i := 0; i < steps; i++ {
		switch g.r.Intn(8) {
		case 0:
			g.assign([]target{T(a), T(b)}, []string{b, a})
		case 1:
			g.assign([]target{T(a), T(b), T(c)}, []string{c, a, b})
		case 2:
			g.assign([]target{T(a), T(b)}, []string{b, a + " + " + b})
		case 3:
			g.assign([]target{T(a), T(b)}, []string{b, g.pick(a+" % "+b, a+" - "+b, a+" * 2")})
		case 4:
			g.assign([]target{T(c), T(a)}, []string{a + " .. ''", c})
			g.line("%s = tonumber(%s)", c, c)
		case 5:
			g.assign([]target{T(a), T(b), T(c)}, []string{b})
			g.assign([]target{T(a), T(b), T(c)}, []string{a + " or 1", b + " or 2", c + " or 3"})
		case 6:
			g.line("local function two() return %s + 1, %s - 1 end", b, a)
			g.assign([]target{T(a), T(b)}, []string{"two()"})
		case 7:
			g.assign([]target{T(a), T(b)}, []string{b, a, c})
		}
	}
	if kind == 2 {
		g.ind--
		g.line("end")
		for i, n := 0, g.intn(1, 3); i < n; i++ {
			g.line("step()")
		}
	}
	g.line("print(%s, %s, %s)", a, b, c)
	switch g.r.Intn(3) {
	case 0:
		g.line("local t, i = {1, 2, 3, 4, 5}, %d", g.intn(1, 3))
		if g.r.Intn(2) == 0 {
			g.assign([]target{T("i"), {"t", "i"}}, []string{"i + 1", g.smallInt()})
		} else {
			g.assign([]target{{"t", "i"}, T("i")}, []string{"i + 1", g.smallInt()})
		}
		g.line("print(i, t[1], t[2], t[3], t[4])")
	case 1:
		g.line("local n3 = {val = 3}")
		g.line("local n2 = {val = 2, next = n3}")
		g.line("local cur = {val = 1, next = n2}")
		g.assign([]target{T("cur"), {"cur", `"val"`}}, []string{"cur.next", g.smallInt()})
		g.line("print(cur.val, n2.val, n3.val)")
	case 2:
		g.line("local x, y = 0, 1")
		g.line("for i = 1, %d do", g.intn(1, 12))
		g.ind++
		g.assign([]target{T("x"), T("y")}, []string{"y", "x + y"})
		g.ind--
		g.line("end")
		g.line("local m, n = %d, %d", g.intn(1, 500), g.intn(1, 500))
		g.line("while n ~= 0 do")
		g.ind++
		g.assign([]target{T("m"), T("n")}, []string{"n", "m % n"})
		g.ind--
		g.line("end")
		g.line("print(x, y, m, n)")
	}
}

// ---- closures and upvalues in loops ----

func (g *gen) closures() {
	n := g.intn(1, 5)
	switch g.r.Intn(4) {
	case 0:
		g.line("local fs = {}")
		g.line("for i = 1, %d do", n)
		g.line("  local j = i * %s", g.smallInt())
		g.line("  fs[i] = function(x) j = j + x; return i + j end")
		g.line("end")
		for k := 0; k < 4; k++ {
			g.line("print(fs[%d](%s))", g.intn(1, n), g.smallInt())
		}
	case 1:
		g.line("local gs, k = {}, 0")
		g.line("while k < %d do", n)
		g.line("  k = k + 1")
		g.line("  local m = k * 10")
		g.line("  gs[k] = function() m = m + 1; return m end")
		g.line("end")
		g.line("print(gs[1](), gs[1](), gs[%d](), k)", n)
	case 2:
		g.line("local function counter(start)")
		g.line("  local c = start")
		g.line("  return function(d) c = c + (d or 1); return c end, function() return c end")
		g.line("end")
		g.line("local inc, get = counter(%s)", g.smallInt())
		g.line("local inc2, get2 = counter(%s)", g.smallInt())
		for k := g.intn(1, 4); k > 0; k-- {
			g.line("inc(%s)", g.pick("", g.smallInt()))
		}
		g.line("inc2()")
		g.line("print(get(), get2())")
	case 3:
		g.line("local acc = {}")
		g.line("for _, w in ipairs({%s, %s, %s}) do", luaQuote(g.word()), luaQuote(g.word()), luaQuote(g.word()))
		g.line("  local n = 0")
		g.line("  repeat")
		g.line("    n = n + 1")
		g.line("    local v = w .. n")
		g.line("    acc[#acc + 1] = function() return v end")
		g.line("  until n >= %d", n)
		g.line("end")
		g.line("local out = {}")
		g.line("for i = 1, #acc do out[i] = acc[i]() end")
		g.line("print(table.concat(out, \",\"))")
	}
}

func (g *gen) word() string {
	ws := []string{"a", "ab", "x", "hello", "k1", "Z", "", "foo bar", "1", "2.5", "0x10", " 7 "}
	return ws[g.r.Intn(len(ws))]
}

// ---- varargs ----

func (g *gen) argList() string {
	n := g.intn(0, 5)
	xs := make([]string, n)
	for i := range xs {
		xs[i] = g.pick("nil", "nil", g.smallInt(), luaQuote(g.word()), "false", "true")
	}
	return strings.Join(xs, ", ")
}

func (g *gen) varargs() {
	g.line("local function count(...) return select('#', ...) end")
	g.line("local function pass(...) return ... end")
	g.line("local function pack(...) return {n = select('#', ...), ...} end")
	for k := g.intn(2, 5); k > 0; k-- {
		args := g.argList()
		switch g.r.Intn(8) {
		case 0:
			g.line("print(count(%s))", args)
		case 1:
			g.line("print(pass(%s))", args)
		case 2:
			g.line("print(count(pass(%s)), count((pass(%s))))", args, args)
		case 3:
			g.line("do local p = pack(%s); local o = {} for i = 1, p.n do o[i] = tostring(p[i]) end print(p.n, table.concat(o, \"|\")) end", args)
		case 4:
			g.line("print(pcall(select, %d, %s))", g.intn(-3, 4), args)
		case 5:
			g.line("print(count(pass(%s), nil), count(nil, pass(%s)))", args, args)
		case 6:
			g.line("do local a, b, c = pass(%s); print(a, b, c) end", args)
		case 7:
			g.line("print(unpack({%s}, 1, %d))", args, g.intn(0, 5))
		}
	}
}

// ---- numeric for ----

func (g *gen) numericFor() {
	type loop struct{ start, limit, step string }
	vals := map[string]float64{}
	eval := func(s string) float64 {
		if v, ok := vals[s]; ok {
			return v
		}
		panic("no value for " + s)
	}
	add := func(s string, v float64) string { vals[s] = v; return s }
	starts := []string{add("1", 1), add("0", 0), add("-5", -5), add("10", 10), add("0.5", 0.5), add("2^53 - 3", 9007199254740989),
		add("1e15", 1e15), add("-1e15", -1e15), add("0.1", 0.1), add("1/3", 1.0/3), add("-0.0", math.Copysign(0, -1)), add(`"2"`, 2)}
	limits := []string{add("5", 5), add("1", 1), add("-5", -5), add("0", 0), add("2^53", 9007199254740992), add("1e15 + 3", 1e15+3),
		add("1", 1), add("3.3", 3.3), add("-1e15 + 1e15 * 0.5", -1e15+1e15*0.5), add("0/0", math.NaN()), add("1e308 * 10", math.Inf(1)),
		add("-(1e308 * 10)", math.Inf(-1)), add(`"4"`, 4)}
	steps := []string{add("1", 1), add("-1", -1), add("0.1", 0.1), add("0.25", 0.25), add("-0.5", -0.5), add("2", 2), add("1/3", 1.0/3),
		add("-2.5", -2.5), add("1e14", 1e14), add("-1e14", -1e14), add("3", 3), add("0.3", 0.3)}
	for k := g.intn(1, 4); k > 0; k-- {
		var l loop
		for {
			l = loop{starts[g.r.Intn(len(starts))], limits[g.r.Intn(len(limits))], steps[g.r.Intn(len(steps))]}
			if g.r.Intn(4) == 0 {
				l.step = ""
			}
			st := 1.0
			if l.step != "" {
				st = eval(l.step)
			}
			// simulate Lua 5.1's loop to bound the trip count
			idx, lim, trips := eval(l.start), eval(l.limit), 0
			for (st > 0 && idx <= lim) || (st <= 0 && idx >= lim) {
				idx += st
				trips++
				if trips > 40 {
					break
				}
			}
			if trips <= 40 {
				break
			}
		}
		step := ""
		if l.step != "" {
			step = ", " + l.step
		}
		g.line("for i = %s, %s%s do io.write(i, \" \") end print()", l.start, l.limit, step)
	}
	if g.r.Intn(3) == 0 {
		g.line("print(pcall(function() for i = 1, %s do end end))", g.pick("nil", "{}", `"x"`, `"0x3"`))
	}
	if g.r.Intn(3) == 0 {
		g.line("local n = 0")
		g.line("for i = %d, %d, %d do", g.intn(-3, 3), g.intn(-3, 6), g.pick1(-2, -1, 1, 2))
		g.line("  for j = i, 1, -1 do n = n + j end")
		g.line("end")
		g.line("print(n)")
	}
}

func (g *gen) pick1(xs ...int) int { return xs[g.r.Intn(len(xs))] }

// ---- number formatting ----

func (g *gen) numberFormat() {
	for k := g.intn(2, 6); k > 0; k-- {
		switch g.r.Intn(5) {
		case 0:
			n := g.num()
			g.line("do local n = %s; print(n, tostring(n), n .. \"\", -n) end", n)
		case 1:
			spec := g.pick("%g", "%.3g", "%.14g", "%10.4f", "%5.2f", "%-8.3f|", "%e", "%.0f", "%.1f", "%+.2e", "%G", "%s", "%012.3f", "% g", "%.20g", "%#x")
			n := g.num()
			if spec == "%#x" {
				n = strconv.Itoa(g.intn(0, 99999))
			}
			g.line("print(string.format(%q, %s))", spec, n)
		case 2:
			spec := g.pick("%d", "%5d", "%-5d|", "%05d", "%x", "%X", "%o", "%i", "%+d", "%.3d", "%u")
			var n string
			for {
				n = g.finite()
				if !strings.Contains(n, "1e100") && !strings.Contains(n, "1e15+0.5") {
					break
				}
			}
			if strings.ContainsAny(spec, "xXou") && g.r.Intn(2) == 0 {
				n = strconv.Itoa(g.intn(-300, 70000))
			}
			g.line("print(string.format(%q, %s))", spec, n)
		case 3:
			g.line("print(string.format(\"%%c%%c%%c\", %d, %d, %d))", g.intn(32, 126), g.intn(32, 126), g.intn(0, 255))
		case 4:
			g.line("print(string.format(%q, %s, %s))", g.pick("%s|%s", "%5s|%-5s|", "%.2s%q", "%q %q", "%3.1s[%s]"),
				g.pick(luaQuote(g.word()), g.num(), "nil", "true", `"a\0b\n\r\"\\"`), luaQuote(g.word()))
		}
	}
}

// ---- patterns ----

const subjAlphabet = "aab c(d)e[f]1 23.-%_xyZ\n^$"

func (g *gen) subject() string {
	n := g.intn(0, 16)
	b := make([]byte, n)
	for i := range b {
		b[i] = subjAlphabet[g.r.Intn(len(subjAlphabet))]
	}
	return string(b)
}

// patItem is one single-character class.
func (g *gen) patItem() string {
	switch g.r.Intn(6) {
	case 0, 1:
		c := subjAlphabet[g.r.Intn(len(subjAlphabet))]
		if strings.IndexByte("^$()%.[]*+-?", c) >= 0 {
			return "%" + string(c)
		}
		return string(c)
	case 2:
		return "."
	case 3:
		return g.pick("%a", "%d", "%s", "%w", "%p", "%l", "%u", "%x", "%c", "%A", "%D", "%S", "%W")
	default:
		return g.pick("[abc]", "[a-c]", "[^%s]", "[%d.]", "[^a-z]", "[%(%)]", "[]]", "[^]]", "[a-]", "[%a_]")
	}
}

func (g *gen) pattern() string {
	var b strings.Builder
	if g.r.Intn(4) == 0 {
		b.WriteByte('^')
	}
	caps, open, lazy := 0, 0, 0
	n := g.intn(1, 5)
	for i := 0; i < n; i++ {
		switch g.r.Intn(12) {
		case 0:
			if open < 2 {
				b.WriteByte('(')
				open++
				caps++
			}
		case 1:
			if open > 0 {
				b.WriteByte(')')
				open--
			}
		case 2:
			if open == 0 && caps < 3 {
				b.WriteString("()")
				caps++
			}
		case 3:
			b.WriteString(g.pick("%b()", "%b[]", "%bab"))
		case 4:
			b.WriteString(g.pick("%f[%w]", "%f[%W]", "%f[%a]", "%f[%s]", "%f[%z]"))
		case 5:
			if caps > open && g.r.Intn(2) == 0 {
				b.WriteString("%1")
			} else {
				b.WriteString(g.patItem())
			}
		default:
			b.WriteString(g.patItem())
			q := g.pick("", "", "*", "+", "-", "?")
			if (q == "*" || q == "+" || q == "-") && lazy >= 3 {
				q = "?"
			}
			if q == "*" || q == "+" || q == "-" {
				lazy++
			}
			b.WriteString(q)
		}
	}
	for ; open > 0; open-- {
		b.WriteByte(')')
	}
	if g.r.Intn(4) == 0 {
		b.WriteByte('$')
	}
	return b.String()
}

func (g *gen) patterns() {
	for k := g.intn(2, 5); k > 0; k-- {
		s, p := luaQuote(g.subject()), luaQuote(g.pattern())
		if g.r.Intn(4) == 0 {
			// a subject that the pattern's own text can match
			s = luaQuote(g.subject() + strings.Trim(p, `"^$`) + g.subject())
		}
		switch g.r.Intn(7) {
		case 0:
			g.line("print(string.find(%s, %s))", s, p)
		case 1:
			g.line("print(string.find(%s, %s, %d))", s, p, g.intn(-6, 18))
		case 2:
			g.line("print(string.match(%s, %s%s))", s, p, g.pick("", ", "+strconv.Itoa(g.intn(-4, 10))))
		case 3:
			g.line("do local n = 0 for a, b in string.gmatch(%s, %s) do n = n + 1; if n > 50 then break end io.write(tostring(a), \"|\", tostring(b), \";\") end print(n) end", s, p)
		case 4:
			repl := g.pick(`"<%0>"`, `"%1-%1"`, `"%%"`, `"x"`, `""`, `"%2"`, `"[%1]"`)
			g.line("print(string.gsub(%s, %s, %s%s))", s, p, repl, g.pick("", ", "+strconv.Itoa(g.intn(-1, 3))))
		case 5:
			g.line("print(string.gsub(%s, %s, {a = \"A\", [\"1\"] = 1, b = false, c = \"%%1\", [\" \"] = \"_\"}))", s, p)
		case 6:
			g.line("print(string.gsub(%s, %s, function(x, y) if x == \"a\" then return nil elseif x == \"b\" then return false elseif x == \"1\" then return 9.5 end return \"<\" .. tostring(x) .. tostring(y) .. \">\" end))", s, p)
		}
	}
	if g.r.Intn(2) == 0 {
		g.line("print(string.find(%s, %s, %d, true))", luaQuote(g.subject()), luaQuote(g.pick("(", ".", "%", "a.", "[", "^a", "$", "")), g.intn(-3, 5))
	}
}

// ---- string library ----

func (g *gen) stringLib() {
	s := luaQuote(g.subject())
	for k := g.intn(2, 6); k > 0; k-- {
		i, j := g.intn(-20, 20), g.intn(-20, 20)
		switch g.r.Intn(9) {
		case 0:
			g.line("print(string.sub(%s, %d, %d), (%s):sub(%d))", s, i, j, s, i)
		case 1:
			g.line("print(string.byte(%s, %d, %d))", s, i, j)
		case 2:
			g.line("print(string.rep(%s, %d%s))", luaQuote(g.word()), g.intn(-1, 4), g.pick("", `, ","`, `, ""`))
		case 3:
			g.line("print(string.char(%d, %d, %d), pcall(string.char, %d))", g.intn(0, 255), g.intn(0, 255), g.intn(32, 126), g.intn(-2, 258))
		case 4:
			g.line("print(string.upper(%s), string.lower(%s), string.len(%s), #%s, string.reverse(%s))", s, s, s, s, s)
		case 5:
			t := luaQuote(g.subject())
			g.line("print(%s < %s, %s <= %s, %s == %s, %s .. %s)", s, t, s, t, s, t, s, t)
		case 6:
			g.line("print(string.format(\"%%q\", %s))", s)
		case 7:
			g.line("print(tostring(%s), (\"x\"):rep(3), (%s):len(), (\"%%d\"):format(%d))", s, s, i)
		case 8:
			g.line("print(pcall(string.sub), pcall(string.rep, \"x\"), pcall(string.byte, nil))")
		}
	}
}

// ---- table library ----

func (g *gen) numArray(n int) string {
	xs := make([]string, n)
	for i := range xs {
		xs[i] = strconv.Itoa(g.intn(-50, 50))
	}
	return strings.Join(xs, ", ")
}

func (g *gen) tableLib() {
	n := g.intn(0, 10)
	g.line("local t = {%s}", g.numArray(n))
	for k := g.intn(2, 6); k > 0; k-- {
		switch g.r.Intn(10) {
		case 0:
			g.line("table.sort(t)")
		case 1:
			g.line("table.sort(t, function(a, b) return a > b end)")
		case 2:
			g.line("table.insert(t, %d)", g.intn(-9, 9))
			n++
		case 3:
			g.line("table.insert(t, %d, %d)", g.intn(1, n+1), g.intn(-9, 9))
			n++
		case 4:
			if n > 0 {
				g.line("print(table.remove(t, %d))", g.intn(1, n))
				n--
			} else {
				g.line("print(table.remove(t), #t)")
			}
		case 5:
			g.line("print(table.remove(t))")
			if n > 0 {
				n--
			}
		case 6:
			g.line("print(table.concat(t, %s, %d, %d))", g.pick(`","`, `""`, `", "`, "1"), g.intn(1, 3), g.intn(0, n+1))
		case 7:
			g.line("print(#t, table.maxn(t), unpack(t, 1, 3))")
		case 8:
			g.line("local w = {%s, %s, %s, %s}", luaQuote(g.word()), luaQuote(g.word()), luaQuote(g.word()), luaQuote(g.word()))
			g.line("table.sort(w%s) print(table.concat(w, \"|\"))", g.pick("", ", function(a, b) return #a < #b or #a == #b and a < b end"))
		case 9:
			g.line("local recs = {}")
			g.line("for i = 1, %d do recs[i] = {k = (i * %d) %% 5, v = i} end", g.intn(1, 9), g.intn(1, 7))
			g.line("table.sort(recs, function(a, b) if a.k ~= b.k then return a.k < b.k end return a.v > b.v end)")
			g.line("for i = 1, #recs do io.write(recs[i].k, \":\", recs[i].v, \" \") end print()")
		}
	}
	g.line("print(table.concat(t, \",\"))")
	if g.r.Intn(3) == 0 {
		g.line("print(pcall(table.concat, {1, {}, 3}), pcall(table.sort, {3, \"a\", 1}))")
	}
}

// ---- metatables ----

func (g *gen) metatables() {
	g.line("local log = {}")
	g.line("local function L(...) local p = {...} for i = 1, select('#', ...) do p[i] = tostring(p[i]) end log[#log + 1] = table.concat(p, \" \") end")
	for k := g.intn(2, 4); k > 0; k-- {
		switch g.r.Intn(9) {
		case 0:
			g.line("local base = {x = %s, f = function(self, a) return self.x + a end}", g.smallInt())
			g.line("base.__index = base")
			g.line("local mid = setmetatable({y = %s}, base)", g.smallInt())
			g.line("mid.__index = mid")
			g.line("local obj = setmetatable({}, mid)")
			g.line("print(obj.x, obj.y, obj:f(%s), rawget(obj, \"x\"), obj.z)", g.smallInt())
		case 1:
			g.line("local d = setmetatable({}, {__index = function(t, k) L(\"idx\", k) return k .. \"!\" end})")
			g.line("print(d.a, d[1], d.a, rawget(d, \"a\"))")
		case 2:
			g.line("local store = {}")
			g.line("local p = setmetatable({}, {__newindex = %s})", g.pick("store", "function(t, k, v) L(\"set\", k, v) rawset(t, k, v) end"))
			g.line("p.a = 1; p.b = 2; p.a = 3; rawset(p, \"c\", 4); p.c = 5")
			g.line("print(p.a, p.b, p.c, store.a, store.b)")
		case 3:
			g.line("local c = setmetatable({}, {__call = function(self, a, b) return a, b, select('#', a, b) end})")
			g.line("print(c(%s), pcall(c))", g.argList())
		case 4:
			g.line("local mt = {__eq = function(a, b) L(\"eq\") return a.v == b.v end, __lt = function(a, b) L(\"lt\") return a.v < b.v end%s}",
				g.pick("", ", __le = function(a, b) L(\"le\") return a.v <= b.v end"))
			g.line("local A, B = setmetatable({v = %s}, mt), setmetatable({v = %s}, mt)", g.smallInt(), g.smallInt())
			g.line("print(A == B, A ~= B, A < B, A <= B, A > B, A >= B, A == A, rawequal(A, B))")
			g.line("print(pcall(function() return A < 1 end))")
		case 5:
			g.line("local cc = setmetatable({}, {__concat = function(a, b) return (type(a) == \"table\" and \"T\" or tostring(a)) .. \"+\" .. (type(b) == \"table\" and \"T\" or tostring(b)) end})")
			g.line("print(cc .. \"s\", \"s\" .. cc, 1 .. cc, cc .. cc, \"a\" .. \"b\" .. cc)")
		case 6:
			g.line("local v = setmetatable({%s}, {__len = function() return 99 end, __unm = function(a) return \"neg\" end, __add = function(a, b) return \"add\" end, __mod = function() return \"mod\" end, __pow = function() return \"pow\" end})",
				g.numArray(g.intn(0, 4)))
			g.line("print(#v, -v, v + 1, 1 + v, v %% 2, 2 ^ v)")
		case 7:
			g.line("local s = setmetatable({}, {__tostring = function() return %s end, __metatable = %s})", g.pick(`"S!"`, "42", "nil"), g.pick(`"locked"`, "false", "nil"))
			g.line("print(pcall(tostring, s))")
			g.line("print(type(getmetatable(s)), pcall(setmetatable, s, {}))")
		case 8:
			g.line("local arith = {__sub = function(a, b) return 10 end, __mul = function(a, b) return 20 end, __div = function(a, b) return 30 end}")
			g.line("local q = setmetatable({}, arith)")
			g.line("print(q - 1, 2 * q, q / q, pcall(function() return q + 1 end))")
			g.line("print(getmetatable(\"x\").__index == string, (\"abc\"):upper())")
		}
	}
	g.line("print(table.concat(log, \";\"))")
}

// ---- coroutines ----

func (g *gen) coroutines() {
	switch g.r.Intn(8) {
	case 0:
		g.line("local co = coroutine.create(function(a, b)")
		g.line("  print(\"in\", a, b, coroutine.status(coroutine.running()))")
		g.line("  local c = coroutine.yield(a + b)")
		g.line("  print(\"got\", c)")
		g.line("  local d, e = coroutine.yield(c * 2)")
		g.line("  return d, e, \"done\"")
		g.line("end)")
		g.line("print(coroutine.status(co))")
		g.line("print(coroutine.resume(co, %s, %s))", g.smallInt(), g.smallInt())
		g.line("print(coroutine.status(co))")
		g.line("print(coroutine.resume(co, %s))", g.smallInt())
		g.line("print(coroutine.resume(co, %s))", g.argList())
		g.line("print(coroutine.status(co))")
	case 1:
		n := g.intn(0, 6)
		g.line("local gen = coroutine.wrap(function(n) for i = 1, n do coroutine.yield(i, i * i) end return \"end\" end)")
		g.line("print(gen(%d))", n)
		for k := 0; k < n && k < 3; k++ {
			g.line("print(gen())")
		}
	case 2:
		g.line("local outer")
		g.line("local inner = coroutine.create(function() print(\"outer is\", coroutine.status(outer)) coroutine.yield() end)")
		g.line("outer = coroutine.create(function() print(coroutine.resume(inner)) print(coroutine.status(inner)) end)")
		g.line("print(coroutine.resume(outer))")
		g.line("print(coroutine.status(outer), coroutine.status(inner))")
	case 3:
		g.line("local co = coroutine.create(function(x) if x > %d then error(%s) end return x end)", g.intn(0, 5), g.pick(`"boom"`, `{code = 7}`, "42", `"lvl0", 0`))
		g.line("local ok, e = coroutine.resume(co, %d)", g.intn(0, 9))
		g.line("print(ok, type(e) == \"table\" and e.code or e, coroutine.status(co))")
	case 4:
		// yield across pcall: LuaJIT allows it (Lua 5.1 does not)
		lim := g.intn(0, 5)
		g.line("local co = coroutine.wrap(function()")
		if g.use(FeatYieldPcall) {
			g.line("  local ok, v = pcall(function()")
			g.line("    local x = coroutine.yield(1)")
			g.line("    if x > %d then error(\"e\" .. x, 0) end", lim)
			g.line("    return x")
			g.line("  end)")
		} else {
			// the same results without yielding inside pcall
			g.line("  local x = coroutine.yield(1)")
			g.line("  local ok, v = pcall(function()")
			g.line("    if x > %d then error(\"e\" .. x, 0) end", lim)
			g.line("    return x")
			g.line("  end)")
		}
		g.line("  coroutine.yield(tostring(ok) .. \":\" .. tostring(v))")
		g.line("  return \"fin\"")
		g.line("end)")
		g.line("print(co())")
		g.line("print(co(%d))", g.intn(0, 9))
		g.line("print(co())")
	case 6:
		// yields inside xpcall (with a handler), nested pcalls, a pcall
		// in tail position and pcall of coroutine.yield itself
		lim := g.intn(0, 4)
		errv := g.pick(`"e" .. x`, `{code = x}`, "x", "nil")
		g.line("local co = coroutine.wrap(function(...)")
		g.line("  local r = {xpcall(function(a, b)")
		g.line("    local x = coroutine.yield(a + b)")
		g.line("    if x > %d then error(%s) end", lim, errv)
		g.line("    return x, a")
		g.line("  end, function(m) return \"h:\" .. type(m) .. \":\" .. tostring(type(m) == \"table\" and m.code or m) end, ...)}")
		g.line("  print(\"xp\", r[1], r[2], r[3])")
		g.line("  local ok, v = pcall(function()")
		g.line("    local ok2, v2 = pcall(function() local y = coroutine.yield(\"in\") error(\"deep\" .. y, %d) end)", g.intn(0, 1))
		g.line("    coroutine.yield(tostring(ok2) .. \" \" .. tostring(v2))")
		g.line("    return %s", g.pick(`"fine"`, `nil`, `1, 2, 3`))
		g.line("  end)")
		g.line("  print(\"nest\", ok, v)")
		g.line("  print(\"direct\", pcall(coroutine.yield, \"direct\"))")
		g.line("  return pcall(function() return coroutine.yield(\"tail\") end)")
		g.line("end)")
		g.line("print(co(%s, %s))", g.smallInt(), g.smallInt())
		g.line("print(co(%d))", g.intn(0, 6))
		g.line("print(co(%s))", g.pick(`"a"`, `"b"`, "7"))
		g.line("print(co())")
		g.line("print(co(%s))", g.argList())
		g.line("print(co(%s))", g.argList())
		g.line("print(pcall(co))")
	case 7:
		// a Lua iterator of a generic for that yields (plain and in tail
		// position), with the loop inside pcall
		n := g.intn(0, 4)
		g.line("local function iter(s, i)")
		g.line("  if i >= %d then return nil end", n)
		if g.r.Intn(2) == 0 {
			g.line("  local v = coroutine.yield(\"it\" .. i)")
			g.line("  return i + 1, v")
		} else {
			g.line("  if i %% 2 == 1 then return coroutine.yield(i + 1, \"t\" .. i) end")
			g.line("  return i + 1, coroutine.yield(\"it\" .. i)")
		}
		g.line("end")
		g.line("local co = coroutine.wrap(function()")
		g.line("  local sum = 0")
		g.line("  print(pcall(function()")
		g.line("    for i, v in iter, nil, 0 do print(\"loop\", i, v) sum = sum + i end")
		g.line("    return sum")
		g.line("  end))")
		g.line("  return \"done\"")
		g.line("end)")
		g.line("for k = 1, %d do print(pcall(co, k, \"r\" .. k)) end", n+2)
	case 5:
		g.line("print(pcall(coroutine.yield, 1))")
		g.line("print(coroutine.running() == nil)")
		g.line("local w = coroutine.wrap(function() error(%s) end)", g.pick(`"inwrap"`, `{}`, "nil"))
		g.line("local ok, e = pcall(w)")
		g.line("print(ok, type(e), type(e) == \"string\" and e or \"\")")
	}
}

// ---- pcall and error ----

func (g *gen) errors() {
	g.line("local function lvl(m, l) error(m, l) end")
	g.line("local function caller(m, l) lvl(m, l) end")
	for k := g.intn(2, 5); k > 0; k-- {
		switch g.r.Intn(9) {
		case 0:
			g.line("print(pcall(caller, %s, %d))", g.pick(`"msg"`, `"x"`), g.intn(0, 3))
		case 1:
			g.line("do local ok, e = pcall(lvl, {code = %d}) print(ok, type(e), e.code) end", g.intn(0, 99))
		case 2:
			g.line("print(pcall(error), pcall(error, nil), pcall(error, %s), pcall(error, %s, 2))", g.finite(), g.finite())
		case 3:
			g.line("print(pcall(pcall, error, \"e\"), select('#', pcall(error)))")
		case 4:
			g.line("print(xpcall(function() caller(\"deep\", 2) end, function(m) return \"H:\" .. tostring(m) end))")
		case 5:
			g.line("print(pcall(function() local t = setmetatable({}, {__index = function(t, k) error(\"no \" .. k) end}) return t.key end))")
		case 6:
			g.line("print(pcall(assert, %s, %s), pcall(assert, 1 == 1, \"x\", 3))", g.pick("false", "nil", "0", "\"\""), g.pick(`"amsg"`, "nil", "12"))
		case 7:
			g.line("print(pcall(function() local x = nil; return x.y end))")
			g.line("print(pcall(function() return undefinedglobal.y end), pcall(function() undefinedfn() end))")
		case 8:
			g.line("print(pcall(function() return 1 + {} end), pcall(function() return #nil end), pcall(function() return {} .. \"\" end), pcall(function() return {} < {} end), pcall(function() return 1 < \"2\" end))")
		}
	}
}

// ---- coercion ----

func (g *gen) numString() string {
	return g.pick(`"10"`, `"3"`, `"0x10"`, `" 5 "`, `"1e2"`, `"2.5"`, `"-7"`, `"abc"`, `""`, `"0x"`, `"1e"`, `" 0x1F "`, `".5"`, `"5."`,
		`"inf"`, `"nan"`, `"1 2"`, `"010"`, `"-0"`, `"1e500"`, `"0x7fffffff"`, `"  12  "`, `"\t3\n"`, `"0X1p4"`)
}

func (g *gen) coercion() {
	for k := g.intn(2, 6); k > 0; k-- {
		a, b := g.numString(), g.numString()
		switch g.r.Intn(7) {
		case 0:
			g.line("print(pcall(function() return %s + %s, %s * 2, -%s end))", a, g.smallInt(), b, a)
		case 1:
			g.line("print(tonumber(%s), tonumber(%s))", a, b)
		case 2:
			digits := "0123456789abcdefghijklmnopqrstuvwxyzAZ -.x"
			w := make([]byte, g.intn(0, 6))
			for i := range w {
				w[i] = digits[g.r.Intn(len(digits))]
			}
			g.line("print(tonumber(%s, %d))", luaQuote(string(w)), g.pick1(2, 8, 10, 16, 36, 7, 3, 11))
		case 3:
			g.line("print(%s .. %s, %s .. \"\", pcall(function() return %s < %s end), %s == %s)", g.finite(), g.finite(), g.num(), a, b, a, g.finite())
		case 4:
			g.line("print(pcall(string.rep, \"ab\", %s), pcall(math.floor, %s))", a, b)
		case 5:
			g.line("print(pcall(function() return %s %s %s end))", a, g.pick("+", "-", "*", "/", "%", "^"), b)
		case 6:
			g.line("print(pcall(tonumber, %s, %d))", a, g.pick1(1, 37, 0, 10, 16))
		}
	}
}

// ---- math ----

func (g *gen) mathLib() {
	for k := g.intn(2, 6); k > 0; k-- {
		x, y := g.num(), g.num()
		switch g.r.Intn(9) {
		case 0:
			g.line("print(math.floor(%s), math.ceil(%s), math.abs(%s))", x, x, x)
		case 1:
			g.line("print(math.max(%s, %s, %s), math.min(%s, %s))", x, y, g.num(), x, y)
		case 2:
			g.line("print(math.fmod(%s, %s), math.modf(%s))", x, y, x)
		case 3:
			g.line("print(%s %% %s, math.floor(%s / %s), -(%s) %% %s)", x, y, x, y, x, y)
		case 4:
			// exponents up to 3: Go's math.Pow can differ from C's pow in the last bit for larger ones (README)
			g.line("print(math.sqrt(%s), %s ^ %s, math.pow(%s, %d))", x, x, g.pick("2", "0.5", "-1", "0", "3"), y, g.intn(-3, 3))
		case 5:
			g.line("print(string.format(\"%%.10g %%.10g %%.10g\", math.exp(%s), math.log(%s), math.log10(%s)))", g.pick("1", "0", "-1", "2.5", "10"), x, y)
		case 6:
			g.line("print(math.huge, -math.huge, math.pi, math.huge == 1/0, %s == %s, %s ~= %s)", x, x, y, y)
		case 7:
			g.line("print(string.format(\"%%.10g %%.10g %%.10g\", math.sin(%s), math.cos(%s), math.atan2(%s, %s)))", g.finite(), g.finite(), g.finite(), g.finite())
		case 8:
			g.line("print(math.floor(-0.0), 1/math.floor(-0.5), math.ceil(-0.5))")
		}
	}
}

// ---- iteration ----

func (g *gen) iteration() {
	keys := []string{"a", "b", "zz", "k1", "10", "x y"}
	n := g.intn(0, 5)
	var entries []string
	for i := 0; i < n; i++ {
		entries = append(entries, "["+luaQuote(keys[g.r.Intn(len(keys))])+"] = "+g.smallInt())
	}
	m := g.intn(0, 5)
	for i := 1; i <= m; i++ {
		entries = append(entries, g.smallInt())
	}
	g.line("local t = {%s}", strings.Join(entries, ", "))
	g.line("local ks = {}")
	if g.use(FeatNextIter) {
		g.line("for k, v in next, t do ks[#ks + 1] = tostring(k) .. \"=\" .. tostring(v) end")
	} else {
		g.line("for k, v in pairs(t) do ks[#ks + 1] = tostring(k) .. \"=\" .. tostring(v) end")
	}
	g.line("table.sort(ks)")
	g.line("print(#ks, table.concat(ks, \" \"))")
	g.line("for i, v in ipairs(t) do io.write(i, \":\", v, \" \") end print(#t)")
	g.line("print(next({}), next(t) ~= nil, select('#', next({})))")
	if g.r.Intn(2) == 0 {
		g.line("local s = 0")
		g.line("for k, v in pairs(t) do if type(v) == \"number\" then s = s + v end t[k] = nil end")
		g.line("print(s, next(t))")
	}
}

// ---- recursion ----

func (g *gen) recursion() {
	switch g.r.Intn(4) {
	case 0:
		g.line("local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end")
		g.line("print(fib(%d))", g.intn(0, 18))
	case 1:
		g.line("local function sum(n, acc) if n == 0 then return acc end return sum(n - 1, acc + n) end")
		g.line("print(sum(%d, 0))", g.intn(0, 5000))
	case 2:
		g.line("local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end")
		g.line("print(depth(%d))", g.intn(0, 150))
	case 3:
		g.line("local even, odd")
		g.line("function even(n) if n == 0 then return true end return odd(n - 1) end")
		g.line("function odd(n) if n == 0 then return false end return even(n - 1) end")
		g.line("print(even(%d), odd(%d))", g.intn(0, 100), g.intn(0, 100))
	}
}
