package proxycache

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/httpd"
)

// Status is $upstream_cache_status.
type Status uint8

// The cache statuses (nginx's NGX_HTTP_CACHE_*).
const (
	StatusNone Status = iota
	StatusMiss
	StatusBypass
	StatusExpired
	StatusStale
	StatusUpdating
	StatusRevalidated
	StatusHit
)

var statusNames = [...]string{"", "MISS", "BYPASS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED", "HIT"}

// Header is one upstream response header.
type Header struct{ Name, Value string }

// Cache is a request's use of the cache (ngx_http_cache_t with the
// upstream's cache state).
type Cache struct {
	Status Status

	s         *locConf
	z         *Zone
	key       string
	hash      [16]byte
	mainHash  [16]byte
	switched  bool // looked up under the variant's key (Vary)
	variant   string
	n         *node
	updating  bool // this request holds the node's updating mark
	cacheable bool
	serve     bool // answer from the file
	bg        bool // then refresh the entry (proxy_cache_background_update)

	f            *os.File
	m            *meta
	br           *bufio.Reader
	staleError   bool
	lockDeadline time.Time
	lockTimedOut bool
	w            *Writer
}

// Of is the request's cache state, nil when the request uses no cache.
func Of(r *httpd.Request) *Cache {
	c, _ := Module.ReqCtx(r).(*Cache)
	return c
}

func release(v any) {
	c := v.(*Cache)
	if c.w != nil {
		c.w.Abort()
		c.w = nil
	}
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
	if c.n != nil {
		c.z.release(c.n, c.updating)
		c.n = nil
	}
}

// predicates is ngx_http_test_predicates: true when a value is neither
// empty nor "0".
func predicates(r *httpd.Request, vs []*httpd.Value) bool {
	for _, v := range vs {
		if s := v.Eval(r); s != "" && s != "0" {
			return true
		}
	}
	return false
}

// lookup results.
const (
	rcMiss = iota // go to the upstream, store the answer
	rcScarce
	rcHit
	rcStale
	rcUpdating
	rcWait
)

// Begin is ngx_http_upstream_cache: for a location with proxy_cache, it
// finds the request's entry (waiting on proxy_cache_lock) and tells
// whether the request is answered from the cache (Serve) or goes to the
// upstream. nil: the request does not use the cache. ok false: the
// request was finalized (an unknown cache zone). Without
// proxy_cache_key the key is the URL requested upstream (nginx's
// ngx_http_proxy_create_key): urlStart ("http://host"), uri and args.
func Begin(r *httpd.Request, urlStart, uri, args string) (c *Cache, ok bool) {
	s := confOf(r.Loc())
	name := s.zoneName
	if s.zoneVar != nil {
		name = s.zoneVar.Eval(r)
		if name == "" || name == "off" {
			return nil, true
		}
	}
	if name == "" {
		return nil, true
	}
	z := mainOf(r.Runtime()).zones[name]
	if z == nil {
		r.Logf(httpd.LogErr, "cache \"%s\" not found", name)
		r.Finalize(500)
		return nil, false
	}
	if methodBit(r.Method())&s.methods == 0 {
		return nil, true
	}
	c = &Cache{s: s, z: z, cacheable: true}
	Module.SetReqCtx(r, c)
	if s.key != nil {
		c.key = s.key.Eval(r)
	} else {
		c.key = urlStart + uri
		if args != "" {
			c.key += "?" + args
		}
	}
	c.hash = hashKey(c.key)
	c.mainHash = c.hash
	if predicates(r, s.bypass) {
		c.Status = StatusBypass
		return c, true
	}
	c.Status = StatusMiss
	c.lockDeadline = time.Now().Add(s.lockTimeout)
	rc := c.open(r)
	switch rc {
	case rcStale:
		if (s.useStale&FtUpdating != 0 || c.staleUpdating()) && s.background == 1 {
			c.Status, c.serve, c.bg = StatusStale, true, true
			return c, true
		}
	case rcUpdating:
		if s.useStale&FtUpdating != 0 || c.staleUpdating() {
			c.Status, c.serve = StatusUpdating, true
			return c, true
		}
		rc = rcStale
	case rcHit:
		c.Status, c.serve = StatusHit, true
		return c, true
	case rcScarce:
		c.cacheable = false
	}
	if rc == rcStale {
		c.Status = StatusExpired
	}
	return c, true
}

func (c *Cache) staleUpdating() bool {
	return c.m != nil && c.m.valid+c.m.updatingSec >= time.Now().Unix()
}

