// Package limitreq is ngx_http_limit_req_module: requests per key are
// limited by a leaky bucket kept in a zone shared by every worker.
package limitreq

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the limit_req module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "limit_req",
		Commands: []httpd.Command{
			httpd.Directive(setLimitReqZone, conf.Spec{Name: "limit_req_zone", Ctx: conf.HTTP, Args: conf.Take3}),
			httpd.Directive(setLimitReq, conf.Spec{Name: "limit_req", Ctx: hSL, Args: conf.Take123}),
			httpd.Directive(setLimitReqLogLevel, conf.Spec{Name: "limit_req_log_level", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setLimitReqStatus, conf.Spec{Name: "limit_req_status", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setLimitReqDryRun, conf.Spec{Name: "limit_req_dry_run", Ctx: hSL, Args: conf.Flag}),
		},
		Variables:      []httpd.Variable{{Name: "limit_req_status", Get: statusVariable}},
		CreateLocConf:  func() any { return &locConf{logLevel: -1, status: -1, dryRun: -1} },
		MergeLocConf:   mergeLocConf,
		CreateMainConf: func() any { return &mainConf{zones: map[string]*zoneRef{}} },
		Configured:     configured,
		Reload:         reload,
		Hooks:          func(h *httpd.Hooks) { h.Phase(httpd.PreAccessPhase, handler) },
	}
}

// mainConf is the configuration's zones by name.
type mainConf struct {
	zones map[string]*zoneRef
}

// zoneRef is a zone named by limit_req_zone (z set) or only used by
// limit_req so far (z nil until its limit_req_zone comes).
type zoneRef struct {
	name string
	z    *Zone
	key  *httpd.Value
	rate int64 // requests per 1000 seconds
	used *conf.Directive
}

