// Package limitconn is ngx_http_limit_conn_module: the requests in
// progress per key are limited, counted in a zone shared by every worker.
package limitconn

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the limit_conn module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "limit_conn",
		Commands: []httpd.Command{
			httpd.Directive(setLimitConnZone, conf.Spec{Name: "limit_conn_zone", Ctx: conf.HTTP, Args: conf.Take2}),
			httpd.Directive(setLimitConn, conf.Spec{Name: "limit_conn", Ctx: hSL, Args: conf.Take2}),
			httpd.Directive(setLimitConnLogLevel, conf.Spec{Name: "limit_conn_log_level", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setLimitConnStatus, conf.Spec{Name: "limit_conn_status", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setLimitConnDryRun, conf.Spec{Name: "limit_conn_dry_run", Ctx: hSL, Args: conf.Flag}),
		},
		Variables:      []httpd.Variable{{Name: "limit_conn_status", Get: statusVariable}},
		CreateLocConf:  func() any { return &locConf{logLevel: -1, status: -1, dryRun: -1} },
		MergeLocConf:   mergeLocConf,
		CreateMainConf: func() any { return &mainConf{zones: map[string]*zoneRef{}} },
		Configured:     configured,
		Reload:         reload,
		Hooks: func(h *httpd.Hooks) {
			h.Phase(httpd.PreAccessPhase, handler)
			h.Phase(httpd.LogPhase, releaseHandler)
		},
	}
}

type mainConf struct {
	zones map[string]*zoneRef
}

type zoneRef struct {
	name string
	z    *Zone
	key  *httpd.Value
}

type limit struct {
	ref  *zoneRef
	conn int
}

type locConf struct {
	limits    []limit
	limitsSet bool
	logLevel  int
	status    int
	dryRun    int8
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if !c.limitsSet {
		c.limits, c.limitsSet = p.limits, p.limitsSet
	}
	httpd.MergeValue(&c.logLevel, p.logLevel, httpd.LogErr)
	httpd.MergeValue(&c.status, p.status, 503)
	httpd.MergeValue(&c.dryRun, p.dryRun, 0)
}

// Zone is a limit_conn_zone: the count of requests in progress per key.
type Zone struct {
	name    string
	size    int64
	keyText string

	mu    sync.Mutex
	conns map[string]int
	used  int64
}

// nodeCost is the slab size nginx takes for a key of n bytes.
func nodeCost(n int) int64 {
	c := int64(8)
	for c < int64(42+n) {
		c <<= 1
	}
	return c
}

func zoneOf(b *httpd.Builder, name string) *zoneRef {
	m := Module.MainConf(b.Runtime()).(*mainConf)
	ref := m.zones[name]
	if ref == nil {
		ref = &zoneRef{name: name}
		m.zones[name] = ref
	}
	return ref
}

func setLimitConnZone(b *httpd.Builder, d *conf.Directive) error {
	key := b.Value(d.Args[0])
	a := d.Args[1]
	if !strings.HasPrefix(a, "zone=") {
		return conf.Errorf(d, "invalid parameter \"%s\"", a)
	}
	v := a[5:]
	i := strings.IndexByte(v, ':')
	if i < 0 {
		return conf.Errorf(d, "invalid zone size \"%s\"", a)
	}
	name := v[:i]
	size, err := conf.ParseSize(v[i+1:])
	if err != nil {
		return conf.Errorf(d, "invalid zone size \"%s\"", a)
	}
	if size < 8*4096 {
		return conf.Errorf(d, "zone \"%s\" is too small", a)
	}
	if name == "" {
		return conf.Errorf(d, "\"%s\" must have \"zone\" parameter", d.Name)
	}
	ref := zoneOf(b, name)
	if ref.z != nil {
		return conf.Errorf(d, "%s \"%s\" is already bound to key \"%s\"", d.Name, name, ref.key.Raw())
	}
	ref.z = &Zone{name: name, size: size, keyText: key.Raw(), conns: map[string]int{}}
	ref.key = key
	return nil
}

func setLimitConn(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	ref := zoneOf(b, d.Args[0])
	if !c.limitsSet {
		c.limits, c.limitsSet = nil, true
	}
	for _, l := range c.limits {
		if l.ref == ref {
			return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
		}
	}
	n, err := strconv.Atoi(d.Args[1])
	if err != nil || n <= 0 {
		return conf.Errorf(d, "invalid number of connections \"%s\"", d.Args[1])
	}
	if n > 65535 {
		return conf.Errorf(d, "connection limit must be less 65536")
	}
	c.limits = append(c.limits, limit{ref: ref, conn: n})
	return nil
}

var logLevels = map[string]int{"info": httpd.LogInfo, "notice": httpd.LogNotice, "warn": httpd.LogWarn, "error": httpd.LogErr}

