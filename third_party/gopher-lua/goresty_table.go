package lua

// goresty: table helpers behind LuaJIT's table.clear, table.nkeys,
// table.isempty, table.clone and table.isarray, which need the table's
// internal layout to be fast.

// Clear removes every entry of tb, keeping its allocated capacity and its
// metatable (table.clear).
func (tb *LTable) Clear() {
	if tb.array != nil {
		clear(tb.array)
		tb.array = tb.array[:0]
	}
	if tb.small != nil {
		clear(tb.small)
		tb.small = tb.small[:0]
	}
	if tb.dict != nil {
		clear(tb.dict)
	}
	if tb.strdict != nil {
		clear(tb.strdict)
		tb.ver++
	}
	if tb.keys != nil {
		clear(tb.keys)
		tb.keys = tb.keys[:0]
		clear(tb.k2i)
	}
}

// Count returns the number of non-nil entries (table.nkeys).
func (tb *LTable) Count() int {
	n := len(tb.strdict) + len(tb.dict)
	for _, e := range tb.small {
		if e.value != LNil {
			n++
		}
	}
	for _, v := range tb.array {
		if v != LNil {
			n++
		}
	}
	return n
}

// IsEmpty reports whether tb has no non-nil entry (table.isempty).
func (tb *LTable) IsEmpty() bool {
	if len(tb.strdict) != 0 || len(tb.dict) != 0 {
		return false
	}
	for _, e := range tb.small {
		if e.value != LNil {
			return false
		}
	}
	for _, v := range tb.array {
		if v != LNil {
			return false
		}
	}
	return true
}

// Clone returns a shallow copy of tb without its metatable (table.clone).
func (tb *LTable) Clone() *LTable {
	c := &LTable{Metatable: LNil}
	if tb.array != nil {
		c.array = make([]LValue, len(tb.array), cap(tb.array))
		copy(c.array, tb.array)
	}
	if tb.small != nil {
		c.small = make([]hashEntry, 0, cap(tb.small))
		for _, e := range tb.small {
			if e.value != LNil {
				c.small = append(c.small, e)
			}
		}
		return c
	}
	if len(tb.strdict) != 0 || len(tb.dict) != 0 {
		c.keys = make([]LValue, 0, len(tb.strdict)+len(tb.dict))
		c.k2i = make(map[LValue]int, len(tb.strdict)+len(tb.dict))
		if len(tb.strdict) != 0 {
			c.strdict = make(map[string]LValue, len(tb.strdict))
		}
		if len(tb.dict) != 0 {
			c.dict = make(map[LValue]LValue, len(tb.dict))
		}
		// Keep the source's iteration order.
		for _, k := range tb.keys {
			if s, ok := k.(LString); ok {
				if v, ok := tb.strdict[string(s)]; ok {
					c.strdict[string(s)] = v
				} else {
					continue
				}
			} else if v, ok := tb.dict[k]; ok {
				c.dict[k] = v
			} else {
				continue
			}
			c.k2i[k] = len(c.keys)
			c.keys = append(c.keys, k)
		}
	}
	return c
}

// IsArray reports whether every key of tb is an integer (table.isarray,
// as in OpenResty's LuaJIT: holes and keys <= 0 are allowed).
func (tb *LTable) IsArray() bool {
	if len(tb.strdict) != 0 {
		return false
	}
	for _, e := range tb.small {
		if e.value == LNil {
			continue
		}
		n, ok := e.key.(LNumber)
		if !ok || float64(n) != float64(int64(n)) {
			return false
		}
	}
	for k := range tb.dict {
		n, ok := k.(LNumber)
		if !ok || float64(n) != float64(int64(n)) {
			return false
		}
	}
	return true
}

// table.foreach(t, f): calls f(k, v) for every entry and stops at the
// first non-nil result, which it returns.
func tableForeach(L *LState) int {
	tb := L.CheckTable(1)
	fn := L.CheckFunction(2)
	for k, v := tb.Next(LNil); k != LNil; k, v = tb.Next(k) {
		L.Push(fn)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// table.foreachi(t, f): the same over 1..#t.
func tableForeachi(L *LState) int {
	tb := L.CheckTable(1)
	fn := L.CheckFunction(2)
	for i, n := 1, tb.Len(); i <= n; i++ {
		L.Push(fn)
		L.PushNumber(LNumber(i))
		L.Push(tb.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}
