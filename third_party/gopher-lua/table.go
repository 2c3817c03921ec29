package lua

// goresty: capacity of an array part created by a first integer key; it
// grows by append. (Was 32: 512 bytes for every table given one element.)
const defaultArrayCap = 4
const defaultHashCap = 32

type lValueArraySorter struct {
	L      *LState
	Fn     *LFunction
	Values []LValue
}

func (lv lValueArraySorter) Len() int {
	return len(lv.Values)
}

func (lv lValueArraySorter) Swap(i, j int) {
	lv.Values[i], lv.Values[j] = lv.Values[j], lv.Values[i]
}

func (lv lValueArraySorter) Less(i, j int) bool {
	if lv.Fn != nil {
		lv.L.Push(lv.Fn)
		lv.L.Push(lv.Values[i])
		lv.L.Push(lv.Values[j])
		lv.L.Call(2, 1)
		return LVAsBool(lv.L.reg.Pop())
	}
	return lessThan(lv.L, lv.Values[i], lv.Values[j])
}

func newLTable(acap int, hcap int) *LTable {
	if acap < 0 {
		acap = 0
	}
	if hcap < 0 {
		hcap = 0
	}
	var tb *LTable
	switch {
	case hcap == 0 || hcap > smallHashMax:
		tb = &LTable{}
	case hcap <= 4:
		// goresty: the table and its small hash part in one allocation
		x := &ltableSmall4{}
		tb = &x.t
		tb.small = x.e[:0:4]
	case hcap <= 8:
		x := &ltableSmall8{}
		tb = &x.t
		tb.small = x.e[:0:8]
	default:
		x := &ltableSmall12{}
		tb = &x.t
		tb.small = x.e[:0:smallHashMax]
	}
	tb.Metatable = LNil
	if acap != 0 {
		tb.array = make([]LValue, 0, acap)
	}
	if hcap > smallHashMax {
		tb.toBig(hcap)
	}
	return tb
}

// A table with a small hash part of known size (a constructor's fields,
// CreateTable's hint) is allocated with the part's first slots.
type ltableSmall4 struct {
	t LTable
	e [4]hashEntry
}

type ltableSmall8 struct {
	t LTable
	e [8]hashEntry
}

type ltableSmall12 struct {
	t LTable
	e [smallHashMax]hashEntry
}

// goresty: the hash part of a table starts as a short slice of key/value
// pairs searched linearly (tables built per request hold a handful of
// string keys; three maps per table dominated allocation). Beyond
// smallHashMax keys it moves to the maps (strdict, dict, keys, k2i).
// tb.k2i != nil marks the map form.
//
// In the slice form a deleted key stays as an entry with a nil value, so
// next() can resume from it during a traversal that clears fields, and
// setting the key again puts it back at its old place, as the map form
// does. Such entries are dropped only when a new key is added.
const smallHashMax = 12

type hashEntry struct {
	key   LValue
	value LValue
}

// smallIndex returns the position of key in tb.small, or -1.
func (tb *LTable) smallIndex(key LValue) int {
	switch k := key.(type) {
	case LString:
		return tb.smallIndexString(string(k))
	case LNumber:
		for i := range tb.small {
			if n, ok := tb.small[i].key.(LNumber); ok && n == k {
				return i
			}
		}
	default:
		for i := range tb.small {
			if tb.small[i].key == key {
				return i
			}
		}
	}
	return -1
}

func (tb *LTable) smallIndexString(key string) int {
	for i := range tb.small {
		if s, ok := tb.small[i].key.(LString); ok && string(s) == key {
			return i
		}
	}
	return -1
}

// smallAdd adds a new key (value is not nil). It reports false when the
// slice form is full; the caller then moves the table to the maps.
func (tb *LTable) smallAdd(key LValue, value LValue) bool {
	if len(tb.small) >= smallHashMax {
		// Drop deleted keys first. Adding a key during a traversal is
		// undefined in Lua, so no next() can be resuming from them.
		n := 0
		for _, e := range tb.small {
			if e.value != LNil {
				tb.small[n] = e
				n++
			}
		}
		clear(tb.small[n:])
		tb.small = tb.small[:n]
		if n >= smallHashMax {
			return false
		}
	}
	if tb.small == nil {
		tb.small = make([]hashEntry, 0, 4)
	}
	tb.small = append(tb.small, hashEntry{key, value})
	return true
}

