package lua

import "unsafe"

// goresty: per-call-site caches for reads of a constant string key
// (GETGLOBAL, GETTABLEKS) from a table whose hash part is a map (more
// than 12 keys: _G, ngx, string, library tables). A site remembers the
// table, the table's version and the value it read; a hit costs two
// compares instead of hashing the key. Any change of the table's string
// map bumps its version (rawSetString, toBig, Clear), so a cached value is
// the table's raw value for that key: raw hits take precedence over
// __index, and misses (absent keys) are never cached.
//
// Protos are shared by the worker states, so they hold only the site
// numbers (immutable once compiled); the caches belong to the closure
// (LFunction), which runs in one state at a time. A closure gets its
// cache after icAllocAfter lookups on such tables, so closures made and
// dropped per request do not pay for it.

type icEntry struct {
	tb  *LTable
	ver uint64
	key string // the site's key (a guard: the proto's constant, compared by its data pointer)
	val LValue
}

const icAllocAfter = 8

// assignICSites numbers the cacheable instructions of p and its nested
// functions.
func assignICSites(p *FunctionProto) {
	n := 0
	for pc, inst := range p.Code {
		op := opGetOpCode(inst)
		if op == OP_GETGLOBAL || (op == OP_GETTABLEKS && opGetArgC(inst)&opBitRk != 0) {
			if n == 0 {
				p.icSite = make([]uint16, len(p.Code))
			}
			if n == 1<<16-1 {
				break // the sites after it are not cached
			}
			n++
			p.icSite[pc] = uint16(n) // 0: no site
		}
	}
	if n == 0 {
		p.icSite = nil
	}
	p.icN = n
	for _, c := range p.FunctionPrototypes {
		assignICSites(c)
	}
}

// icGetString reads key from tb through the cache of cl's instruction
// at pc; ok is false when the cache does not apply or the key is absent
// (the caller then takes the full path, metamethods included).
func icGetString(cl *LFunction, pc int, tb *LTable, key string) (LValue, bool) {
	if tb.strdict == nil {
		return nil, false
	}
	ic := cl.ic
	if ic == nil {
		p := cl.Proto
		if cl.icMiss < icAllocAfter || p.icN == 0 {
			if cl.icMiss < icAllocAfter {
				cl.icMiss++
			}
			return nil, false
		}
		ic = make([]icEntry, p.icN)
		cl.ic = ic
	}
	site := cl.Proto.icSite
	if pc >= len(site) || site[pc] == 0 {
		return nil, false
	}
	e := &ic[site[pc]-1]
	if e.tb == tb && e.ver == tb.ver && unsafe.StringData(e.key) == unsafe.StringData(key) {
		return e.val, true
	}
	v, ok := tb.strdict[key]
	if !ok {
		return nil, false
	}
	e.tb, e.ver, e.key, e.val = tb, tb.ver, key, v
	return v, true
}