// open finds the entry: in the index, or on disk while the loader has
// not read the directory yet; a missing one is fetched by one request at
// a time with proxy_cache_lock.
func (c *Cache) open(r *httpd.Request) int {
	z := c.z
	c.n = z.acquire(c.hash, time.Now())
	for {
		n := c.n
		z.mu.Lock()
		exists := n.exists
		uses := n.uses
		z.mu.Unlock()
		if exists || z.cold.Load() {
			rc, again := c.openFile(r)
			if again {
				continue
			}
			if rc >= 0 {
				return rc
			}
		}
		if c.s.minUses > 1 && uses < c.s.minUses {
			return rcScarce
		}
		rc := c.lock(r)
		if rc != rcWait {
			return rc
		}
	}
}

// openFile reads the entry's file: -1 when there is none; again when the
// lookup moved to the variant's key.
func (c *Cache) openFile(r *httpd.Request) (rc int, again bool) {
	z, n := c.z, c.n
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
	f, m, br, err := openFile(z.filePath(c.hash))
	if err != nil {
		z.mu.Lock()
		if n.exists {
			n.exists = false
			z.used -= n.fsize
		}
		z.mu.Unlock()
		return -1, false
	}
	if m.key != c.key {
		f.Close()
		r.Logf(errlog.Crit, "cache file \"%s\" has md5 collision", z.filePath(c.hash))
		return rcScarce, false
	}
	if m.vary != "" && !c.switched {
		if v := variant(r, m.vary); v != m.variant {
			// another variant: it has a key of its own
			f.Close()
			c.switched, c.variant = true, v
			z.release(n, false)
			c.hash = md5.Sum(append(c.mainHash[:], v...))
			c.n = z.acquire(c.hash, time.Now())
			return 0, true
		}
	}
	c.f, c.m, c.br = f, m, br
	now := time.Now().Unix()
	z.mu.Lock()
	defer z.mu.Unlock()
	if !n.exists {
		if info, err := f.Stat(); err == nil {
			n.exists, n.fsize = true, info.Size()
			z.used += n.fsize
		}
	}
	if m.valid >= now {
		return rcHit, false
	}
	c.staleError = m.valid+m.errorSec >= now
	if n.updating {
		return rcUpdating, false
	}
	n.updating, n.done, c.updating = true, make(chan struct{}), true
	return rcStale, false
}

// lock is ngx_http_file_cache_lock: the first request fetches a missing
// entry; the others wait for it, up to proxy_cache_lock_timeout, and
// take over after proxy_cache_lock_age.
func (c *Cache) lock(r *httpd.Request) int {
	s, z, n := c.s, c.z, c.n
	if s.lock != 1 {
		return rcMiss
	}
	now := time.Now()
	z.mu.Lock()
	if !n.updating || !now.Before(n.lockTime) {
		n.updating, c.updating = true, true
		n.lockTime = now.Add(s.lockAge)
		if n.done == nil {
			n.done = make(chan struct{})
		}
		z.mu.Unlock()
		return rcMiss
	}
	done := n.done
	until := n.lockTime
	z.mu.Unlock()
	if c.lockTimedOut {
		return rcScarce
	}
	if c.lockDeadline.Before(until) {
		until = c.lockDeadline
	}
	r.Unlocked(func() {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
	})
	if !time.Now().Before(c.lockDeadline) {
		r.Logf(httpd.LogInfo, "cache lock timeout")
		c.lockTimedOut = true
	}
	return rcWait
}

// Serve reports an answer from the cache.
func (c *Cache) Serve() bool { return c.serve }

// Background reports that the entry is refreshed after the stale answer.
func (c *Cache) Background() bool { return c.bg }

// Cached is the stored response: its header (a status line and header
// lines, read from br) and its body.
func (c *Cache) Cached() (header *bufio.Reader, body io.Reader, length int64) {
	info, err := c.f.Stat()
	size := int64(0)
	if err == nil {
		size = info.Size()
	}
	length = size - c.m.bodyStart
	if length < 0 {
		length = 0
	}
	return c.br, io.NewSectionReader(c.f, c.m.bodyStart, length), length
}

// UpstreamMethod is the method sent upstream: a HEAD goes as a GET with
// proxy_cache_convert_head (the answer is stored for both).
func (c *Cache) UpstreamMethod(method string) string {
	if method == "HEAD" && c.s.convertHead == 1 {
		return "GET"
	}
	return method
}

// StaleOnError answers with the expired entry when the upstream failed
// with a failure proxy_cache_use_stale names (or within the entry's
// stale-if-error time).
func (c *Cache) StaleOnError(mask uint32) bool {
	if c.Status != StatusExpired || mask == 0 || (c.s.useStale&mask == 0 && !c.staleError) {
		return false
	}
	c.Status, c.serve = StatusStale, true
	return true
}

