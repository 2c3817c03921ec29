// Package mapmodule is ngx_http_map_module: "map" defines a variable
// whose value depends on another value.
package mapmodule

import (
	"regexp"
	"sort"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the map module (its table is filled in by init: the
// handlers refer to Module for their state).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "map",
		Commands: []httpd.Command{
			httpd.Directive(setMap, conf.Spec{Name: "map", Ctx: conf.HTTP, Args: conf.Take2, Block: true, Child: conf.Map | conf.Raw}),
		},
		CreateMainConf: func() any { return &mainConf{} },
	}
}

// mainConf counts a configuration's cached maps (their slots in a
// request's cache).
type mainConf struct{ cached int }

type mapEntry struct {
	re    *regexp.Regexp
	value *httpd.Value
}

// wildcard is a "hostnames" key: "*.example.com" and ".example.com"
// (head, the latter matching example.com too) or "www.example.*" (tail).
type wildcard struct {
	part  string // ".example.com" or "www.example."
	bare  bool   // ".example.com": the name without the dot matches too
	value *httpd.Value
}

// mapVar is one map{}: the source value, exact keys (a hash, as nginx's),
// wildcard names, regexes in order, default.
type mapVar struct {
	src       *httpd.Value
	exact     map[string]*httpd.Value
	head      []wildcard // longest first: the most specific wins
	tail      []wildcard
	regexes   []mapEntry
	def       *httpd.Value
	hostnames bool
	slot      int // per-request cache slot; -1: volatile
}

// cache is a request's computed values of its non-volatile maps.
type cache struct {
	val []string
	set []bool
}

func setMap(b *httpd.Builder, d *conf.Directive) error {
	m := &mapVar{src: b.Value(d.Args[0]), exact: map[string]*httpd.Value{}}
	dst := strings.TrimPrefix(d.Args[1], "$")
	volatile := false
	for _, e := range d.Block {
		if len(e.Args) == 0 {
			switch e.Name {
			case "hostnames":
				m.hostnames = true
				continue
			case "volatile":
				volatile = true
				continue
			}
		}
		if len(e.Args) != 1 {
			return conf.Errorf(e, "invalid number of the map parameters")
		}
		v := b.Value(e.Args[0])
		key := e.Name
		switch {
		case key == "default":
			if m.def != nil {
				return conf.Errorf(e, "duplicate default map parameter")
			}
			m.def = v
		case strings.HasPrefix(key, "~"):
			pat := key[1:]
			if strings.HasPrefix(pat, "*") {
				pat = "(?i)" + pat[1:]
			}
			re, err := httpd.CompileRegex(pat)
			if err != nil {
				return conf.Errorf(e, "%s", err.Error())
			}
			m.regexes = append(m.regexes, mapEntry{re: re, value: v})
		default:
			key = strings.TrimPrefix(key, "\\") // "\~" or "\default": a literal key
			key = strings.ToLower(key)
			if m.hostnames {
				switch {
				case strings.HasPrefix(key, "*."):
					m.head = append(m.head, wildcard{part: key[1:], value: v})
					continue
				case strings.HasPrefix(key, ".") && len(key) > 1:
					m.head = append(m.head, wildcard{part: key, bare: true, value: v})
					continue
				case strings.HasSuffix(key, ".*"):
					m.tail = append(m.tail, wildcard{part: key[:len(key)-1], value: v})
					continue
				}
				key = strings.TrimSuffix(key, ".")
			}
			if _, dup := m.exact[key]; dup {
				return conf.Errorf(e, "duplicate entry \"%s\"", e.Name)
			}
			m.exact[key] = v
		}
	}
	sort.SliceStable(m.head, func(i, j int) bool { return len(m.head[i].part) > len(m.head[j].part) })
	sort.SliceStable(m.tail, func(i, j int) bool { return len(m.tail[i].part) > len(m.tail[j].part) })
	m.slot = -1
	if !volatile {
		mc := Module.MainConf(b.Runtime()).(*mainConf)
		m.slot = mc.cached
		mc.cached++
	}
	b.DefineVariable(dst, m.get)
	return nil
}

// get is the variable's value, computed once per request unless the map
// is volatile (nginx caches a map's value in the request).
func (m *mapVar) get(r *httpd.Request) (string, bool) {
	if m.slot < 0 {
		return m.eval(r), true
	}
	c, _ := Module.ReqCtx(r).(*cache)
	if c == nil {
		n := Module.MainConf(r.Runtime()).(*mainConf).cached
		c = &cache{val: make([]string, n), set: make([]bool, n)}
		Module.SetReqCtx(r, c)
	}
	if !c.set[m.slot] {
		c.val[m.slot], c.set[m.slot] = m.eval(r), true
	}
	return c.val[m.slot], true
}

// eval finds the value: an exact key first, then (hostnames) the longest
// leading and trailing wildcards, then the regexes in order (their
// captures become $1..), then the default.
func (m *mapVar) eval(r *httpd.Request) string {
	k := m.src.Eval(r)
	if m.hostnames {
		k = strings.TrimSuffix(k, ".")
	}
	lk := strings.ToLower(k)
	if v, ok := m.exact[lk]; ok {
		return v.Eval(r)
	}
	for _, w := range m.head {
		if strings.HasSuffix(lk, w.part) && len(lk) > len(w.part) || w.bare && lk == w.part[1:] {
			return w.value.Eval(r)
		}
	}
	for _, w := range m.tail {
		if strings.HasPrefix(lk, w.part) && len(lk) > len(w.part) {
			return w.value.Eval(r)
		}
	}
	for _, e := range m.regexes {
		if sm := e.re.FindStringSubmatchIndex(k); sm != nil {
			r.SetCaptures(k, sm)
			return e.value.Eval(r)
		}
	}
	if m.def != nil {
		return m.def.Eval(r)
	}
	return ""
}
