package lua

import (
	"sort"
)

func OpenTable(L *LState) int {
	tabmod := L.RegisterModule(TabLibName, tableFuncs)
	L.Push(tabmod)
	return 1
}

var tableFuncs = map[string]LGFunction{
	"getn":   tableGetN,
	"concat": tableConcat,
	"insert": tableInsert,
	"maxn":   tableMaxN,
	"remove": tableRemove,
	"sort":   tableSort,
	// goresty: LuaJIT 2.1 still has these Lua 5.0 functions
	"foreach":  tableForeach,
	"foreachi": tableForeachi,
}

func tableSort(L *LState) int {
	tbl := L.CheckTable(1)
	sorter := lValueArraySorter{L, nil, tbl.array}
	if L.GetTop() != 1 {
		sorter.Fn = L.CheckFunction(2)
	}
	sort.Sort(sorter)
	return 0
}

func tableGetN(L *LState) int {
	L.PushNumber(LNumber(L.CheckTable(1).Len()))
	return 1
}

func tableMaxN(L *LState) int {
	L.PushNumber(LNumber(L.CheckTable(1).MaxN()))
	return 1
}

func tableRemove(L *LState) int {
	// goresty: LuaJIT's table.remove: a position outside 1..#t removes
	// and returns nothing
	tbl := L.CheckTable(1)
	n := tbl.Len()
	pos := n
	if L.GetTop() > 1 {
		pos = L.CheckInt(2)
	}
	if pos < 1 || pos > n {
		return 0
	}
	if len(tbl.array) == n { // all in the array part
		L.Push(tbl.Remove(pos))
		return 1
	}
	old := tbl.RawGetInt(pos)
	for i := pos + 1; i <= n; i++ {
		tbl.RawSetInt(i-1, tbl.RawGetInt(i))
	}
	tbl.RawSetInt(n, LNil)
	L.Push(old)
	return 1
}

func tableConcat(L *LState) int {
	tbl := L.CheckTable(1)
	sep := LString(L.OptString(2, ""))
	i := L.OptInt(3, 1)
	j := L.OptInt(4, tbl.Len())
	// goresty: exactly the range asked for, as lstrlib's tconcat: a nil
	// or out-of-range index is an invalid value, i > j gives ""
	if i > j {
		L.Push(emptyLString)
		return 1
	}
	//TODO should flushing?
	retbottom := L.GetTop()
	for ; i <= j; i++ {
		v := tbl.RawGetInt(i)
		if !LVCanConvToString(v) {
			L.RaiseError("invalid value (%s) at index %d in table for 'concat'", v.Type().String(), i) // goresty: quoted as LuaJIT
		}
		L.Push(v)
		if i != j {
			L.Push(sep)
		}
	}
	L.Push(stringConcat(L, L.GetTop()-retbottom, L.reg.Top()-1))
	return 1
}

func tableInsert(L *LState) int {
	tbl := L.CheckTable(1)
	nargs := L.GetTop()
	if nargs != 2 && nargs != 3 { // goresty: LuaJIT's check and wording
		L.RaiseError("wrong number of arguments to 'insert'")
	}

	if L.GetTop() == 2 {
		tbl.Append(L.Get(2))
		return 0
	}
	tbl.Insert(int(L.CheckInt(2)), L.CheckAny(3))
	return 0
}

//
