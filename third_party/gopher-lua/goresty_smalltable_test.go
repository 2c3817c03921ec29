package lua

import (
	"math/rand"
	"strconv"
	"testing"
)

// goresty: tests of the slice form of small hash parts (table.go) and its
// move to the maps.

func tableKeys(tb *LTable) []LValue {
	var ks []LValue
	for k, _ := tb.Next(LNil); k != LNil; k, _ = tb.Next(k) {
		ks = append(ks, k)
	}
	return ks
}

func TestSmallTableInsertionOrder(t *testing.T) {
	for n := 1; n <= 20; n++ {
		tb := newLTable(0, 0)
		var want []LValue
		for i := 0; i < n; i++ {
			var k LValue = LString("k" + strconv.Itoa(i))
			if i%4 == 3 {
				k = LNumber(-i) // a non-string hash key in between
			}
			tb.RawSet(k, LNumber(i+1))
			want = append(want, k)
		}
		tb.RawSetInt(1, LTrue)
		got := tableKeys(tb)
		if len(got) != n+1 || got[0] != LNumber(1) {
			t.Fatalf("n=%d: keys %v", n, got)
		}
		for i, k := range want {
			if got[i+1] != k {
				t.Fatalf("n=%d: order %v, want %v", n, got[1:], want)
			}
			if v := tb.RawGet(k); v != LNumber(i+1) {
				t.Fatalf("n=%d: %v = %v", n, k, v)
			}
		}
		if (tb.k2i != nil) != (n > smallHashMax) {
			t.Fatalf("n=%d: map form %v", n, tb.k2i != nil)
		}
		var fe []LValue
		tb.ForEach(func(k, v LValue) { fe = append(fe, k) })
		if len(fe) != n+1 {
			t.Fatalf("n=%d: ForEach saw %d keys", n, len(fe))
		}
		if tb.Count() != n+1 || tb.IsEmpty() || tb.IsArray() {
			t.Fatalf("n=%d: Count %d IsEmpty %v IsArray %v", n, tb.Count(), tb.IsEmpty(), tb.IsArray())
		}
	}
}

func TestSmallTableDeleteDuringNext(t *testing.T) {
	for n := 1; n <= 20; n++ {
		tb := newLTable(0, 0)
		for i := 0; i < n; i++ {
			tb.RawSetString("k"+strconv.Itoa(i), LNumber(i))
		}
		seen := map[LValue]bool{}
		for k, _ := tb.Next(LNil); k != LNil; k, _ = tb.Next(k) {
			if seen[k] {
				t.Fatalf("n=%d: %v twice", n, k)
			}
			seen[k] = true
			tb.RawSetH(k, LNil)
		}
		if len(seen) != n {
			t.Fatalf("n=%d: saw %d keys", n, len(seen))
		}
		if k, _ := tb.Next(LNil); k != LNil || !tb.IsEmpty() || tb.Count() != 0 {
			t.Fatalf("n=%d: not empty after clearing", n)
		}
		if tb.RawGetString("k0") != LNil {
			t.Fatalf("n=%d: deleted key still readable", n)
		}
	}
}

func TestSmallTableReAddKeepsPlace(t *testing.T) {
	tb := newLTable(0, 0)
	for _, k := range []string{"a", "b", "c"} {
		tb.RawSetString(k, LTrue)
	}
	tb.RawSetString("a", LNil)
	tb.RawSetString("a", LFalse)
	if got := tableKeys(tb); len(got) != 3 || got[0] != LString("a") || got[2] != LString("c") {
		t.Fatalf("order %v", got)
	}
	// A full slice drops deleted keys before taking a new one.
	for i := 0; i < smallHashMax-3; i++ {
		tb.RawSetString("x"+strconv.Itoa(i), LTrue)
	}
	tb.RawSetString("b", LNil)
	tb.RawSetString("new", LTrue)
	if tb.k2i != nil || len(tb.small) != smallHashMax {
		t.Fatalf("expected compaction, small=%d map=%v", len(tb.small), tb.k2i != nil)
	}
	got := tableKeys(tb)
	if len(got) != smallHashMax || got[len(got)-1] != LString("new") || tb.RawGetString("b") != LNil {
		t.Fatalf("after compaction %v", got)
	}
}

