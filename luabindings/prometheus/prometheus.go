// Package prometheus is require "prometheus": a prometheus.lua found on
// package.path (nginx-lua-prometheus itself, which runs unchanged), else
// a built-in with the API of
// nginx-lua-prometheus (knyar/nginx-lua-prometheus): prometheus.init(dict),
// :counter(), :gauge(), :histogram(), metrics' :inc/:set/:observe/:del/
// :reset, :metric_data() and :collect(). Values live in the named
// lua_shared_dict under the library's own keys (name{labels}), so they are
// shared by every worker, survive a reload, and the output is the
// library's, line for line.
package prometheus

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/goresty/goresty/luabindings"
	"github.com/goresty/goresty/luabindings/shdict"
	lua "github.com/yuin/gopher-lua"
)

const (
	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"

	defaultErrorMetric = "nginx_metric_errors_total"
	keyIndexPrefix     = "__ngx_prom__"

	errCounterNotInitialized = "counter not initialized! Have you called Prometheus:init() from the init_worker_by_lua_block nginx phase?"
	errLRUEviction           = "Shared dictionary used for prometheus metrics is full. REPORTED METRIC DATA MIGHT BE INCOMPLETE. Please increase the size of the dictionary or reduce metric cardinality."
)

var (
	defaultBuckets = []float64{0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.3,
		0.4, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10}
	metricNameRe = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRe  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	bucketKeyRe  = regexp.MustCompile(`^(.*[,{]le=")(.*)(".*)$`)
)

// keyIndex is the set of series keys written to a dict by any worker
// (the library's prometheus_keys index): metric_data lists them.
type keyIndex struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

var (
	indexesMu sync.Mutex
	indexes   = map[*shdict.Zone]*keyIndex{}
)

func indexOf(z *shdict.Zone) *keyIndex {
	indexesMu.Lock()
	defer indexesMu.Unlock()
	ix := indexes[z]
	if ix == nil {
		ix = &keyIndex{keys: map[string]struct{}{}}
		indexes[z] = ix
	}
	return ix
}

func (ix *keyIndex) add(k string) {
	ix.mu.Lock()
	ix.keys[k] = struct{}{}
	ix.mu.Unlock()
}

func (ix *keyIndex) remove(k string) {
	ix.mu.Lock()
	delete(ix.keys, k)
	ix.mu.Unlock()
}

func (ix *keyIndex) list() []string {
	ix.mu.Lock()
	out := make([]string, 0, len(ix.keys))
	for k := range ix.keys {
		out = append(out, k)
	}
	ix.mu.Unlock()
	sort.Strings(out)
	return out
}

// registry is one Prometheus object (what init returns).
type registry struct {
	vm          *luabindings.VM
	dictName    string
	zone        *shdict.Zone
	index       *keyIndex
	prefix      string
	errorMetric string
	initWorker  bool
	metrics     map[string]*metric
}

type metric struct {
	reg        *registry
	name, help string
	typ        string
	labels     []string
	buckets    []float64
	bucketFmt  string
	lookup     map[string][]string // label values joined by \xff -> keys
}

func init() {
	luabindings.RegisterModule("prometheus", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		// the library itself, shipped with the application, wins: it
		// runs unchanged on goresty
		if file := searchPath(L, "prometheus"); file != "" {
			fn, err := L.LoadFile(file)
			if err != nil {
				L.RaiseError("error loading module 'prometheus' from file '%s':\n\t%s", file, err.Error())
			}
			L.Push(fn)
			L.Push(lua.LString("prometheus"))
			L.Call(1, 1)
			v := L.Get(-1)
			L.Pop(1)
			return v
		}
		mod := L.NewTable()
		mod.RawSetString("init", L.NewFunction(func(L *lua.LState) int { return initFn(vm, L) }))
		return mod
	})
}

var regMethods = map[string]func(*registry, *lua.LState) int{
	"counter":     func(r *registry, L *lua.LState) int { return r.register(L, typeCounter) },
	"gauge":       func(r *registry, L *lua.LState) int { return r.register(L, typeGauge) },
	"histogram":   func(r *registry, L *lua.LState) int { return r.register(L, typeHistogram) },
	"metric_data": (*registry).metricData,
	"collect":     (*registry).collect,
	"init_worker": (*registry).initWorkerFn,
	"log_error": func(r *registry, L *lua.LState) int {
		var b strings.Builder
		for i := 2; i <= L.GetTop(); i++ {
			b.WriteString(lua.LVAsString(L.Get(i)))
		}
		r.logError(b.String())
		return 0
	},
}