// NotModified handles a 304 to a revalidation (proxy_cache_revalidate):
// the entry is answered and its validity renewed.
func (c *Cache) NotModified(r *httpd.Request, status int, hs []Header) bool {
	if status != 304 || c.Status != StatusExpired || c.s.revalidate != 1 {
		return false
	}
	v := c.validity(hs, status)
	if v.valid == 0 {
		if secs := c.validFor(status); secs > 0 {
			v.valid = time.Now().Unix() + secs
		}
	}
	if v.valid != 0 {
		c.m.valid, c.m.updatingSec, c.m.errorSec = v.valid, v.updatingSec, v.errorSec
		c.m.date = time.Now().Unix()
		updateValid(c.z.filePath(c.hash), c.m)
	}
	c.Status, c.serve = StatusRevalidated, true
	return true
}

// Conditional is what a revalidation sends: the entry's Last-Modified
// and ETag ("" for none).
func (c *Cache) Conditional() (lastModified, etag string) {
	if c.Status != StatusExpired || c.s.revalidate != 1 || c.m == nil {
		return "", ""
	}
	if c.m.lastModified >= 0 {
		lastModified = time.Unix(c.m.lastModified, 0).UTC().Format(http.TimeFormat)
	}
	return lastModified, c.m.etag
}

type validity struct {
	valid, updatingSec, errorSec int64
	cacheable                    bool
	vary                         string
}

// validity reads the upstream header as nginx's header handlers do:
// X-Accel-Expires, Cache-Control, Expires, Set-Cookie and Vary, in the
// order they come, unless proxy_ignore_headers names them.
func (c *Cache) validity(hs []Header, status int) validity {
	v := validity{cacheable: true}
	ign := c.s.ignore
	now := time.Now().Unix()
	xae := false
	for _, h := range hs {
		switch {
		case strings.EqualFold(h.Name, "X-Accel-Expires"):
			if ign&ignXAccelExpires != 0 {
				continue
			}
			xae = true
			val := h.Value
			if at, ok := strings.CutPrefix(val, "@"); ok {
				if n, ok := atoi(at); ok {
					v.valid = n
				}
				continue
			}
			n, ok := atoi(val)
			switch {
			case !ok:
			case n == 0:
				v.cacheable = false
			default:
				v.valid = now + n
			}
		case strings.EqualFold(h.Name, "Cache-Control"):
			if ign&ignCacheControl != 0 || (v.valid != 0 && xae) {
				continue
			}
			cacheControl(h.Value, now, &v)
		case strings.EqualFold(h.Name, "Expires"):
			if ign&ignExpires != 0 || v.valid != 0 {
				continue
			}
			t, err := http.ParseTime(h.Value)
			if err != nil || t.Unix() < now {
				v.cacheable = false
				continue
			}
			v.valid = t.Unix()
		case strings.EqualFold(h.Name, "Set-Cookie"):
			if ign&ignSetCookie == 0 {
				v.cacheable = false
			}
		case strings.EqualFold(h.Name, "Vary"):
			if ign&ignVary != 0 || !v.cacheable {
				continue
			}
			if len(h.Value) > 128 || h.Value == "*" {
				v.cacheable = false
			}
			v.vary = h.Value
		}
	}
	return v
}

// cacheControl is ngx_http_upstream_process_cache_control.
func cacheControl(val string, now int64, v *validity) {
	l := strings.ToLower(val)
	if strings.Contains(l, "no-cache") || strings.Contains(l, "no-store") || strings.Contains(l, "private") {
		v.cacheable = false
		return
	}
	i, off := strings.Index(l, "s-maxage="), 9
	if i < 0 {
		i, off = strings.Index(l, "max-age="), 8
	}
	if i >= 0 {
		n, ok := ccNumber(l[i+off:])
		if !ok || n == 0 {
			v.cacheable = false
			return
		}
		v.valid = now + n
	}
	if i := strings.Index(l, "stale-while-revalidate="); i >= 0 {
		n, ok := ccNumber(l[i+23:])
		if !ok {
			v.cacheable = false
			return
		}
		v.updatingSec, v.errorSec = n, n
	}
	if i := strings.Index(l, "stale-if-error="); i >= 0 {
		n, ok := ccNumber(l[i+15:])
		if !ok {
			v.cacheable = false
			return
		}
		v.errorSec = n
	}
}

// ccNumber reads digits up to ',', ';' or ' ' (anything else: invalid).
func ccNumber(s string) (int64, bool) {
	var n int64
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == ',' || ch == ';' || ch == ' ' {
			break
		}
		if ch < '0' || ch > '9' || n > 1<<40 {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	return n, true
}

// atoi is ngx_atoi: digits only.
func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || s[0] == '+' {
		return 0, false
	}
	return n, true
}

