// Package proxycache is the cache of nginx's ngx_http_proxy_module
// (ngx_http_file_cache with the upstream module's cache logic):
// proxy_cache_path zones kept on disk in nginx's layout, the proxy_cache*
// directives, and $upstream_cache_status. The proxy module asks it, per
// request, whether to answer from the cache and whether to store what
// the upstream answers (see Begin and Lookup).
package proxycache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the proxy cache module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "proxy_cache",
		Commands: []httpd.Command{
			httpd.Directive(setCachePath, conf.Spec{Name: "proxy_cache_path", Ctx: conf.HTTP, Args: conf.TwoMore}),
			httpd.Directive(setCache, conf.Spec{Name: "proxy_cache", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setCacheKey, conf.Spec{Name: "proxy_cache_key", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setCacheValid, conf.Spec{Name: "proxy_cache_valid", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setCacheMethods, conf.Spec{Name: "proxy_cache_methods", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setCacheBypass, conf.Spec{Name: "proxy_cache_bypass", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setNoCache, conf.Spec{Name: "proxy_no_cache", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setUseStale, conf.Spec{Name: "proxy_cache_use_stale", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setLock, conf.Spec{Name: "proxy_cache_lock", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setLockTimeout, conf.Spec{Name: "proxy_cache_lock_timeout", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setLockAge, conf.Spec{Name: "proxy_cache_lock_age", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setBackgroundUpdate, conf.Spec{Name: "proxy_cache_background_update", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setRevalidate, conf.Spec{Name: "proxy_cache_revalidate", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setMinUses, conf.Spec{Name: "proxy_cache_min_uses", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setConvertHead, conf.Spec{Name: "proxy_cache_convert_head", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setIgnoreHeaders, conf.Spec{Name: "proxy_ignore_headers", Ctx: hSL, Args: conf.OneMore}),
		},
		Accepted: []conf.Spec{
			{Name: "proxy_cache_max_range_offset", Ctx: hSL, Args: conf.Take1},
			{Name: "proxy_temp_path", Ctx: hSL, Args: conf.Take1234},
		},
		Variables: []httpd.Variable{
			{Name: "upstream_cache_status", Get: varCacheStatus},
			{Name: "upstream_cache_last_modified", Get: varCacheLastModified},
			{Name: "upstream_cache_etag", Get: varCacheETag},
		},
		CreateLocConf:  func() any { return newLocConf() },
		MergeLocConf:   mergeLocConf,
		CreateMainConf: func() any { return &mainConf{zones: map[string]*Zone{}} },
		Configured:     configured,
		Reload:         reload,
		Closed:         closed,
		ReleaseReqCtx:  release,
	}
}

// mainConf is the configuration's cache zones by name and the goroutine
// that keeps them within their bounds.
type mainConf struct {
	mu     sync.Mutex
	zones  map[string]*Zone
	used   []*zoneUse // proxy_cache zone names, checked when all are read
	cancel context.CancelFunc
	done   chan struct{}
}

type zoneUse struct {
	name string
	d    *conf.Directive
}

func mainOf(rt *httpd.Runtime) *mainConf { return Module.MainConf(rt).(*mainConf) }

// Failure masks of proxy_cache_use_stale (nginx's NGX_HTTP_UPSTREAM_FT_*).
const (
	FtError uint32 = 1 << iota
	FtTimeout
	FtInvalidHeader
	FtHTTP500
	FtHTTP502
	FtHTTP503
	FtHTTP504
	FtHTTP403
	FtHTTP404
	FtHTTP429
	FtUpdating
	ftOff
)

var staleMasks = map[string]uint32{
	"error": FtError, "timeout": FtTimeout, "invalid_header": FtInvalidHeader,
	"updating": FtUpdating, "http_500": FtHTTP500, "http_502": FtHTTP502,
	"http_503": FtHTTP503, "http_504": FtHTTP504, "http_403": FtHTTP403,
	"http_404": FtHTTP404, "http_429": FtHTTP429, "off": ftOff,
}

// StatusMask is the proxy_cache_use_stale mask of an upstream status (0
// for a status it cannot name).
func StatusMask(status int) uint32 {
	switch status {
	case 500:
		return FtHTTP500
	case 502:
		return FtHTTP502
	case 503:
		return FtHTTP503
	case 504:
		return FtHTTP504
	case 403:
		return FtHTTP403
	case 404:
		return FtHTTP404
	case 429:
		return FtHTTP429
	}
	return 0
}

// proxy_ignore_headers bits.
const (
	ignXAccelExpires = 1 << iota
	ignExpires
	ignCacheControl
	ignSetCookie
	ignVary
	ignOther // X-Accel-Redirect and the others: accepted, nothing to ignore here
)

var ignoreNames = map[string]int{
	"X-Accel-Redirect": ignOther, "X-Accel-Expires": ignXAccelExpires, "X-Accel-Limit-Rate": ignOther,
	"X-Accel-Buffering": ignOther, "X-Accel-Charset": ignOther, "Expires": ignExpires,
	"Cache-Control": ignCacheControl, "Set-Cookie": ignSetCookie, "Vary": ignVary,
}

// validTime is one proxy_cache_valid: a status (0 for "any") and its time.
type validTime struct {
	status int
	secs   int64
}

// locConf is the module's settings of a level; -1 and nil mark unset.
type locConf struct {
	cacheSet    bool
	zoneName    string       // static proxy_cache (its zone is found per request: reloads keep zones)
	zoneVar     *httpd.Value // proxy_cache with variables
	key         *httpd.Value
	valid       []validTime
	methods     int // bit set of methodBits, 0 unset
	bypass      []*httpd.Value
	noCache     []*httpd.Value
	useStale    uint32
	useStaleSet bool
	lock        int8
	lockTimeout time.Duration
	lockAge     time.Duration
	background  int8
	revalidate  int8
	minUses     int
	convertHead int8
	ignore      int
	ignoreSet   bool
}

func newLocConf() *locConf {
	return &locConf{lock: -1, background: -1, revalidate: -1, minUses: -1, convertHead: -1, lockTimeout: -1, lockAge: -1}
}

func confOf(l *httpd.LocConf) *locConf { return Module.Conf(l).(*locConf) }

func mergeLocConf(parent, child any) {
	p, s := parent.(*locConf), child.(*locConf)
	if !s.cacheSet {
		s.cacheSet, s.zoneName, s.zoneVar = p.cacheSet, p.zoneName, p.zoneVar
	}
	if s.key == nil {
		s.key = p.key
	}
	if s.valid == nil {
		s.valid = p.valid
	}
	if s.methods == 0 {
		s.methods = p.methods
	}
	if s.methods == 0 {
		s.methods = methodGet | methodHead
	}
	if s.bypass == nil {
		s.bypass = p.bypass
	}
	if s.noCache == nil {
		s.noCache = p.noCache
	}
	if !s.useStaleSet {
		s.useStale, s.useStaleSet = p.useStale, p.useStaleSet
	}
	httpd.MergeValue(&s.lock, p.lock, 0)
	httpd.MergeValue(&s.lockTimeout, p.lockTimeout, 5*time.Second)
	httpd.MergeValue(&s.lockAge, p.lockAge, 5*time.Second)
	httpd.MergeValue(&s.background, p.background, 0)
	httpd.MergeValue(&s.revalidate, p.revalidate, 0)
	if s.minUses < 0 {
		s.minUses = p.minUses
	}
	if s.minUses < 0 {
		s.minUses = 1
	}
	httpd.MergeValue(&s.convertHead, p.convertHead, 1)
	if !s.ignoreSet {
		s.ignore, s.ignoreSet = p.ignore, p.ignoreSet
	}
}

const (
	methodGet = 1 << iota
	methodHead
	methodPost
)

func methodBit(m string) int {
	switch m {
	case "GET":
		return methodGet
	case "HEAD":
		return methodHead
	case "POST":
		return methodPost
	}
	return 0
}

// setCachePath is proxy_cache_path path [levels=] [use_temp_path=]
// keys_zone=name:size [inactive=] [max_size=] [min_free=] [manager_*]
// [loader_*] [purger*].
func setCachePath(b *httpd.Builder, d *conf.Directive) error {
	z := &Zone{path: b.Runtime().Path(strings.TrimSuffix(d.Args[0], "/")), inactive: 10 * time.Minute}
	for _, a := range d.Args[1:] {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "levels":
			lv, ok := parseLevels(v)
			if !ok {
				return conf.Errorf(d, "invalid \"levels\" \"%s\"", a)
			}
			z.levels = lv
		case "use_temp_path":
			if v != "on" && v != "off" {
				return conf.Errorf(d, "invalid use_temp_path value \"%s\", it must be \"on\" or \"off\"", v)
			}
		case "keys_zone":
			name, size, ok := strings.Cut(v, ":")
			if !ok || name == "" {
				return conf.Errorf(d, "invalid keys zone size \"%s\"", a)
			}
			n, err := conf.ParseSize(size)
			if err != nil || n <= 0 {
				return conf.Errorf(d, "invalid keys zone size \"%s\"", a)
			}
			if n < 8192 {
				return conf.Errorf(d, "zone \"%s\" is too small", name)
			}
			z.name, z.size = name, n
		case "inactive":
			t, err := conf.ParseTime(v)
			if err != nil {
				return conf.Errorf(d, "invalid inactive value \"%s\"", a)
			}
			z.inactive = t
		case "max_size":
			n, err := conf.ParseOffset(v)
			if err != nil {
				return conf.Errorf(d, "invalid max_size value \"%s\"", a)
			}
			z.maxSize = n
		case "min_free":
			if _, err := conf.ParseOffset(v); err != nil {
				return conf.Errorf(d, "invalid min_free value \"%s\"", a)
			}
		case "loader_files", "manager_files":
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				return conf.Errorf(d, "invalid %s value \"%s\"", k, a)
			}
		case "loader_sleep", "loader_threshold", "manager_sleep", "manager_threshold", "purger_sleep", "purger_threshold":
			if _, err := conf.ParseTime(v); err != nil {
				return conf.Errorf(d, "invalid %s value \"%s\"", k, a)
			}
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	if z.name == "" {
		return conf.Errorf(d, "\"%s\" must have \"keys_zone\" parameter", d.Name)
	}
	m := mainOf(b.Runtime())
	if m.zones[z.name] != nil {
		return conf.Errorf(d, "duplicate zone \"%s\"", z.name)
	}
	for _, o := range m.zones {
		if o.path == z.path {
			return conf.Errorf(d, "duplicate path \"%s\"", z.path)
		}
	}
	z.init()
	m.zones[z.name] = z
	return nil
}

// parseLevels reads levels=1:2 (one to three levels of 1 or 2 digits).
func parseLevels(v string) ([]int, bool) {
	parts := strings.Split(v, ":")
	if len(parts) > 3 {
		return nil, false
	}
	var lv []int
	for _, p := range parts {
		if p != "1" && p != "2" {
			return nil, false
		}
		lv = append(lv, int(p[0]-'0'))
	}
	return lv, true
}

func setCache(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.cacheSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	s.cacheSet = true
	if d.Args[0] == "off" {
		return nil
	}
	if strings.Contains(d.Args[0], "$") {
		s.zoneVar = b.Value(d.Args[0])
		return nil
	}
	m := mainOf(b.Runtime())
	// checked when the whole http block is read (proxy_cache_path may follow)
	m.used = append(m.used, &zoneUse{name: d.Args[0], d: d})
	s.zoneName = d.Args[0]
	return nil
}

func setCacheKey(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.key != nil {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	s.key = b.Value(d.Args[0])
	return nil
}

// setCacheValid is proxy_cache_valid [code ...|any] time (only a time:
// 200, 301 and 302).
func setCacheValid(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	last := d.Args[len(d.Args)-1]
	secs, err := conf.ParseSeconds(last)
	if err != nil {
		return conf.Errorf(d, "invalid time value \"%s\"", last)
	}
	codes := d.Args[:len(d.Args)-1]
	if len(codes) == 0 {
		s.valid = append(s.valid, validTime{200, secs}, validTime{301, secs}, validTime{302, secs})
		return nil
	}
	for _, c := range codes {
		if c == "any" {
			s.valid = append(s.valid, validTime{0, secs})
			continue
		}
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 599 {
			return conf.Errorf(d, "invalid status \"%s\"", c)
		}
		s.valid = append(s.valid, validTime{n, secs})
	}
	return nil
}

func setCacheMethods(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.methods != 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	// GET and HEAD are always cached (nginx adds them)
	s.methods = methodGet | methodHead
	for _, a := range d.Args {
		bit := methodBit(a)
		if bit == 0 {
			return conf.Errorf(d, "invalid value \"%s\"", a)
		}
		s.methods |= bit
	}
	return nil
}

func setCacheBypass(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	for _, a := range d.Args {
		s.bypass = append(s.bypass, b.Value(a))
	}
	return nil
}

func setNoCache(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	for _, a := range d.Args {
		s.noCache = append(s.noCache, b.Value(a))
	}
	return nil
}

func setUseStale(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.useStaleSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	s.useStaleSet = true
	var mask uint32
	for _, a := range d.Args {
		bit, ok := staleMasks[a]
		if !ok {
			return conf.Errorf(d, "invalid value \"%s\"", a)
		}
		mask |= bit
	}
	if mask&ftOff != 0 {
		if mask != ftOff {
			return conf.Errorf(d, "invalid value \"off\"")
		}
		mask = 0
	}
	s.useStale = mask
	return nil
}

func flagArg(d *conf.Directive) int8 {
	if d.Flag() {
		return 1
	}
	return 0
}

func dupTri(d *conf.Directive, v *int8) error {
	if *v >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	*v = flagArg(d)
	return nil
}

func setLock(b *httpd.Builder, d *conf.Directive) error { return dupTri(d, &confOf(b.Loc()).lock) }
func setBackgroundUpdate(b *httpd.Builder, d *conf.Directive) error {
	return dupTri(d, &confOf(b.Loc()).background)
}
func setRevalidate(b *httpd.Builder, d *conf.Directive) error {
	return dupTri(d, &confOf(b.Loc()).revalidate)
}
func setConvertHead(b *httpd.Builder, d *conf.Directive) error {
	return dupTri(d, &confOf(b.Loc()).convertHead)
}

func durArg(d *conf.Directive, v *time.Duration) error {
	if *v >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	t, err := conf.ParseTime(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	*v = t
	return nil
}

func setLockTimeout(b *httpd.Builder, d *conf.Directive) error {
	return durArg(d, &confOf(b.Loc()).lockTimeout)
}
func setLockAge(b *httpd.Builder, d *conf.Directive) error {
	return durArg(d, &confOf(b.Loc()).lockAge)
}

func setMinUses(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.minUses >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, err := strconv.Atoi(d.Args[0])
	if err != nil || n < 0 {
		return conf.Errorf(d, "invalid number \"%s\"", d.Args[0])
	}
	s.minUses = n
	return nil
}

func setIgnoreHeaders(b *httpd.Builder, d *conf.Directive) error {
	s := confOf(b.Loc())
	if s.ignoreSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	s.ignoreSet = true
	for _, a := range d.Args {
		bit := 0
		for n, v := range ignoreNames {
			if strings.EqualFold(n, a) {
				bit = v
			}
		}
		if bit == 0 {
			return conf.Errorf(d, "invalid value \"%s\"", a)
		}
		s.ignore |= bit
	}
	return nil
}

// configured binds proxy_cache names to zones and starts the goroutine
// that loads the zones from disk and keeps them within their bounds.
func configured(rt *httpd.Runtime) error {
	m := mainOf(rt)
	for _, u := range m.used {
		if m.zones[u.name] == nil {
			return conf.Errorf(u.d, "\"proxy_cache\" zone \"%s\" is unknown", u.name)
		}
	}
	m.used = nil
	if len(m.zones) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	go m.manage(ctx)
	return nil
}

// reload keeps the zones of the running configuration whose path and
// levels stay (nginx's cache zones outlive a reload): their index and
// their files are the cache's.
func reload(prev, next *httpd.Runtime) error {
	old, m := mainOf(prev), mainOf(next)
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, z := range m.zones {
		o := old.zoneNamed(name)
		if o == nil {
			continue
		}
		if o.path != z.path {
			return fmt.Errorf("cache \"%s\" uses the \"%s\" cache path while previously it used the \"%s\" cache path", name, z.path, o.path)
		}
		if fmt.Sprint(o.levels) != fmt.Sprint(z.levels) {
			return fmt.Errorf("cache \"%s\" had previously different levels", name)
		}
		o.setBounds(z.maxSize, z.inactive)
		m.zones[name] = o
	}
	return nil
}

func (m *mainConf) zoneNamed(name string) *Zone {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.zones[name]
}

// closed stops the configuration's manager goroutine.
func closed(rt *httpd.Runtime) {
	m := mainOf(rt)
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
}

// manage loads each zone from its directory once, then removes the
// entries left inactive and, over max_size, the least recently used
// (nginx's cache loader and cache manager processes).
func (m *mainConf) manage(ctx context.Context) {
	defer close(m.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		m.mu.Lock()
		zones := make([]*Zone, 0, len(m.zones))
		for _, z := range m.zones {
			zones = append(zones, z)
		}
		m.mu.Unlock()
		for _, z := range zones {
			z.loadOnce.Do(func() { z.load(ctx) })
			z.expire(time.Now())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
