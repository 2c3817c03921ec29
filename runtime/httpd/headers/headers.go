// Package headers is ngx_http_headers_module (add_header, expires) with
// headers-more's commands (more_set_headers, more_clear_headers,
// more_set_input_headers, more_clear_input_headers).
package headers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const (
	hSL  = conf.HTTP | conf.Server | conf.Location
	hSLI = hSL | conf.LocationIf
)

// Module is the headers module (its table is filled in by init: the
// handlers refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "headers",
		Commands: []httpd.Command{
			httpd.Directive(setAddHeader, conf.Spec{Name: "add_header", Ctx: hSLI, Args: conf.Take23}),
			httpd.Directive(setExpires, conf.Spec{Name: "expires", Ctx: hSLI, Args: conf.Take12}),
			httpd.Directive(setMoreSetHeaders, conf.Spec{Name: "more_set_headers", Ctx: hSLI, Args: conf.OneMore}),
			httpd.Directive(setMoreClearHeaders, conf.Spec{Name: "more_clear_headers", Ctx: hSLI, Args: conf.OneMore}),
			httpd.Directive(setMoreSetInputHeaders, conf.Spec{Name: "more_set_input_headers", Ctx: hSLI, Args: conf.OneMore}),
			httpd.Directive(setMoreClearInputHeaders, conf.Spec{Name: "more_clear_input_headers", Ctx: hSLI, Args: conf.OneMore}),
		},
		CreateLocConf: func() any { return &locConf{} },
		MergeLocConf:  mergeLocConf,
		Hooks:         hooks,
	}
}

func hooks(h *httpd.Hooks) {
	// headers-more's input filters run in the rewrite phase, before the
	// (postponed) rewrite_by_lua
	h.Phase(httpd.RewritePhase, moreInputHandler)
	h.HeaderFilter(headerFilter)
}

// locConf is the module's settings of a level; the *Set flags mark a
// level with commands of its own.
type locConf struct {
	addHeaders    []addHeader
	addHeadersSet bool
	moreSet       []moreHeader
	moreSetSet    bool
	moreInput     []moreHeader
	moreInputSet  bool
	expires       *expiresConf
}

func mergeLocConf(parent, child any) {
	p, s := parent.(*locConf), child.(*locConf)
	if !s.addHeadersSet {
		s.addHeaders, s.addHeadersSet = p.addHeaders, p.addHeadersSet
	}
	if !s.moreSetSet {
		s.moreSet, s.moreSetSet = p.moreSet, p.moreSetSet
	} else if p.moreSetSet {
		// headers-more inherits the enclosing commands and adds its own
		s.moreSet = append(append([]moreHeader(nil), p.moreSet...), s.moreSet...)
	}
	if !s.moreInputSet {
		s.moreInput, s.moreInputSet = p.moreInput, p.moreInputSet
	} else if p.moreInputSet {
		s.moreInput = append(append([]moreHeader(nil), p.moreInput...), s.moreInput...)
	}
	if s.expires == nil {
		s.expires = p.expires
	}
}

type addHeader struct {
	name   string
	value  *httpd.Value
	always bool
}

type expiresConf struct {
	off, epoch, max bool
	d               time.Duration
}

// moreHeader is one header of a headers-more command, with its -s/-t filters.
type moreHeader struct {
	name     string
	value    *httpd.Value // nil: clear
	statuses []int
	types    []string
	wildcard bool // "X-Foo-*" in more_clear_headers
}

func setAddHeader(b *httpd.Builder, d *conf.Directive) error {
	s := Module.Conf(b.Loc()).(*locConf)
	h := addHeader{name: d.Args[0], value: b.Value(d.Args[1])}
	if len(d.Args) == 3 {
		if d.Args[2] != "always" {
			return conf.Errorf(d, "invalid parameter \"%s\"", d.Args[2])
		}
		h.always = true
	}
	if !s.addHeadersSet {
		s.addHeaders, s.addHeadersSet = nil, true
	}
	s.addHeaders = append(s.addHeaders, h)
	return nil
}