// toBig moves the hash part to the maps, keeping the keys' order.
func (tb *LTable) toBig(hcap int) {
	if n := len(tb.small); hcap < n*2 {
		hcap = n * 2
	}
	tb.keys = make([]LValue, 0, hcap)
	tb.k2i = make(map[LValue]int, hcap)
	tb.strdict = make(map[string]LValue, hcap)
	tb.ver++
	for _, e := range tb.small {
		if e.value == LNil {
			continue
		}
		if s, ok := e.key.(LString); ok {
			tb.strdict[string(s)] = e.value
		} else {
			if tb.dict == nil {
				tb.dict = make(map[LValue]LValue)
			}
			tb.dict[e.key] = e.value
		}
		tb.k2i[e.key] = len(tb.keys)
		tb.keys = append(tb.keys, e.key)
	}
	tb.small = nil
}

// Len returns length of this LTable without using __len.
func (tb *LTable) Len() int {
	if tb.array == nil {
		return 0
	}
	var prev LValue = LNil
	for i := len(tb.array) - 1; i >= 0; i-- {
		v := tb.array[i]
		if prev == LNil && v != LNil {
			return i + 1
		}
		prev = v
	}
	return 0
}

// Append appends a given LValue to this LTable.
func (tb *LTable) Append(value LValue) {
	if value == LNil {
		return
	}
	if tb.array == nil {
		tb.array = make([]LValue, 0, defaultArrayCap)
	}
	if len(tb.array) == 0 || tb.array[len(tb.array)-1] != LNil {
		tb.array = append(tb.array, value)
	} else {
		i := len(tb.array) - 2
		for ; i >= 0; i-- {
			if tb.array[i] != LNil {
				break
			}
		}
		tb.array[i+1] = value
	}
}

// Insert inserts a given LValue at position `i` in this table.
func (tb *LTable) Insert(i int, value LValue) {
	if tb.array == nil {
		tb.array = make([]LValue, 0, defaultArrayCap)
	}
	if i > len(tb.array) {
		tb.RawSetInt(i, value)
		return
	}
	if i <= 0 {
		tb.RawSet(LNumber(i), value)
		return
	}
	i -= 1
	tb.array = append(tb.array, LNil)
	copy(tb.array[i+1:], tb.array[i:])
	tb.array[i] = value
}

// MaxN returns a maximum number key that nil value does not exist before it.
func (tb *LTable) MaxN() int {
	if tb.array == nil {
		return 0
	}
	for i := len(tb.array) - 1; i >= 0; i-- {
		if tb.array[i] != LNil {
			return i + 1
		}
	}
	return 0
}

// Remove removes from this table the element at a given position.
func (tb *LTable) Remove(pos int) LValue {
	if tb.array == nil {
		return LNil
	}
	larray := len(tb.array)
	if larray == 0 {
		return LNil
	}
	i := pos - 1
	oldval := LNil
	switch {
	case i >= larray:
		// nothing to do
	case i == larray-1 || i < 0:
		oldval = tb.array[larray-1]
		tb.array = tb.array[:larray-1]
	default:
		oldval = tb.array[i]
		copy(tb.array[i:], tb.array[i+1:])
		tb.array[larray-1] = nil
		tb.array = tb.array[:larray-1]
	}
	return oldval
}

// RawSet sets a given LValue to a given index without the __newindex metamethod.
// It is recommended to use `RawSetString` or `RawSetInt` for performance
// if you already know the given LValue is a string or number.
func (tb *LTable) RawSet(key LValue, value LValue) {
	switch v := key.(type) {
	case LNumber:
		if isArrayKey(v) {
			if tb.array == nil {
				tb.array = make([]LValue, 0, defaultArrayCap)
			}
			index := int(v) - 1
			alen := len(tb.array)
			switch {
			case index == alen:
				tb.array = append(tb.array, value)
			case index > alen:
				for i := 0; i < (index - alen); i++ {
					tb.array = append(tb.array, LNil)
				}
				tb.array = append(tb.array, value)
			case index < alen:
				tb.array[index] = value
			}
			return
		}
	case LString:
		tb.rawSetString(string(v), key, value)
		return
	}

	tb.RawSetH(key, value)
}

