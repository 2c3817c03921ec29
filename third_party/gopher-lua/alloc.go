package lua

import (
	"math"
	"reflect"
	"unsafe"
)

// iface is an internal representation of the go-interface.
type iface struct {
	itab unsafe.Pointer
	word unsafe.Pointer
}

const preloadLimit LNumber = 128

var _fv float64
var _uv uintptr

var preloads [int(preloadLimit)]LValue

func init() {
	for i := 0; i < int(preloadLimit); i++ {
		preloads[i] = LNumber(i)
	}
}

// allocator is a fast bulk memory allocator for the LValue.
type allocator struct {
	size    int
	fptrs   []float64
	fheader *reflect.SliceHeader

	scratchValue  LValue
	scratchValueP *iface

	// goresty: strings, boxed the same way (see LString2I)
	sptrs          []LString
	sscratchValue  LValue
	sscratchValueP *iface
}

func newAllocator(size int) *allocator {
	al := &allocator{
		size:    size,
		fptrs:   make([]float64, 0, size),
		fheader: nil,
	}
	al.fheader = (*reflect.SliceHeader)(unsafe.Pointer(&al.fptrs))
	al.scratchValue = LNumber(0)
	al.scratchValueP = (*iface)(unsafe.Pointer(&al.scratchValue))
	al.sscratchValue = LString("")
	al.sscratchValueP = (*iface)(unsafe.Pointer(&al.sscratchValue))

	return al
}

// LString2I is LNumber2I for strings (goresty): the string header is
// stored in a block of al.size headers, so boxing a string as an LValue
// costs no allocation of its own. A block stays alive while any string
// boxed in it is referenced. Only short strings go in blocks, so what a
// block can keep alive is bounded (al.size x (16 + maxBlockString) bytes):
// a long string (a request body, an encoded document) is boxed on its own
// and never pinned by its neighbours.
// maxBlockString is the longest string LString2I boxes in a block.
const maxBlockString = 64

func (al *allocator) LString2I(v LString) LValue {
	if len(v) == 0 {
		return emptyLString // a constant: no allocation
	}
	if len(v) > maxBlockString {
		return v
	}
	if cap(al.sptrs) == len(al.sptrs) {
		al.sptrs = make([]LString, 0, al.size)
	}
	al.sptrs = append(al.sptrs, v)
	al.sscratchValueP.word = unsafe.Pointer(&al.sptrs[len(al.sptrs)-1])
	return al.sscratchValue
}

// LNumber2I takes a number value and returns an interface LValue representing the same number.
// Converting an LNumber to a LValue naively, by doing:
// `var val LValue = myLNumber`
// will result in an individual heap alloc of 8 bytes for the float value. LNumber2I amortizes the cost and memory
// overhead of these allocs by allocating blocks of floats instead.
// The downside of this is that all of the floats on a given block have to become eligible for gc before the block
// as a whole can be gc-ed.
func (al *allocator) LNumber2I(v LNumber) LValue {
	// first check for shared preloaded numbers
	// goresty: not for -0, which must stay -0
	if v >= 0 && v < preloadLimit && float64(v) == float64(int64(v)) && (v != 0 || !math.Signbit(float64(v))) {
		return preloads[int(v)]
	}

	// check if we need a new alloc page
	if cap(al.fptrs) == len(al.fptrs) {
		al.fptrs = make([]float64, 0, al.size)
		al.fheader = (*reflect.SliceHeader)(unsafe.Pointer(&al.fptrs))
	}

	// alloc a new float, and store our value into it
	al.fptrs = append(al.fptrs, float64(v))
	fptr := &al.fptrs[len(al.fptrs)-1]

	// hack our scratch LValue to point to our allocated value
	// this scratch lvalue is copied when this function returns meaning the scratch value can be reused
	// on the next call
	al.scratchValueP.word = unsafe.Pointer(fptr)

	return al.scratchValue
}