func initFn(vm *luabindings.VM, L *lua.LState) int {
	c := vm.Current()
	if c == nil || (c.Phase != luabindings.PhaseInit && c.Phase != luabindings.PhaseInitWorker) {
		L.RaiseError("Prometheus.init can only be called from init_by_lua_block or init_worker_by_lua_block")
	}
	name := "prometheus_metrics"
	if s, ok := L.Get(1).(lua.LString); ok {
		name = string(s)
	}
	z := shdict.Get(name)
	if z == nil {
		L.RaiseError("Dictionary '%s' does not seem to exist. Please define the dictionary using `lua_shared_dict`.", name)
	}
	r := &registry{vm: vm, dictName: name, zone: z, index: indexOf(z), errorMetric: defaultErrorMetric,
		metrics: map[string]*metric{}}
	switch o := L.Get(2).(type) {
	case *lua.LTable:
		if p, ok := o.RawGetString("prefix").(lua.LString); ok {
			r.prefix = string(p)
		}
		if e, ok := o.RawGetString("error_metric_name").(lua.LString); ok {
			r.errorMetric = string(e)
		}
	case lua.LString:
		r.prefix = string(o)
	}
	r.registerMetric(r.errorMetric, "Number of nginx-lua-prometheus errors", nil, nil, typeCounter)
	z.Store(shdict.OpSet, r.errorMetric, shdict.Value{Type: shdict.TNumber, Num: 0}, 0, 0)
	r.index.add(r.errorMetric)
	if c.Phase == luabindings.PhaseInitWorker {
		r.initWorker = true
	}
	L.Push(r.userdata(L))
	return 1
}

func (r *registry) userdata(L *lua.LState) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = r
	mt := L.NewTable()
	idx := L.NewTable()
	for name, fn := range regMethods {
		fn := fn
		idx.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			self, ok := L.CheckUserData(1).Value.(*registry)
			if !ok {
				L.ArgError(1, "Prometheus object expected")
			}
			return fn(self, L)
		}))
	}
	idx.RawSetString("dict_name", lua.LString(r.dictName))
	idx.RawSetString("prefix", lua.LString(r.prefix))
	idx.RawSetString("initialized", lua.LTrue)
	mt.RawSetString("__index", idx)
	ud.Metatable = mt
	return ud
}

func (r *registry) initWorkerFn(L *lua.LState) int {
	c := r.vm.Current()
	if c == nil || c.Phase != luabindings.PhaseInitWorker {
		L.RaiseError("Prometheus:init_worker can only be called in init_worker_by_lua_block")
	}
	if r.initWorker {
		r.vm.Log(luabindings.LogWarn, "init_worker() has been called twice. Please do not explicitly call init_worker. Instead, call Prometheus:init() in the init_worker_by_lua_block")
		return 0
	}
	r.initWorker = true
	return 0
}

func (r *registry) logError(msg string) {
	r.vm.Log(luabindings.LogErr, msg)
	r.zone.Incr(r.errorMetric, 1, true, 0, 0)
}

func (r *registry) logErrorKV(key string, v lua.LValue, err string) {
	r.logError("Error while setting '" + key + "' to '" + lua.LVAsString(v) + "': '" + err + "'")
}

func stringList(t *lua.LTable) []string {
	if t == nil {
		return nil
	}
	out := []string{}
	for i := 1; i <= t.Len(); i++ {
		out = append(out, lua.LVAsString(t.RawGetInt(i)))
	}
	return out
}

// register is :counter(name, help, label_names) and friends.
func (r *registry) register(L *lua.LState, typ string) int {
	name := L.CheckString(2)
	help := L.OptString(3, "")
	labels := stringList(L.OptTable(4, nil))
	var buckets []float64
	if typ == typeHistogram {
		if t := L.OptTable(5, nil); t != nil {
			for i := 1; i <= t.Len(); i++ {
				n, ok := t.RawGetInt(i).(lua.LNumber)
				if !ok {
					L.RaiseError("bucket boundaries should be numeric")
				}
				buckets = append(buckets, float64(n))
			}
		} else {
			buckets = defaultBuckets
		}
	}
	if msg := checkNames(name, labels); msg != "" {
		r.logError(msg)
		return 0
	}
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
	dup := r.metrics[name] != nil
	if typ != typeHistogram {
		dup = dup || r.metrics[base] != nil
	} else {
		dup = dup || r.metrics[name+"_count"] != nil || r.metrics[name+"_sum"] != nil || r.metrics[name+"_bucket"] != nil
	}
	if dup {
		r.logError("Duplicate metric " + name)
		return 0
	}
	m := r.registerMetric(name, help, labels, buckets, typ)
	L.Push(m.userdata(L))
	return 1
}