// RawSetInt sets a given LValue at a position `key` without the __newindex metamethod.
func (tb *LTable) RawSetInt(key int, value LValue) {
	if key < 1 || key >= MaxArrayIndex {
		tb.RawSetH(LNumber(key), value)
		return
	}
	if tb.array == nil {
		tb.array = make([]LValue, 0, defaultArrayCap)
	}
	index := key - 1
	alen := len(tb.array)
	switch {
	case index == alen:
		tb.array = append(tb.array, value)
	case index > alen:
		for i := 0; i < (index - alen); i++ {
			tb.array = append(tb.array, LNil)
		}
		tb.array = append(tb.array, value)
	case index < alen:
		tb.array[index] = value
	}
}

// RawSetString sets a given LValue to a given string index without the __newindex metamethod.
func (tb *LTable) RawSetString(key string, value LValue) {
	tb.rawSetString(key, nil, value)
}

// rawSetString sets key; lkey is key as an LValue when the caller has one
// (saves boxing the string again), or nil.
func (tb *LTable) rawSetString(key string, lkey LValue, value LValue) {
	if tb.k2i == nil {
		if i := tb.smallIndexString(key); i >= 0 {
			tb.small[i].value = value
			return
		}
		if value == LNil {
			return
		}
		if lkey == nil {
			lkey = LString(key)
		}
		if tb.smallAdd(lkey, value) {
			return
		}
		tb.toBig(0)
	}
	if tb.strdict == nil {
		tb.strdict = make(map[string]LValue, defaultHashCap)
	}
	tb.ver++

	if value == LNil {
		// TODO tb.keys and tb.k2i should also be removed
		delete(tb.strdict, key)
	} else {
		tb.strdict[key] = value
		if lkey == nil {
			lkey = LString(key)
		}
		if _, ok := tb.k2i[lkey]; !ok {
			tb.k2i[lkey] = len(tb.keys)
			tb.keys = append(tb.keys, lkey)
		}
	}
}

// RawSetH sets a given LValue to a given index without the __newindex metamethod.
func (tb *LTable) RawSetH(key LValue, value LValue) {
	if s, ok := key.(LString); ok {
		tb.rawSetString(string(s), key, value)
		return
	}
	if tb.k2i == nil {
		if i := tb.smallIndex(key); i >= 0 {
			tb.small[i].value = value
			return
		}
		if value == LNil {
			return
		}
		if tb.smallAdd(key, value) {
			return
		}
		tb.toBig(0)
	}
	if tb.dict == nil {
		tb.dict = make(map[LValue]LValue, len(tb.strdict))
	}

	if value == LNil {
		// TODO tb.keys and tb.k2i should also be removed
		delete(tb.dict, key)
	} else {
		tb.dict[key] = value
		if _, ok := tb.k2i[key]; !ok {
			tb.k2i[key] = len(tb.keys)
			tb.keys = append(tb.keys, key)
		}
	}
}

// RawGet returns an LValue associated with a given key without __index metamethod.
func (tb *LTable) RawGet(key LValue) LValue {
	switch v := key.(type) {
	case LNumber:
		if isArrayKey(v) {
			if tb.array == nil {
				return LNil
			}
			index := int(v) - 1
			if index >= len(tb.array) {
				return LNil
			}
			return tb.array[index]
		}
	case LString:
		return tb.RawGetString(string(v))
	}
	return tb.rawGetOther(key)
}

// rawGetOther looks up a key that is neither a string nor an array index.
func (tb *LTable) rawGetOther(key LValue) LValue {
	if tb.k2i == nil {
		if i := tb.smallIndex(key); i >= 0 {
			return tb.small[i].value
		}
		return LNil
	}
	if tb.dict == nil {
		return LNil
	}
	if v, ok := tb.dict[key]; ok {
		return v
	}
	return LNil
}

