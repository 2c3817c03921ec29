package proxycache

import (
	"bufio"
	"container/list"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Zone is a proxy_cache_path: the index of the cached responses in
// memory (keys_zone) and their files under path, shared by every worker
// and kept across reloads.
type Zone struct {
	name     string
	size     int64 // keys_zone size
	path     string
	levels   []int
	maxNodes int

	loadOnce sync.Once
	cold     atomic.Bool // the loader has not read the directory yet
	tmpSeq   atomic.Uint64

	mu       sync.Mutex
	maxSize  int64
	inactive time.Duration
	nodes    map[[16]byte]*node
	lru      list.List // most recently used first
	used     int64     // bytes of the files
}

// node is one key's entry (nginx's ngx_http_file_cache_node_t).
type node struct {
	hash     [16]byte
	elem     *list.Element
	uses     int
	count    int  // requests holding it
	exists   bool // its file is complete on disk
	fsize    int64
	accessed time.Time
	// updating: one request fetches it (a lock or a stale entry being
	// refreshed); done is closed when it ends
	updating bool
	lockTime time.Time
	done     chan struct{}
}

// nodeCost is roughly what nginx's node takes in the keys zone (one
// megabyte holds about 8000 keys).
const nodeCost = 128

func (z *Zone) init() {
	z.nodes = map[[16]byte]*node{}
	z.maxNodes = int(z.size / nodeCost)
	z.cold.Store(true)
}

func (z *Zone) setBounds(maxSize int64, inactive time.Duration) {
	z.mu.Lock()
	z.maxSize, z.inactive = maxSize, inactive
	z.mu.Unlock()
}

// filePath is nginx's layout: the hash in hex, the levels' directories
// taken from its end (levels=1:2: /c/29/b7f5...029c).
func (z *Zone) filePath(h [16]byte) string {
	name := hex.EncodeToString(h[:])
	var b strings.Builder
	b.Grow(len(z.path) + 40)
	b.WriteString(z.path)
	end := len(name)
	for _, l := range z.levels {
		b.WriteByte('/')
		b.WriteString(name[end-l : end])
		end -= l
	}
	b.WriteByte('/')
	b.WriteString(name)
	return b.String()
}

// acquire finds or makes the node of h and holds it; a full zone drops
// its least recently used entry that nobody holds (nginx's forced expire).
func (z *Zone) acquire(h [16]byte, now time.Time) *node {
	var drop []string
	z.mu.Lock()
	n := z.nodes[h]
	if n == nil {
		for len(z.nodes) >= z.maxNodes {
			p := z.dropLRULocked()
			if p == "" {
				break
			}
			drop = append(drop, p)
		}
		n = &node{hash: h}
		n.elem = z.lru.PushFront(n)
		z.nodes[h] = n
	} else {
		z.lru.MoveToFront(n.elem)
	}
	n.uses++
	n.count++
	n.accessed = now
	z.mu.Unlock()
	removeFiles(drop)
	return n
}

// release lets a request's hold of n go.
func (z *Zone) release(n *node, updating bool) {
	z.mu.Lock()
	n.count--
	if updating && n.updating {
		n.updating = false
		if n.done != nil {
			close(n.done)
			n.done = nil
		}
	}
	z.mu.Unlock()
}

// dropLRULocked removes the least recently used node nobody holds and
// returns its file's path ("" when none can go).
func (z *Zone) dropLRULocked() string {
	for e := z.lru.Back(); e != nil; e = e.Prev() {
		n := e.Value.(*node)
		if n.count > 0 {
			continue
		}
		return z.removeLocked(n)
	}
	return ""
}

func (z *Zone) removeLocked(n *node) string {
	z.lru.Remove(n.elem)
	delete(z.nodes, n.hash)
	if !n.exists {
		return ""
	}
	z.used -= n.fsize
	return z.filePath(n.hash)
}

func removeFiles(paths []string) {
	for _, p := range paths {
		if p != "" {
			os.Remove(p)
		}
	}
}

// expire removes the entries not used for inactive, then the least
// recently used ones while the files exceed max_size (the cache manager).
func (z *Zone) expire(now time.Time) {
	var drop []string
	z.mu.Lock()
	for e := z.lru.Back(); e != nil; {
		n := e.Value.(*node)
		prev := e.Prev()
		if now.Sub(n.accessed) < z.inactive {
			break
		}
		if n.count == 0 {
			drop = append(drop, z.removeLocked(n))
		}
		e = prev
	}
	drop = append(drop, z.shrinkLocked()...)
	z.mu.Unlock()
	removeFiles(drop)
}

func (z *Zone) shrinkLocked() []string {
	var drop []string
	for z.maxSize > 0 && z.used > z.maxSize {
		p := z.dropLRULocked()
		if p == "" {
			break
		}
		drop = append(drop, p)
	}
	return drop
}

// The cache file: goresty's own header (nginx's binary header is its
// internal format), then the upstream's response header as it is sent
// again, then the body.
//
//	GORESTY-CACHE 1\n
//	<valid> <date> <last-modified> <updating> <error> <header start> <body start>\n  (fixed width)
//	KEY: <key>\n
//	ETAG: <etag>\n
//	VARY: <vary>\n
//	VARIANT: <hex>\n
//	\n
//	HTTP/1.1 200 OK\r\n ... \r\n\r\n
//	body
const (
	fileMagic   = "GORESTY-CACHE 1\n"
	fixedOffset = len(fileMagic)
	fixedLen    = 20*3 + 10*4 + 7
	maxMetaLen  = 4096
)

// meta is a cache file's header.
type meta struct {
	valid, date, lastModified int64 // unix seconds; lastModified -1: none
	updatingSec, errorSec     int64
	headerStart, bodyStart    int64
	key, etag, vary, variant  string
}

func (m *meta) fixed() string {
	return fmt.Sprintf("%020d %020d %020d %010d %010d %010d %010d\n", m.valid, m.date, m.lastModified,
		m.updatingSec, m.errorSec, m.headerStart, m.bodyStart)
}

// encode is the file's header up to the response header.
func (m *meta) encode(b []byte) []byte {
	b = append(b, fileMagic...)
	b = append(b, m.fixed()...)
	b = append(b, "KEY: "...)
	b = append(b, m.key...)
	b = append(b, "\nETAG: "...)
	b = append(b, m.etag...)
	b = append(b, "\nVARY: "...)
	b = append(b, m.vary...)
	b = append(b, "\nVARIANT: "...)
	b = append(b, m.variant...)
	return append(b, "\n\n"...)
}

var errBadFile = errors.New("invalid cache file")

// readMeta reads a cache file's header.
func readMeta(br *bufio.Reader) (*meta, error) {
	line := func() (string, error) {
		s, err := br.ReadString('\n')
		if err != nil {
			return "", errBadFile
		}
		if len(s) > maxMetaLen {
			return "", errBadFile
		}
		return s[:len(s)-1], nil
	}
	s, err := line()
	if err != nil || s+"\n" != fileMagic {
		return nil, errBadFile
	}
	if s, err = line(); err != nil {
		return nil, err
	}
	f := strings.Fields(s)
	if len(f) != 7 {
		return nil, errBadFile
	}
	var v [7]int64
	for i := range f {
		if v[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
			return nil, errBadFile
		}
	}
	m := &meta{valid: v[0], date: v[1], lastModified: v[2], updatingSec: v[3], errorSec: v[4], headerStart: v[5], bodyStart: v[6]}
	for _, p := range []struct {
		name string
		to   *string
	}{{"KEY: ", &m.key}, {"ETAG: ", &m.etag}, {"VARY: ", &m.vary}, {"VARIANT: ", &m.variant}} {
		if s, err = line(); err != nil {
			return nil, err
		}
		var ok bool
		if *p.to, ok = strings.CutPrefix(s, p.name); !ok {
			return nil, errBadFile
		}
	}
	if s, err = line(); err != nil || s != "" {
		return nil, errBadFile
	}
	if m.headerStart <= 0 || m.bodyStart < m.headerStart {
		return nil, errBadFile
	}
	return m, nil
}

// updateValid rewrites the fixed part of a cache file's header in place
// (a 304 that revalidated it).
func updateValid(path string, m *meta) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt([]byte(m.fixed()), int64(fixedOffset))
	return err
}