func (r *registry) registerMetric(name, help string, labels []string, buckets []float64, typ string) *metric {
	m := &metric{reg: r, name: name, help: help, typ: typ, labels: labels, buckets: buckets,
		lookup: map[string][]string{}}
	if typ == typeHistogram {
		m.bucketFmt = bucketFormat(buckets)
	}
	r.metrics[name] = m
	return m
}

func checkNames(name string, labels []string) string {
	if !metricNameRe.MatchString(name) {
		return "Metric name '" + name + "' is invalid"
	}
	if strings.HasPrefix(name, keyIndexPrefix) {
		return "Prefix '" + keyIndexPrefix + "' is reserved for internal purposes"
	}
	for _, l := range labels {
		if l == "le" {
			return "Invalid label name 'le' in " + name
		}
		if !labelNameRe.MatchString(l) {
			return "Metric '" + name + "' label name '" + l + "' is invalid"
		}
	}
	return ""
}

// bucketFormat is the library's zero-padded format of bucket bounds, so
// that the keys of one histogram sort by bound.
func bucketFormat(buckets []float64) string {
	maxOrder, maxPrec := 1, 1
	for _, b := range buckets {
		s := strings.TrimRight(fmt.Sprintf("%f", b), "0")
		dot := strings.IndexByte(s, '.')
		maxOrder = max(maxOrder, dot)
		maxPrec = max(maxPrec, len(s)-dot-1)
	}
	return "%0" + strconv.Itoa(maxOrder+maxPrec+1) + "." + strconv.Itoa(maxPrec) + "f"
}

var metricMethods = map[string]func(*metric, *lua.LState) int{
	"inc":     (*metric).inc,
	"set":     (*metric).set,
	"del":     (*metric).del,
	"observe": (*metric).observe,
	"reset":   (*metric).reset,
}

// the methods each type has, as the library's metric tables
var typeMethods = map[string][]string{
	typeCounter:   {"inc", "del", "reset"},
	typeGauge:     {"inc", "set", "del", "reset"},
	typeHistogram: {"observe", "reset"},
}

func (m *metric) userdata(L *lua.LState) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = m
	mt := L.NewTable()
	idx := L.NewTable()
	for _, name := range typeMethods[m.typ] {
		fn := metricMethods[name]
		idx.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			self, ok := L.CheckUserData(1).Value.(*metric)
			if !ok {
				L.ArgError(1, "metric expected")
			}
			return fn(self, L)
		}))
	}
	idx.RawSetString("name", lua.LString(m.name))
	idx.RawSetString("help", lua.LString(m.help))
	mt.RawSetString("__index", idx)
	ud.Metatable = mt
	return ud
}

