package shdict

// slab approximates nginx's slab allocator for one zone, so that
// capacity, free_space, "no memory" and forced eviction happen at about
// the same fill level as in nginx: 4 KiB pages, power-of-two slot classes
// from 8 to 2048 bytes (a page holds slots of one class), whole pages for
// bigger allocations. Unlike nginx, a page is given back as soon as the
// class's live slots fit in one page fewer (no fragmentation).
type slab struct {
	pages     int // usable pages of the zone
	freePages int
	classes   [9]slabClass // shifts 3..11
}

type slabClass struct {
	used  int
	pages int
}

const (
	pageSize  = 4096
	pageShift = 12
	minShift  = 3
	maxSlot   = pageSize / 2
	// sizeof(ngx_slab_page_t) and the pool header with its per-class
	// slots and stats on 64-bit nginx.
	pageDescSize = 24
	poolHeader   = 704
)

// newSlab sizes the pool like ngx_slab_init does for a zone of size
// bytes.
func newSlab(size int64) slab {
	avail := size - poolHeader
	if avail < 0 {
		avail = 0
	}
	pages := int(avail / (pageSize + pageDescSize))
	start := alignUp(int64(poolHeader)+int64(pages)*pageDescSize, pageSize)
	if fit := int((size - start) / pageSize); fit < pages {
		pages = fit
	}
	if pages < 0 {
		pages = 0
	}
	return slab{pages: pages, freePages: pages}
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

func slotShift(n int) int {
	s := minShift
	for 1<<s < n {
		s++
	}
	return s
}

// slotsPerPage: small classes keep their bitmap at the start of the page.
func slotsPerPage(shift int) int {
	size := 1 << shift
	n := pageSize / size
	if size < 64 {
		bitmap := (n + 7) / 8
		n -= (bitmap + size - 1) / size
	}
	return n
}

func (s *slab) alloc(n int) bool {
	if n > maxSlot {
		p := (n + pageSize - 1) / pageSize
		if s.freePages < p {
			return false
		}
		s.freePages -= p
		return true
	}
	shift := slotShift(n)
	c := &s.classes[shift-minShift]
	if c.used < c.pages*slotsPerPage(shift) {
		c.used++
		return true
	}
	if s.freePages == 0 {
		return false
	}
	s.freePages--
	c.pages++
	c.used++
	return true
}

func (s *slab) free(n int) {
	if n > maxSlot {
		s.freePages += (n + pageSize - 1) / pageSize
		return
	}
	shift := slotShift(n)
	c := &s.classes[shift-minShift]
	c.used--
	if c.used <= (c.pages-1)*slotsPerPage(shift) {
		c.pages--
		s.freePages++
	}
}

// Allocation sizes of lua-nginx-module's shared dict structures on 64-bit:
// the rbtree node up to its color field (32) + ngx_http_lua_shdict_node_t
// up to data (36), and ngx_http_lua_shdict_list_node_t up to data (21).
const (
	nodeOverhead     = 32 + 36
	listHeadSize     = 16 // ngx_queue_t after the key of a list entry
	listNodeOverhead = 21
	zoneCtxSize      = 80 // ngx_http_lua_shdict_shctx_t
	logCtxBase       = 27 // sizeof(" in lua_shared_dict zone \"\"")
)

func nodeSize(keyLen, valueLen int) int { return nodeOverhead + keyLen + valueLen }

func listEntrySize(keyLen int) int {
	return int(alignUp(int64(nodeOverhead+keyLen+listHeadSize), 8))
}