func setLimitConnLogLevel(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.logLevel >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	l, ok := logLevels[d.Args[0]]
	if !ok {
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	c.logLevel = l
	return nil
}

func setLimitConnStatus(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.status >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, err := strconv.Atoi(d.Args[0])
	if err != nil || n < 0 {
		return conf.Errorf(d, "invalid number \"%s\"", d.Args[0])
	}
	if n < 400 || n > 599 {
		return conf.Errorf(d, "value must be between 400 and 599")
	}
	c.status = n
	return nil
}

func setLimitConnDryRun(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.dryRun >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.dryRun = 0
	if d.Flag() {
		c.dryRun = 1
	}
	return nil
}

func configured(rt *httpd.Runtime) error {
	for _, ref := range Module.MainConf(rt).(*mainConf).zones {
		if ref.z == nil {
			return fmt.Errorf("zero size shared memory zone \"%s\"", ref.name)
		}
	}
	return nil
}

// reload keeps the counts of a zone whose size and key stay: requests
// still in progress on the old configuration release them there.
func reload(prev, next *httpd.Runtime) error {
	old := Module.MainConf(prev).(*mainConf)
	for name, ref := range Module.MainConf(next).(*mainConf).zones {
		o := old.zones[name]
		if o == nil || o.z == nil {
			continue
		}
		if o.z.keyText != ref.z.keyText {
			return fmt.Errorf("limit_conn_zone \"%s\" uses the \"%s\" key while previously it used the \"%s\" key", name, ref.z.keyText, o.z.keyText)
		}
		if o.z.size == ref.z.size {
			ref.z = o.z
		}
	}
	return nil
}

const (
	statusPassed = iota + 1
	statusRejected
	statusRejectedDryRun
)

var statusNames = [...]string{"", "PASSED", "REJECTED", "REJECTED_DRY_RUN"}

// reqCtx is the main request's status and the counts it holds.
type reqCtx struct {
	status int
	held   []held
}

type held struct {
	z   *Zone
	key string
}

func ctxOf(r *httpd.Request) *reqCtx {
	m := r.Main()
	c, _ := Module.ReqCtx(m).(*reqCtx)
	if c == nil {
		c = &reqCtx{}
		Module.SetReqCtx(m, c)
	}
	return c
}

func statusVariable(r *httpd.Request) (string, bool) {
	c, _ := Module.ReqCtx(r.Main()).(*reqCtx)
	if c == nil || c.status == 0 {
		return "", false
	}
	return statusNames[c.status], true
}

// handler is ngx_http_limit_conn_handler.
func handler(r *httpd.Request) httpd.Status {
	if c, _ := Module.ReqCtx(r.Main()).(*reqCtx); c != nil && c.status != 0 {
		return httpd.Declined
	}
	lc := Module.Conf(r.Loc()).(*locConf)
	for _, l := range lc.limits {
		key := l.ref.key.Eval(r)
		if key == "" {
			continue
		}
		if len(key) > 255 {
			r.Logf(httpd.LogErr, "the value of the \"%s\" key is more than 255 bytes: \"%s\"", l.ref.key.Raw(), key)
			continue
		}
		ctx := ctxOf(r)
		ctx.status = statusPassed
		z := l.ref.z
		z.mu.Lock()
		n, ok := z.conns[key]
		refused := false
		switch {
		case !ok && z.used+nodeCost(len(key)) > z.size-3*4096:
			z.mu.Unlock()
			r.Logf(errlog.Crit, "ngx_slab_alloc() failed: no memory in limit_conn_zone \"%s\"", l.ref.name)
			z.mu.Lock()
			refused = true
		case !ok:
			z.conns[key] = 1
			z.used += nodeCost(len(key))
		case n >= l.conn:
			z.mu.Unlock()
			dry := ""
			if lc.dryRun == 1 {
				dry = ", dry run,"
			}
			r.Logf(lc.logLevel, "limiting connections%s by zone \"%s\"", dry, l.ref.name)
			z.mu.Lock()
			refused = true
		default:
			z.conns[key] = n + 1
		}
		z.mu.Unlock()
		if refused {
			release(ctx)
			if lc.dryRun == 1 {
				ctx.status = statusRejectedDryRun
				return httpd.Declined
			}
			ctx.status = statusRejected
			r.Finalize(lc.status)
			return httpd.Done
		}
		ctx.held = append(ctx.held, held{z: z, key: key})
	}
	return httpd.Declined
}

// release gives back the counts a request holds (nginx's pool cleanup).
func release(ctx *reqCtx) {
	for _, h := range ctx.held {
		h.z.mu.Lock()
		if n := h.z.conns[h.key] - 1; n > 0 {
			h.z.conns[h.key] = n
		} else {
			delete(h.z.conns, h.key)
			h.z.used -= nodeCost(len(h.key))
		}
		h.z.mu.Unlock()
	}
	ctx.held = ctx.held[:0]
}

// releaseHandler releases at the end of the main request.
func releaseHandler(r *httpd.Request) httpd.Status {
	if c, _ := Module.ReqCtx(r).(*reqCtx); c != nil {
		release(c)
	}
	return httpd.Declined
}