func TestSmallTableOtherKeys(t *testing.T) {
	tb := newLTable(0, 0)
	sub := newLTable(0, 0)
	keys := []LValue{LTrue, LFalse, LNumber(0), LNumber(-1), LNumber(1.5), sub, LNumber(MaxArrayIndex + 1)}
	for i, k := range keys {
		tb.RawSet(k, LNumber(i))
	}
	for i, k := range keys {
		if v := tb.RawGet(k); v != LNumber(i) {
			t.Fatalf("%v = %v", k, v)
		}
		if v := tb.RawGetH(k); v != LNumber(i) {
			t.Fatalf("RawGetH %v = %v", k, v)
		}
	}
	if tb.RawGet(LString("true")) != LNil || tb.RawGet(LNumber(2)) != LNil {
		t.Fatal("wrong key matched")
	}
	if tb.IsArray() {
		t.Fatal("IsArray with boolean keys")
	}
	c := tb.Clone()
	for i, k := range keys {
		tb.RawSet(k, LNil)
		if c.RawGet(k) != LNumber(i) {
			t.Fatalf("clone lost %v", k)
		}
	}
	if !tb.IsEmpty() || c.Count() != len(keys) {
		t.Fatalf("IsEmpty %v Count %d", tb.IsEmpty(), c.Count())
	}
	// Only integer keys left (0 and -1 live in the hash part).
	a := newLTable(0, 0)
	a.RawSet(LNumber(0), LTrue)
	a.RawSet(LNumber(-1), LTrue)
	a.RawSet(LString("s"), LTrue)
	a.RawSet(LString("s"), LNil)
	if !a.IsArray() {
		t.Fatal("IsArray counted a deleted string key")
	}
	a.Clear()
	if !a.IsEmpty() || a.Count() != 0 {
		t.Fatal("Clear")
	}
	a.RawSetString("z", LTrue)
	if got := tableKeys(a); len(got) != 1 || got[0] != LString("z") {
		t.Fatalf("after Clear %v", got)
	}
}

func TestLargeHintStartsInMaps(t *testing.T) {
	tb := newLTable(0, 20)
	if tb.k2i == nil {
		t.Fatal("hint > smallHashMax should start in the map form")
	}
	tb.RawSetString("a", LTrue)
	tb.RawSet(LTrue, LFalse)
	if got := tableKeys(tb); len(got) != 2 || got[0] != LString("a") || got[1] != LTrue {
		t.Fatalf("keys %v", got)
	}
}

// Random operations against a plain map, across the move to the maps.
func TestSmallTableRandomOps(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pool := []LValue{LTrue, LFalse, LNumber(0), LNumber(-2), LNumber(0.5)}
	for i := 0; i < 14; i++ {
		pool = append(pool, LString("key"+strconv.Itoa(i)))
	}
	for round := 0; round < 300; round++ {
		tb := newLTable(0, rng.Intn(4))
		model := map[LValue]LValue{}
		for op := 0; op < 60; op++ {
			k := pool[rng.Intn(len(pool))]
			if rng.Intn(3) == 0 {
				tb.RawSet(k, LNil)
				delete(model, k)
			} else {
				v := LNumber(op)
				tb.RawSet(k, v)
				model[k] = v
			}
			for _, pk := range pool {
				want, ok := model[pk]
				if !ok {
					want = LNil
				}
				if got := tb.RawGet(pk); got != want {
					t.Fatalf("round %d op %d: %v = %v, want %v", round, op, pk, got, want)
				}
			}
			seen := map[LValue]bool{}
			for k, v := tb.Next(LNil); k != LNil; k, v = tb.Next(k) {
				if seen[k] || model[k] != v {
					t.Fatalf("round %d op %d: next gave %v=%v", round, op, k, v)
				}
				seen[k] = true
			}
			if len(seen) != len(model) || tb.Count() != len(model) {
				t.Fatalf("round %d op %d: next saw %d, Count %d, want %d", round, op, len(seen), tb.Count(), len(model))
			}
		}
	}
}

func TestSmallTableLuaPairsClear(t *testing.T) {
	L := NewState()
	defer L.Close()
	err := L.DoString(`
		for _, n in ipairs({3, 8, 9, 15}) do
			local t = {}
			for i = 1, n do t["k" .. i] = i end
			local seen = 0
			for k, v in pairs(t) do
				assert(t[k] == v)
				t[k] = nil
				seen = seen + 1
			end
			assert(seen == n, n)
			assert(next(t) == nil)
			local order = {}
			local u = {z = 1, y = 2, x = 3}
			u.w = 4
			for k in pairs(u) do order[#order + 1] = k end
			assert(table.concat(order) == "zyxw", table.concat(order))
		end
	`)
	if err != nil {
		t.Fatal(err)
	}
}

// TestCreateTableOneAllocation: a table with a small hash hint comes with
// its first slots in the same allocation, and grows past them as before.
func TestCreateTableOneAllocation(t *testing.T) {
	for _, hint := range []int{1, 4, 5, 8, 9, 12} {
		if n := testing.AllocsPerRun(100, func() {
			tb := newLTable(0, hint)
			for i := 0; i < hint; i++ {
				tb.RawSetH(smallLKeys[i], LTrue) // keys boxed beforehand
			}
		}); n != 1 {
			t.Errorf("hint %d: %v allocations, want 1", hint, n)
		}
		tb := newLTable(0, hint)
		for i := 0; i < 20; i++ {
			tb.RawSetString(smallKeys[i], LNumber(i))
		}
		for i := 0; i < 20; i++ {
			if v := tb.RawGetString(smallKeys[i]); v != LNumber(i) {
				t.Fatalf("hint %d: key %s = %v", hint, smallKeys[i], v)
			}
		}
	}
}

var smallKeys = func() (k []string) {
	for i := 0; i < 20; i++ {
		k = append(k, string(rune('a'+i))+"key")
	}
	return
}()

var smallLKeys = func() (k []LValue) {
	for _, s := range smallKeys {
		k = append(k, LString(s))
	}
	return
}()