// validFor is ngx_http_file_cache_valid: the first proxy_cache_valid of
// the status or "any".
func (c *Cache) validFor(status int) int64 {
	for _, v := range c.s.valid {
		if v.status == 0 || v.status == status {
			return v.secs
		}
	}
	return 0
}

// variant is the hash of the request header values that Vary names.
func variant(r *httpd.Request, vary string) string {
	h := md5.New()
	in := r.Header()
	for _, name := range strings.Split(vary, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		io.WriteString(h, name)
		io.WriteString(h, ":")
		for k, val := range in.All() {
			if strings.EqualFold(httpd.B2S(k), name) {
				h.Write(val)
				io.WriteString(h, ",")
			}
		}
		io.WriteString(h, "\r\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// framing are the upstream headers not stored (the body is stored
// decoded; an answer that had no Content-Length is sent again without
// one, as nginx does).
var framing = []string{"Connection", "Keep-Alive", "Transfer-Encoding"}

// Store decides whether the upstream's answer is stored (proxy_no_cache,
// the headers, proxy_cache_valid) and returns the writer its body goes
// to, nil when it is not stored.
func (c *Cache) Store(r *httpd.Request, status int, hs []Header) *Writer {
	if !c.cacheable || predicates(r, c.s.noCache) {
		return nil
	}
	v := c.validity(hs, status)
	if !v.cacheable {
		return nil
	}
	now := time.Now().Unix()
	if v.valid == 0 {
		if secs := c.validFor(status); secs > 0 {
			v.valid = now + secs
		}
	}
	if v.valid == 0 {
		return nil
	}
	m := &meta{valid: v.valid, date: now, lastModified: -1, updatingSec: v.updatingSec, errorSec: v.errorSec, key: c.key, vary: v.vary}
	if status == 200 || status == 206 {
		for _, h := range hs {
			switch {
			case strings.EqualFold(h.Name, "Last-Modified"):
				if t, err := http.ParseTime(h.Value); err == nil {
					m.lastModified = t.Unix()
				}
			case strings.EqualFold(h.Name, "ETag"):
				m.etag = h.Value
			}
		}
	}
	if v.vary != "" {
		m.variant = variant(r, v.vary)
	}
	// an answer without Vary to a variant's lookup goes to the main key
	if c.switched && v.vary == "" {
		c.switchTo(c.mainHash)
	}
	if c.n == nil {
		c.n = c.z.acquire(c.hash, time.Now())
	}
	head := make([]byte, 0, 256)
	head = append(head, "HTTP/1.1 "...)
	head = strconv.AppendInt(head, int64(status), 10)
	head = append(head, " X\r\n"...)
next:
	for _, h := range hs {
		for _, f := range framing {
			if strings.EqualFold(h.Name, f) {
				continue next
			}
		}
		head = append(head, h.Name...)
		head = append(head, ": "...)
		head = append(head, h.Value...)
		head = append(head, "\r\n"...)
	}
	head = append(head, "\r\n"...)
	w, err := c.z.create(c.n, m, head)
	if err != nil {
		r.Logf(errlog.Crit, "cache file \"%s\" could not be created: %v", c.z.filePath(c.hash), err)
		return nil
	}
	c.w = w
	return w
}

func (c *Cache) switchTo(h [16]byte) {
	if c.n != nil {
		c.z.release(c.n, c.updating)
		c.updating = false
	}
	c.hash, c.switched = h, false
	c.n = c.z.acquire(h, time.Now())
}

// Commit puts a stored answer whose body is complete in the cache.
func (c *Cache) Commit() {
	if c.w != nil {
		c.w.Commit()
		c.w = nil
	}
}

// Abort drops a stored answer whose body did not come whole.
func (c *Cache) Abort() {
	if c.w != nil {
		c.w.Abort()
		c.w = nil
	}
}

func varCacheStatus(r *httpd.Request) (string, bool) {
	c := Of(r)
	if c == nil || c.Status == StatusNone {
		return "", false
	}
	return statusNames[c.Status], true
}

func varCacheLastModified(r *httpd.Request) (string, bool) {
	c := Of(r)
	if c == nil {
		return "", false
	}
	lm, _ := c.Conditional()
	return lm, lm != ""
}

func varCacheETag(r *httpd.Request) (string, bool) {
	c := Of(r)
	if c == nil {
		return "", false
	}
	_, et := c.Conditional()
	return et, et != ""
}

// Write adds body bytes to the stored answer.
func (c *Cache) Write(p []byte) {
	if c.w != nil {
		c.w.Write(p)
	}
}