// labelValue is a label value as the library writes it: a string up to
// its first invalid UTF-8 byte, escaped; anything else through tostring.
func labelValue(v lua.LValue) string {
	s, ok := v.(lua.LString)
	if !ok {
		return v.String()
	}
	str := string(s)
	for i := 0; i < len(str); {
		r, n := utf8.DecodeRuneInString(str[i:])
		if r == utf8.RuneError && n <= 1 {
			str = str[:i]
			break
		}
		i += n
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(str)
}

func tableString(t *lua.LTable) string {
	if t == nil {
		return "nil"
	}
	var b strings.Builder
	b.WriteByte('<')
	for i := 1; i <= t.Len(); i++ {
		b.WriteString(t.RawGetInt(i).String())
		if i < t.Len() {
			b.WriteByte(',')
		}
	}
	b.WriteByte('>')
	return b.String()
}

// keys are the dict keys of one series: the name with labels, or for a
// histogram _count, _sum, one _bucket per bound and the +Inf bucket.
func (m *metric) keys(t *lua.LTable) ([]string, string) {
	n := 0
	if t != nil {
		n = t.Len()
	}
	if n != len(m.labels) {
		return nil, fmt.Sprintf("incorrect label count for metric %s, expected %d, got %d (%s)",
			m.name, len(m.labels), n, tableString(t))
	}
	vals := make([]string, len(m.labels))
	for i := range m.labels {
		v := t.RawGetInt(i + 1)
		if v == lua.LNil {
			return nil, fmt.Sprintf("unexpected nil value for label %s of %s", m.labels[i], m.name)
		}
		vals[i] = labelValue(v)
	}
	id := strings.Join(vals, "\xff")
	if k, ok := m.lookup[id]; ok {
		return k, ""
	}
	var labels string
	if len(m.labels) > 0 {
		parts := make([]string, len(m.labels))
		for i, l := range m.labels {
			parts[i] = l + `="` + vals[i] + `"`
		}
		labels = "{" + strings.Join(parts, ",") + "}"
	}
	var keys []string
	if m.typ == typeHistogram {
		keys = []string{m.name + "_count" + labels, m.name + "_sum" + labels}
		pref := m.name + "_bucket{"
		if labels != "" {
			pref = m.name + "_bucket" + labels[:len(labels)-1] + ","
		}
		for _, b := range m.buckets {
			keys = append(keys, pref+`le="`+fmt.Sprintf(m.bucketFmt, b)+`"}`)
		}
		keys = append(keys, pref+`le="Inf"}`)
	} else {
		keys = []string{m.name + labels}
	}
	m.lookup[id] = keys
	for _, k := range keys {
		m.reg.index.add(k)
	}
	return keys, ""
}

func (m *metric) incr(key string, v float64) {
	_, forcible, err := m.reg.zone.Incr(key, v, true, 0, 0)
	if err != nil || forcible {
		msg := errLRUEviction
		if err != nil {
			msg = err.Error()
		}
		m.reg.logErrorKV(key, lua.LNumber(v), msg)
	}
}

// inc is counter:inc(value, label_values) and gauge:inc.
func (m *metric) inc(L *lua.LState) int {
	value := L.Get(2)
	n, isNum := value.(lua.LNumber)
	if m.typ == typeCounter {
		if isNum && n < 0 {
			m.reg.logErrorKV(m.name, value, "Value should not be negative")
			return 0
		}
		if value == lua.LNil {
			n = 1
		}
	}
	keys, err := m.keys(L.OptTable(3, nil))
	if err != "" {
		m.reg.logError(err)
		return 0
	}
	if m.typ == typeCounter && !m.reg.initWorker {
		m.reg.logError(errCounterNotInitialized)
		return 0
	}
	if m.typ == typeGauge && !isNum {
		m.reg.logErrorKV(keys[0], value, "not a number")
		return 0
	}
	m.incr(keys[0], float64(n))
	return 0
}

// set is gauge:set(value, label_values).
func (m *metric) set(L *lua.LState) int {
	value := L.Get(2)
	n, ok := value.(lua.LNumber)
	if !ok {
		m.reg.logError("No value passed for " + m.name)
		return 0
	}
	keys, err := m.keys(L.OptTable(3, nil))
	if err != "" {
		m.reg.logError(err)
		return 0
	}
	forcible, e := m.reg.zone.Store(shdict.OpSet, keys[0], shdict.Value{Type: shdict.TNumber, Num: float64(n)}, 0, 0)
	if e != nil || forcible {
		msg := errLRUEviction
		if e != nil {
			msg = e.Error()
		}
		m.reg.logErrorKV(keys[0], value, msg)
	}
	return 0
}

// observe is histogram:observe(value, label_values).
func (m *metric) observe(L *lua.LState) int {
	n, ok := L.Get(2).(lua.LNumber)
	if !ok {
		m.reg.logError("No value passed for " + m.name)
		return 0
	}
	keys, err := m.keys(L.OptTable(3, nil))
	if err != "" {
		m.reg.logError(err)
		return 0
	}
	if !m.reg.initWorker {
		m.reg.logError(errCounterNotInitialized)
		return 0
	}
	v := float64(n)
	m.incr(keys[0], 1)
	m.incr(keys[1], v)
	m.incr(keys[len(m.buckets)+2], 1)
	for i := len(m.buckets) - 1; i >= 0 && v <= m.buckets[i]; i-- {
		m.incr(keys[2+i], 1)
	}
	return 0
}

// del removes one series.
func (m *metric) del(L *lua.LState) int {
	keys, err := m.keys(L.OptTable(2, nil))
	if err != "" {
		m.reg.logError(err)
		return 0
	}
	for _, k := range keys {
		m.reg.index.remove(k)
		m.reg.zone.Store(shdict.OpSet, k, shdict.Value{}, 0, 0)
	}
	m.lookup = map[string][]string{}
	return 0
}

// reset removes every series of the metric.
func (m *metric) reset(L *lua.LState) int {
	var prefixes []string
	if m.typ == typeHistogram {
		if len(m.labels) == 0 {
			prefixes = []string{m.name + "_count", m.name + "_sum"}
		} else {
			prefixes = []string{m.name + "_count{", m.name + "_sum{"}
		}
		prefixes = append(prefixes, m.name+"_bucket{")
	} else {
		prefixes = []string{m.name + "{"}
	}
	for _, k := range m.reg.index.list() {
		remove := k == m.name
		for _, p := range prefixes {
			remove = remove || strings.HasPrefix(k, p)
		}
		if remove {
			m.reg.index.remove(k)
			m.reg.zone.Store(shdict.OpSet, k, shdict.Value{}, 0, 0)
		}
	}
	m.lookup = map[string][]string{}
	return 0
}

func shortName(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	if j := strings.Index(key, "_bucket{"); j >= 0 && strings.Contains(key, "le=") {
		return key[:j]
	}
	return key[:i]
}

// fixBucket writes a bucket's bound as Lua's tostring does ("+Inf" for
// the last).
func fixBucket(key string) string {
	m := bucketKeyRe.FindStringSubmatch(key)
	if m == nil {
		return key
	}
	if m[2] == "Inf" {
		return m[1] + "+Inf" + m[3]
	}
	f, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		return m[1] + "nil" + m[3]
	}
	return m[1] + lua.LNumber(f).String() + m[3]
}