func setExpires(b *httpd.Builder, d *conf.Directive) error {
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
	Module.Conf(b.Loc()).(*locConf).expires = e
	return nil
}

func setMoreSetHeaders(b *httpd.Builder, d *conf.Directive) error { return addMore(b, d, false, false) }

func setMoreClearHeaders(b *httpd.Builder, d *conf.Directive) error {
	return addMore(b, d, false, true)
}

func setMoreSetInputHeaders(b *httpd.Builder, d *conf.Directive) error {
	return addMore(b, d, true, false)
}

func setMoreClearInputHeaders(b *httpd.Builder, d *conf.Directive) error {
	return addMore(b, d, true, true)
}

func addMore(b *httpd.Builder, d *conf.Directive, input, clear bool) error {
	cmds, err := parseMore(b, d, clear)
	if err != nil {
		return err
	}
	s := Module.Conf(b.Loc()).(*locConf)
	if input {
		s.moreInput = append(s.moreInput, cmds...)
		s.moreInputSet = true
	} else {
		s.moreSet = append(s.moreSet, cmds...)
		s.moreSetSet = true
	}
	return nil
}

func parseMore(b *httpd.Builder, d *conf.Directive, clear bool) ([]moreHeader, error) {
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
				h.value = b.Value(v)
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

// headerFilter runs more_set_headers / more_clear_headers, then expires
// and add_header for the statuses nginx adds them to.
func headerFilter(r *httpd.Request) {
	s := Module.Conf(r.Loc()).(*locConf)
	applyMoreHeaders(r, s)
	ok := addHeaderStatus(r.Status())
	if ok {
		applyExpires(r, s.expires)
	}
	for _, h := range s.addHeaders {
		if !ok && !h.always {
			continue
		}
		v := h.value.Eval(r)
		if v == "" {
			continue
		}
		r.AddListedHeader(h.name, v)
	}
}

func addHeaderStatus(s int) bool {
	switch s {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		return true
	}
	return false
}

func applyMoreHeaders(r *httpd.Request, s *locConf) {
	for i := range s.moreSet {
		h := &s.moreSet[i]
		if !h.applies(r.Status(), r.ContentType()) {
			continue
		}
		if h.wildcard {
			r.ClearHeaderPrefix(h.name)
			continue
		}
		if h.value == nil {
			r.ClearHeader(h.name)
			continue
		}
		v := h.value.Eval(r)
		r.ClearHeader(h.name)
		if v != "" {
			r.AddHeader(h.name, v)
		}
	}
}

func applyExpires(r *httpd.Request, e *expiresConf) {
	if e == nil || e.off {
		return
	}
	now := time.Now().UTC()
	switch {
	case e.epoch:
		r.AddHeader("Expires", "Thu, 01 Jan 1970 00:00:01 GMT")
		r.AddHeader("Cache-Control", "no-cache")
	case e.max:
		r.AddHeader("Expires", "Thu, 31 Dec 2037 23:55:55 GMT")
		r.AddHeader("Cache-Control", "max-age=315360000")
	default:
		r.AddHeader("Expires", now.Add(e.d).Format(http.TimeFormat))
		if e.d < 0 {
			r.AddHeader("Cache-Control", "no-cache")
		} else {
			r.AddHeader("Cache-Control", "max-age="+strconv.Itoa(int(e.d.Seconds())))
		}
	}
}

// moreInputHandler runs more_set_input_headers / more_clear_input_headers
// in the rewrite phase (after the rewrite directives), as headers-more does.
func moreInputHandler(r *httpd.Request) httpd.Status {
	s := Module.Conf(r.Loc()).(*locConf)
	for i := range s.moreInput {
		h := &s.moreInput[i]
		hdr := r.Header()
		if len(h.types) > 0 && !h.applies(0, string(hdr.ContentType())) {
			continue
		}
		if h.value == nil {
			hdr.Del(h.name)
			continue
		}
		v := h.value.Eval(r)
		hdr.Del(h.name)
		if v != "" {
			hdr.Set(h.name, v)
		}
	}
	return httpd.Declined
}