// RawGetInt returns an LValue at position `key` without __index metamethod.
func (tb *LTable) RawGetInt(key int) LValue {
	if tb.array == nil {
		return LNil
	}
	index := int(key) - 1
	if index >= len(tb.array) || index < 0 {
		return LNil
	}
	return tb.array[index]
}

// RawGet returns an LValue associated with a given key without __index metamethod.
func (tb *LTable) RawGetH(key LValue) LValue {
	if s, sok := key.(LString); sok {
		return tb.RawGetString(string(s))
	}
	return tb.rawGetOther(key)
}

// RawGetString returns an LValue associated with a given key without __index metamethod.
func (tb *LTable) RawGetString(key string) LValue {
	if tb.k2i == nil {
		for i := range tb.small {
			if s, ok := tb.small[i].key.(LString); ok && string(s) == key {
				return tb.small[i].value
			}
		}
		return LNil
	}
	if tb.strdict == nil {
		return LNil
	}
	if v, vok := tb.strdict[key]; vok {
		return v
	}
	return LNil
}

// ForEach iterates over this table of elements, yielding each in turn to a given function.
func (tb *LTable) ForEach(cb func(LValue, LValue)) {
	if tb.array != nil {
		for i, v := range tb.array {
			if v != LNil {
				cb(intValue(i+1), v)
			}
		}
	}
	if tb.k2i == nil {
		// Index rather than range: cb may set fields of tb.
		for i := 0; i < len(tb.small); i++ {
			if e := tb.small[i]; e.value != LNil {
				cb(e.key, e.value)
			}
		}
		return
	}
	if tb.strdict != nil {
		for k, v := range tb.strdict {
			if v != LNil {
				cb(LString(k), v)
			}
		}
	}
	if tb.dict != nil {
		for k, v := range tb.dict {
			if v != LNil {
				cb(k, v)
			}
		}
	}
}

// This function is equivalent to lua_next ( http://www.lua.org/manual/5.1/manual.html#lua_next ).
// A key not in the table ends the traversal (nextKey tells it apart).
func (tb *LTable) Next(key LValue) (LValue, LValue) {
	k, v, _ := tb.nextKey(key)
	return k, v
}

// nextKey is Next that also reports whether key was in the table (false:
// "invalid key to 'next'").
func (tb *LTable) nextKey(key LValue) (LValue, LValue, bool) {
	init := false
	if key == LNil {
		key = LNumber(0)
		init = true
	}

	if init || key != LNumber(0) {
		if kv, ok := key.(LNumber); ok && isInteger(kv) && int(kv) >= 0 && kv < LNumber(MaxArrayIndex) {
			index := int(kv)
			if tb.array != nil {
				for ; index < len(tb.array); index++ {
					if v := tb.array[index]; v != LNil {
						return intValue(index + 1), v, true
					}
				}
			}
			if tb.array == nil || index == len(tb.array) {
				if tb.k2i == nil {
					k, v := tb.smallNext(0)
					return k, v, true
				}
				if (tb.dict == nil || len(tb.dict) == 0) && (tb.strdict == nil || len(tb.strdict) == 0) {
					return LNil, LNil, true
				}
				key = tb.keys[0]
				if v := tb.RawGetH(key); v != LNil {
					return key, v, true
				}
			}
		}
	}

	if tb.k2i == nil {
		if i := tb.smallIndex(key); i >= 0 {
			k, v := tb.smallNext(i + 1)
			return k, v, true
		}
		return LNil, LNil, init
	}
	start, found := tb.k2i[key]
	if !found && !init {
		return LNil, LNil, false
	}
	for i := start + 1; i < len(tb.keys); i++ {
		key := tb.keys[i]
		if v := tb.RawGetH(key); v != LNil {
			return key, v, true
		}
	}
	return LNil, LNil, true
}

// intValue boxes a positive integer, without allocating when it is small.
func intValue(i int) LValue {
	if i < int(preloadLimit) {
		return preloads[i]
	}
	return LNumber(i)
}

// smallNext returns the first live entry of tb.small from position i.
func (tb *LTable) smallNext(i int) (LValue, LValue) {
	for ; i < len(tb.small); i++ {
		if e := tb.small[i]; e.value != LNil {
			return e.key, e.value
		}
	}
	return LNil, LNil
}
