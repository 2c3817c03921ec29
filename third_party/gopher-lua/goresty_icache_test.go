package lua

import "testing"

// bigTableSrc makes t a table with a map-backed hash part (more than 12
// string keys), the tables the lookup caches apply to.
const bigTableSrc = `
t = {}
for i = 1, 20 do t["k" .. i] = i end
`

func TestICacheSeesChanges(t *testing.T) {
	L := NewState()
	defer L.Close()
	L.SetGlobal("tclear", L.NewFunction(func(L *LState) int { L.CheckTable(1).Clear(); return 0 }))
	src := bigTableSrc + `
local out = {}
local function rd() return t.k1, g end
g = "a"
for i = 1, 20 do local a, b = rd() out[#out+1] = a .. b end   -- cached from here on
t.k1 = "x"; g = "b"                                            -- both tables change
out[#out+1] = table.concat({rd()})
t.k1 = nil                                                     -- absent: __index answers
setmetatable(t, {__index = function(_, k) return "idx:" .. k end})
out[#out+1] = tostring((rd()))
rawset(t, "k1", "raw")
out[#out+1] = tostring((rd()))
tclear(t)
out[#out+1] = tostring((rd()))
t.k1 = "after"
out[#out+1] = tostring((rd()))
setfenv(rd, {t = {k1 = "env"}, g = "G"})                       -- another environment
out[#out+1] = table.concat({rd()})
result = table.concat(out, ",", 20)
`
	if err := L.DoString(src); err != nil {
		t.Fatal(err)
	}
	want := "1a,xb,idx:k1,raw,idx:k1,after,envG"
	if got := L.GetGlobal("result").String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestICacheUsed(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(bigTableSrc + `
function rd() return t.k1 + t.k2 end
for i = 1, 20 do rd() end
`); err != nil {
		t.Fatal(err)
	}
	fn := L.GetGlobal("rd").(*LFunction)
	if fn.Proto.icN != 4 { // two GETGLOBAL t, GETTABLEKS k1 and k2
		t.Fatalf("icN = %d, want 4", fn.Proto.icN)
	}
	if fn.ic == nil {
		t.Fatal("no cache allocated after 20 calls")
	}
	hits := 0
	for _, e := range fn.ic {
		if e.tb != nil {
			hits++
		}
	}
	if hits != len(fn.ic) {
		t.Fatalf("%d of %d sites filled", hits, len(fn.ic))
	}
	// a closure run once does not get a cache
	if err := L.DoString(`function once() return t.k1 end; once()`); err != nil {
		t.Fatal(err)
	}
	if L.GetGlobal("once").(*LFunction).ic != nil {
		t.Fatal("cache allocated for a closure run once")
	}
}
