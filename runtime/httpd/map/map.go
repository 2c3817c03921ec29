// Package mapmodule is ngx_http_map_module: "map" defines a variable
// whose value depends on another value.
package mapmodule

import (
	"regexp"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the map module.
var Module = &httpd.Module{
	Name: "map",
	Commands: []httpd.Command{
		httpd.Directive(setMap, conf.Spec{Name: "map", Ctx: conf.HTTP, Args: conf.Take2, Block: true, Child: conf.Map | conf.Raw}),
	},
}

type mapEntry struct {
	key   string
	re    *regexp.Regexp
	value *httpd.Value
}

// mapVar is one map{}: the source value, exact keys and regexes, default.
type mapVar struct {
	src     *httpd.Value
	entries []mapEntry
	def     *httpd.Value
}

func setMap(b *httpd.Builder, d *conf.Directive) error {
	m := &mapVar{src: b.Value(d.Args[0])}
	dst := strings.TrimPrefix(d.Args[1], "$")
	for _, e := range d.Block {
		if len(e.Args) != 1 {
			if e.Name == "hostnames" && len(e.Args) == 0 {
				continue
			}
			return conf.Errorf(e, "invalid number of the map parameters")
		}
		v := b.Value(e.Args[0])
		switch {
		case e.Name == "default":
			m.def = v
		case strings.HasPrefix(e.Name, "~"):
			pat := e.Name[1:]
			if strings.HasPrefix(pat, "*") {
				pat = "(?i)" + pat[1:]
			}
			re, err := httpd.CompileRegex(pat)
			if err != nil {
				return conf.Errorf(e, "%s", err.Error())
			}
			m.entries = append(m.entries, mapEntry{re: re, value: v})
		default:
			m.entries = append(m.entries, mapEntry{key: strings.ToLower(e.Name), value: v})
		}
	}
	b.DefineVariable(dst, m.get)
	return nil
}

// get is the variable's value: an exact key first, then the regexes in
// order (their captures become $1..), then the default.
func (m *mapVar) get(r *httpd.Request) (string, bool) {
	k := m.src.Eval(r)
	lk := strings.ToLower(k)
	for _, e := range m.entries {
		if e.re == nil && e.key == lk {
			return e.value.Eval(r), true
		}
	}
	for _, e := range m.entries {
		if e.re != nil {
			if sm := e.re.FindStringSubmatchIndex(k); sm != nil {
				r.SetCaptures(k, sm)
				return e.value.Eval(r), true
			}
		}
	}
	if m.def != nil {
		return m.def.Eval(r), true
	}
	return "", true
}