type limit struct {
	ref   *zoneRef
	burst int64 // in 1/1000 requests
	delay int64
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

// delayLevel is the level of "delaying request": one below the limit's
// level, info staying info.
func (c *locConf) delayLevel() int {
	if c.logLevel == httpd.LogInfo {
		return httpd.LogInfo
	}
	return c.logLevel + 1
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

func setLimitReqZone(b *httpd.Builder, d *conf.Directive) error {
	key := b.Value(d.Args[0])
	var name string
	var size int64
	rate, scale := int64(1), int64(1)
	for _, a := range d.Args[1:] {
		switch {
		case strings.HasPrefix(a, "zone="):
			v := a[5:]
			i := strings.IndexByte(v, ':')
			if i < 0 {
				return conf.Errorf(d, "invalid zone size \"%s\"", a)
			}
			name = v[:i]
			n, err := conf.ParseSize(v[i+1:])
			if err != nil {
				return conf.Errorf(d, "invalid zone size \"%s\"", a)
			}
			if n < 8*4096 {
				return conf.Errorf(d, "zone \"%s\" is too small", a)
			}
			size = n
		case strings.HasPrefix(a, "rate="):
			v := a[5:]
			switch {
			case strings.HasSuffix(v, "r/s"):
				v = v[:len(v)-3]
			case strings.HasSuffix(v, "r/m"):
				v, scale = v[:len(v)-3], 60
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return conf.Errorf(d, "invalid rate \"%s\"", a)
			}
			rate = n
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	if name == "" {
		return conf.Errorf(d, "\"%s\" must have \"zone\" parameter", d.Name)
	}
	ref := zoneOf(b, name)
	if ref.z != nil {
		return conf.Errorf(d, "%s \"%s\" is already bound to key \"%s\"", d.Name, name, ref.key.Raw())
	}
	ref.z, ref.key, ref.rate = newZone(name, size, key.Raw()), key, rate*1000/scale
	return nil
}

func setLimitReq(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	var ref *zoneRef
	var burst, delay int64
	for _, a := range d.Args {
		switch {
		case strings.HasPrefix(a, "zone="):
			ref = zoneOf(b, a[5:])
			if ref.used == nil {
				ref.used = d
			}
		case strings.HasPrefix(a, "burst="):
			n, err := strconv.ParseInt(a[6:], 10, 64)
			if err != nil || n <= 0 {
				return conf.Errorf(d, "invalid burst value \"%s\"", a)
			}
			burst = n
		case strings.HasPrefix(a, "delay="):
			n, err := strconv.ParseInt(a[6:], 10, 64)
			if err != nil || n <= 0 {
				return conf.Errorf(d, "invalid delay value \"%s\"", a)
			}
			delay = n
		case a == "nodelay":
			delay = (1<<63 - 1) / 1000
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", a)
		}
	}
	if ref == nil {
		return conf.Errorf(d, "\"%s\" must have \"zone\" parameter", d.Name)
	}
	if !c.limitsSet {
		c.limits, c.limitsSet = nil, true
	}
	for _, l := range c.limits {
		if l.ref == ref {
			return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
		}
	}
	c.limits = append(c.limits, limit{ref: ref, burst: burst * 1000, delay: delay * 1000})
	return nil
}

// logLevels are the levels limit_req_log_level and limit_conn_log_level take.
var logLevels = map[string]int{"info": httpd.LogInfo, "notice": httpd.LogNotice, "warn": httpd.LogWarn, "error": httpd.LogErr}

func setLimitReqLogLevel(b *httpd.Builder, d *conf.Directive) error {
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

func setLimitReqStatus(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	n, err := statusArg(d, c.status)
	c.status = n
	return err
}

// statusArg is ngx_conf_set_num_slot with bounds 400..599.
func statusArg(d *conf.Directive, cur int) (int, error) {
	if cur >= 0 {
		return cur, conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, err := strconv.Atoi(d.Args[0])
	if err != nil || n < 0 {
		return cur, conf.Errorf(d, "invalid number \"%s\"", d.Args[0])
	}
	if n < 400 || n > 599 {
		return cur, conf.Errorf(d, "value must be between 400 and 599")
	}
	return n, nil
}

func setLimitReqDryRun(b *httpd.Builder, d *conf.Directive) error {
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

// configured checks that every zone limit_req names was declared.
func configured(rt *httpd.Runtime) error {
	m := Module.MainConf(rt).(*mainConf)
	for _, ref := range m.zones {
		if ref.z == nil {
			return fmt.Errorf("zero size shared memory zone \"%s\"", ref.name)
		}
	}
	return nil
}

// reload keeps the zones whose size stays the same; a zone's key may
// not change while it lives.
func reload(prev, next *httpd.Runtime) error {
	old := Module.MainConf(prev).(*mainConf)
	for name, ref := range Module.MainConf(next).(*mainConf).zones {
		o := old.zones[name]
		if o == nil || o.z == nil {
			continue
		}
		if o.z.keyText != ref.z.keyText {
			return fmt.Errorf("limit_req \"%s\" uses the \"%s\" key while previously it used the \"%s\" key", name, ref.z.keyText, o.z.keyText)
		}
		if o.z.size == ref.z.size {
			ref.z = o.z
		}
	}
	return nil
}

// The values of $limit_req_status.
const (
	statusPassed = iota + 1
	statusDelayed
	statusRejected
	statusDelayedDryRun
	statusRejectedDryRun
)

var statusNames = [...]string{"", "PASSED", "DELAYED", "REJECTED", "DELAYED_DRY_RUN", "REJECTED_DRY_RUN"}

// reqCtx is the main request's limit_req status.
type reqCtx struct{ status int }

func statusOf(r *httpd.Request) int {
	if c, _ := Module.ReqCtx(r.Main()).(*reqCtx); c != nil {
		return c.status
	}
	return 0
}

func setStatus(r *httpd.Request, s int) { Module.SetReqCtx(r.Main(), &reqCtx{status: s}) }

func statusVariable(r *httpd.Request) (string, bool) {
	s := statusOf(r)
	if s == 0 {
		return "", false
	}
	return statusNames[s], true
}

// handler is ngx_http_limit_req_handler: each limit is looked up; the
// last one (or the first that refuses) accounts, the others are
// accounted after, and the longest delay applies.
func handler(r *httpd.Request) httpd.Status {
	if statusOf(r) != 0 {
		return httpd.Declined
	}
	c := Module.Conf(r.Loc()).(*locConf)
	if len(c.limits) == 0 {
		return httpd.Declined
	}
	var excess int64
	rc := rcDeclined
	var nodes [8]*node
	held := nodes[:0]
	var l *limit
	n := 0
	for ; n < len(c.limits); n++ {
		l = &c.limits[n]
		ref := l.ref
		key := ref.key.Eval(r)
		if key == "" {
			held = append(held, nil)
			continue
		}
		if len(key) > 65535 {
			r.Logf(httpd.LogErr, "the value of the \"%s\" key is more than 65535 bytes: \"%s\"", ref.key.Raw(), key)
			held = append(held, nil)
			continue
		}
		var nd *node
		rc, excess, nd = ref.z.lookup(r, ref.rate, key, l.burst, n == len(c.limits)-1)
		held = append(held, nd)
		if rc != rcAgain {
			break
		}
	}
	if rc == rcDeclined {
		return httpd.Declined
	}
	if rc == rcBusy || rc == rcError {
		if rc == rcBusy {
			dry := ""
			if c.dryRun == 1 {
				dry = ", dry run"
			}
			r.Logf(c.logLevel, "limiting requests%s, excess: %d.%03d by zone \"%s\"", dry, excess/1000, excess%1000, l.ref.name)
		}
		unlock(c.limits, held, n)
		if c.dryRun == 1 {
			setStatus(r, statusRejectedDryRun)
			return httpd.Declined
		}
		setStatus(r, statusRejected)
		r.Finalize(c.status)
		return httpd.Done
	}
	if rc == rcAgain {
		excess = 0
	}
	delay, excess, l := account(c.limits, held, n, excess, l)
	if delay == 0 {
		setStatus(r, statusPassed)
		return httpd.Declined
	}
	dry := ""
	if c.dryRun == 1 {
		dry = ", dry run"
	}
	r.Logf(c.delayLevel(), "delaying request%s, excess: %d.%03d, by zone \"%s\"", dry, excess/1000, excess%1000, l.ref.name)
	if c.dryRun == 1 {
		setStatus(r, statusDelayedDryRun)
		return httpd.Declined
	}
	setStatus(r, statusDelayed)
	time.Sleep(time.Duration(delay) * time.Millisecond)
	return httpd.Declined
}

// account is ngx_http_limit_req_account: the limits before n, looked up
// without accounting, are accounted now; the longest delay wins.
func account(limits []limit, held []*node, n int, excess int64, l *limit) (int64, int64, *limit) {
	var maxDelay int64
	if excess > l.delay {
		maxDelay = (excess - l.delay) * 1000 / l.ref.rate
	}
	for i := n - 1; i >= 0; i-- {
		nd := held[i]
		if nd == nil {
			continue
		}
		ref := limits[i].ref
		e := ref.z.accountNode(ref.rate, nd)
		if e <= limits[i].delay {
			continue
		}
		if d := (e - limits[i].delay) * 1000 / ref.rate; d > maxDelay {
			maxDelay, excess, l = d, e, &limits[i]
		}
	}
	return maxDelay, excess, l
}

// unlock releases the nodes the limits before n hold.
func unlock(limits []limit, held []*node, n int) {
	for i := n - 1; i >= 0; i-- {
		if held[i] != nil {
			limits[i].ref.z.release(held[i])
		}
	}
}