// Writer writes a response to a temporary file beside its place and
// renames it there when the body is complete.
type Writer struct {
	z    *Zone
	n    *node
	f    *os.File
	bw   *bufio.Writer
	path string
	size int64
	err  error
}

func (z *Zone) create(n *node, m *meta, head []byte) (*Writer, error) {
	path := z.filePath(n.hash)
	tmp := fmt.Sprintf("%s.%d.tmp", path, z.tmpSeq.Add(1))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	if err != nil {
		return nil, err
	}
	w := &Writer{z: z, n: n, f: f, bw: bufio.NewWriterSize(f, 32<<10), path: path}
	hdr := m.encode(nil)
	m.headerStart = int64(len(hdr))
	m.bodyStart = m.headerStart + int64(len(head))
	hdr = m.encode(hdr[:0])
	w.Write(hdr)
	w.Write(head)
	return w, w.err
}

// Write adds body bytes.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.size += int64(n)
	w.err = err
	return n, err
}

// Abort drops the temporary file.
func (w *Writer) Abort() {
	if w.f == nil {
		return
	}
	w.f.Close()
	os.Remove(w.f.Name())
	w.f = nil
}

// Commit puts the complete file in place and in the index.
func (w *Writer) Commit() error {
	if w.f == nil {
		return errBadFile
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	tmp := w.f.Name()
	if err := w.f.Close(); w.err == nil {
		w.err = err
	}
	w.f = nil
	if w.err == nil {
		w.err = os.Rename(tmp, w.path)
	}
	if w.err != nil {
		os.Remove(tmp)
		return w.err
	}
	z := w.z
	z.mu.Lock()
	n := w.n
	if z.nodes[n.hash] != n {
		// dropped meanwhile: the file is the new entry's
		n = &node{hash: n.hash, accessed: time.Now()}
		n.elem = z.lru.PushFront(n)
		z.nodes[n.hash] = n
	}
	if n.exists {
		z.used -= n.fsize
	}
	n.exists, n.fsize = true, w.size
	z.used += w.size
	drop := z.shrinkLocked()
	z.mu.Unlock()
	removeFiles(drop)
	return nil
}

// load walks the zone's directory (nginx's cache loader): complete files
// join the index, temporary ones left by a stop are removed.
func (z *Zone) load(ctx context.Context) {
	defer z.cold.Store(false)
	filepath.WalkDir(z.path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(p)
			return nil
		}
		var h [16]byte
		if len(name) != 32 {
			return nil
		}
		if _, err := hex.Decode(h[:], []byte(name)); err != nil || z.filePath(h) != p {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		z.mu.Lock()
		if n := z.nodes[h]; n == nil && len(z.nodes) < z.maxNodes {
			n = &node{hash: h, exists: true, fsize: info.Size(), accessed: time.Now()}
			n.elem = z.lru.PushBack(n)
			z.nodes[h] = n
			z.used += n.fsize
		}
		z.mu.Unlock()
		return nil
	})
	var drop []string
	z.mu.Lock()
	drop = z.shrinkLocked()
	z.mu.Unlock()
	removeFiles(drop)
}

// hashKey is the md5 of a cache key.
func hashKey(key string) [16]byte { return md5.Sum([]byte(key)) }

// openFile opens a cache file and reads its header.
func openFile(path string) (*os.File, *meta, *bufio.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	br := bufio.NewReaderSize(f, 4096)
	m, err := readMeta(br)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return f, m, br, nil
}

var _ io.Writer = (*Writer)(nil)