// lines is the library's metric_data: every indexed key in byte order,
// with HELP and TYPE before the first series of a metric this object
// registered.
func (r *registry) lines() []string {
	var out []string
	seen := map[string]bool{}
	for _, key := range r.index.list() {
		v, _, _, err := r.zone.Get(key, false)
		if err != nil || v.Type != shdict.TNumber {
			continue
		}
		short := shortName(key)
		if !seen[short] {
			if m := r.metrics[short]; m != nil {
				if m.help != "" {
					out = append(out, "# HELP "+r.prefix+short+" "+m.help+"\n")
				}
				out = append(out, "# TYPE "+r.prefix+short+" "+m.typ+"\n")
			}
			seen[short] = true
		}
		out = append(out, r.prefix+fixBucket(key)+" "+numString(v.Num)+"\n")
	}
	return out
}

func numString(f float64) string { return lua.LNumber(f).String() }

func (r *registry) metricData(L *lua.LState) int {
	t := L.NewTable()
	for _, l := range r.lines() {
		t.Append(lua.LString(l))
	}
	L.Push(t)
	return 1
}

// collect is :collect(): Content-Type text/plain and the lines, printed
// with ngx.header and ngx.print as the library does.
func (r *registry) collect(L *lua.LState) int {
	ngx := r.vm.Ngx()
	if hdr, ok := ngx.RawGetString("header").(*lua.LTable); ok {
		L.SetField(hdr, "content_type", lua.LString("text/plain"))
	} else if hdr := L.GetField(ngx, "header"); hdr != lua.LNil {
		L.SetField(hdr, "content_type", lua.LString("text/plain"))
	}
	t := L.NewTable()
	for _, l := range r.lines() {
		t.Append(lua.LString(l))
	}
	L.Push(L.GetField(ngx, "print"))
	L.Push(t)
	L.Call(1, 0)
	return 0
}

// searchPath finds name on package.path as require's Lua loader would.
func searchPath(L *lua.LState, name string) string {
	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		return ""
	}
	path, ok := pkg.RawGetString("path").(lua.LString)
	if !ok {
		return ""
	}
	for _, tmpl := range strings.Split(string(path), ";") {
		if tmpl == "" {
			continue
		}
		file := strings.ReplaceAll(tmpl, "?", name)
		if st, err := os.Stat(file); err == nil && st.Mode().IsRegular() {
			return file
		}
	}
	return ""
}
