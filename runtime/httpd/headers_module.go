package httpd

import (
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
)

// moreHeader is one header of a headers-more command, with its -s/-t filters.
type moreHeader struct {
	name     string
	value    *cvalue // nil: clear
	statuses []int
	types    []string
	wildcard bool // "X-Foo-*" in more_clear_headers
}

// HeadersModule is ngx_http_headers_module (add_header, expires) with
// headers-more's commands.
var HeadersModule = &Module{Name: "headers", Hooks: headersHooks}

func headersHooks(h *Hooks) {
	// headers-more's input filters run in the rewrite phase, before
	// the (postponed) rewrite_by_lua
	h.Phase(RewritePhase, moreInputHandler)
	h.HeaderFilter(headersFilter)
}

func moreInputHandler(r *Request) Status {
	r.applyMoreInput()
	return Declined
}

func headersFilter(r *Request) {
	r.applyMoreHeaders()
	if addHeaderStatus(r.status) {
		r.applyExpires()
	}
	r.applyAddHeaders()
}

func init() {
	directive(setExpires, conf.Spec{Name: "expires", Ctx: hSLI, Args: conf.Take12})
	directive(func(b *builder, d *conf.Directive) error {
		h := addHeader{name: d.Args[0], value: b.value(d.Args[1])}
		if len(d.Args) == 3 {
			if d.Args[2] != "always" {
				return conf.Errorf(d, "invalid parameter \"%s\"", d.Args[2])
			}
			h.always = true
		}
		if !b.loc.s.addHeadersSet {
			b.loc.s.addHeaders, b.loc.s.addHeadersSet = nil, true
		}
		b.loc.s.addHeaders = append(b.loc.s.addHeaders, h)
		return nil
	}, conf.Spec{Name: "add_header", Ctx: hSLI, Args: conf.Take23})
	more := func(input, clear bool) handler {
		return func(b *builder, d *conf.Directive) error {
			cmds, err := b.parseMore(d, clear)
			if err != nil {
				return err
			}
			if input {
				b.loc.s.moreInput = append(b.loc.s.moreInput, cmds...)
				b.loc.s.moreInputSet = true
			} else {
				b.loc.s.moreSet = append(b.loc.s.moreSet, cmds...)
				b.loc.s.moreSetSet = true
			}
			return nil
		}
	}
	directive(more(false, false), conf.Spec{Name: "more_set_headers", Ctx: hSLI, Args: conf.OneMore})
	directive(more(false, true), conf.Spec{Name: "more_clear_headers", Ctx: hSLI, Args: conf.OneMore})
	directive(more(true, false), conf.Spec{Name: "more_set_input_headers", Ctx: hSLI, Args: conf.OneMore})
	directive(more(true, true), conf.Spec{Name: "more_clear_input_headers", Ctx: hSLI, Args: conf.OneMore})
}

func (b *builder) parseMore(d *conf.Directive, clear bool) ([]moreHeader, error) {
	var statuses []int
	var types []string
	var specs []string
	args := d.Args
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-s", "-t":
			if i+1 >= len(args) {
				return nil, conf.Errorf(d, "%s: option %s takes an argument", d.Name, args[i])
			}
			for _, f := range strings.Fields(args[i+1]) {
				if args[i] == "-s" {
					n, err := strconv.Atoi(f)
					if err != nil {
						return nil, conf.Errorf(d, "%s: invalid status code %s", d.Name, f)
					}
					statuses = append(statuses, n)
				} else {
					types = append(types, f)
				}
			}
			i++
		case "-r":
		default:
			specs = append(specs, args[i])
		}
	}
	var out []moreHeader
	for _, s := range specs {
		h := moreHeader{statuses: statuses, types: types}
		name, val, has := strings.Cut(s, ":")
		h.name = strings.TrimSpace(name)
		if strings.HasSuffix(h.name, "*") {
			h.wildcard = true
			h.name = strings.TrimSuffix(h.name, "*")
		}
		if !clear && has {
			v := strings.TrimSpace(val)
			if v != "" {
				h.value = b.value(v)
			}
		}
		out = append(out, h)
	}
	return out, nil
}

func (h *moreHeader) applies(status int, ct string) bool {
	if len(h.statuses) > 0 {
		ok := false
		for _, s := range h.statuses {
			if s == status {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(h.types) > 0 {
		ok := false
		base := ct
		if i := strings.IndexByte(base, ';'); i >= 0 {
			base = base[:i]
		}
		for _, t := range h.types {
			if strings.EqualFold(t, base) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// applyMoreHeaders runs more_set_headers / more_clear_headers on the response.
func (r *Request) applyMoreHeaders() {
	for i := range r.loc.s.moreSet {
		h := &r.loc.s.moreSet[i]
		if !h.applies(r.status, r.contentType) {
			continue
		}
		if h.wildcard {
			j := 0
			for _, o := range r.out {
				if !(len(o.name) >= len(h.name) && strings.EqualFold(o.name[:len(h.name)], h.name)) {
					r.out[j] = o
					j++
				}
			}
			r.out = r.out[:j]
			continue
		}
		if h.value == nil {
			r.clearHeader(h.name)
			continue
		}
		v := h.value.eval(r)
		r.clearHeader(h.name)
		if v != "" {
			r.addOutHeader(h.name, v)
		}
	}
}

// applyMoreInput runs more_set_input_headers / more_clear_input_headers,
// in the rewrite phase (after the rewrite directives), as headers-more does.
func (r *Request) applyMoreInput() {
	for i := range r.loc.s.moreInput {
		h := &r.loc.s.moreInput[i]
		if len(h.types) > 0 && !h.applies(0, string(r.fc.Request.Header.ContentType())) {
			continue
		}
		if h.value == nil {
			r.fc.Request.Header.Del(h.name)
			continue
		}
		v := h.value.eval(r)
		r.fc.Request.Header.Del(h.name)
		if v != "" {
			r.fc.Request.Header.Set(h.name, v)
		}
	}
}

func setExpires(b *builder, d *conf.Directive) error {
	e := &expiresConf{}
	a := d.Args[len(d.Args)-1]
	switch a {
	case "off":
		e.off = true
	case "epoch":
		e.epoch = true
	case "max":
		e.max = true
	default:
		neg := strings.HasPrefix(a, "-")
		dur, err := conf.ParseTime(strings.TrimLeft(a, "+-"))
		if err != nil {
			return conf.Errorf(d, "invalid value \"%s\"", a)
		}
		if neg {
			dur = -dur
		}
		e.d = dur
	}
	b.loc.s.expires = e
	return nil
}
