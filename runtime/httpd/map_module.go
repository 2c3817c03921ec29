package httpd

import (
	"regexp"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
)

type mapEntry struct {
	key   string
	re    *regexp.Regexp
	value *cvalue
}

func init() {
	directive(func(b *builder, d *conf.Directive) error {
		src := b.value(d.Args[0])
		dst := strings.TrimPrefix(d.Args[1], "$")
		var entries []mapEntry
		var def *cvalue
		hostnames := false
		for _, e := range d.Block {
			if len(e.Args) != 1 {
				if e.Name == "hostnames" && len(e.Args) == 0 {
					hostnames = true
					continue
				}
				return conf.Errorf(e, "invalid number of the map parameters")
			}
			v := b.value(e.Args[0])
			switch {
			case e.Name == "default":
				def = v
			case strings.HasPrefix(e.Name, "~"):
				pat := e.Name[1:]
				if strings.HasPrefix(pat, "*") {
					pat = "(?i)" + pat[1:]
				}
				re, err := compileRegex(pat)
				if err != nil {
					return conf.Errorf(e, "%s", err.Error())
				}
				entries = append(entries, mapEntry{re: re, value: v})
			default:
				entries = append(entries, mapEntry{key: strings.ToLower(e.Name), value: v})
			}
		}
		_ = hostnames
		b.vars.getters[strings.ToLower(dst)] = func(r *Request) (string, bool) {
			k := src.eval(r)
			lk := strings.ToLower(k)
			for _, e := range entries {
				if e.re == nil && e.key == lk {
					return e.value.eval(r), true
				}
			}
			for _, e := range entries {
				if e.re != nil {
					if m := e.re.FindStringSubmatchIndex(k); m != nil {
						r.setCaptures(k, m)
						return e.value.eval(r), true
					}
				}
			}
			if def != nil {
				return def.eval(r), true
			}
			return "", true
		}
		return nil
	}, conf.Spec{Name: "map", Ctx: conf.HTTP, Args: conf.Take2, Block: true, Child: conf.Map | conf.Raw})
}
