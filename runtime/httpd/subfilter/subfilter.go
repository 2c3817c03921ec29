// Package subfilter is ngx_http_sub_module: strings in a response body
// are replaced by others.
package subfilter

import (
	"bytes"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the sub_filter module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "sub_filter",
		Commands: []httpd.Command{
			httpd.Directive(setSubFilter, conf.Spec{Name: "sub_filter", Ctx: hSL, Args: conf.Take2}),
			httpd.Directive(setSubFilterOnce, conf.Spec{Name: "sub_filter_once", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setSubFilterTypes, conf.Spec{Name: "sub_filter_types", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setSubFilterLastModified, conf.Spec{Name: "sub_filter_last_modified", Ctx: hSL, Args: conf.Flag}),
		},
		CreateLocConf: func() any { return &locConf{once: -1, lastModified: -1} },
		MergeLocConf:  mergeLocConf,
		Hooks: func(h *httpd.Hooks) {
			h.HeaderFilter(headerFilter)
			h.BodyFilter(bodyFilter)
		},
	}
}

type pair struct {
	match, value *httpd.Value
}

type locConf struct {
	pairs        []pair
	types        []string
	typesSet     bool
	once         int8
	lastModified int8
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if c.pairs == nil {
		c.pairs = p.pairs
	}
	if !c.typesSet {
		c.types, c.typesSet = p.types, p.typesSet
	}
	httpd.MergeValue(&c.once, p.once, 1)
	httpd.MergeValue(&c.lastModified, p.lastModified, 0)
}

func setSubFilter(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if d.Args[0] == "" {
		return conf.Errorf(d, "empty search pattern")
	}
	for _, p := range c.pairs {
		if strings.EqualFold(p.match.Raw(), d.Args[0]) {
			return conf.Errorf(d, "duplicate search pattern \"%s\"", d.Args[0])
		}
	}
	if len(c.pairs) == 255 {
		return conf.Errorf(d, "number of search patterns exceeds 255")
	}
	c.pairs = append(c.pairs, pair{match: b.Value(d.Args[0]), value: b.Value(d.Args[1])})
	return nil
}

func flag(d *conf.Directive, v *int8) error {
	if *v >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	*v = 0
	if d.Flag() {
		*v = 1
	}
	return nil
}

func setSubFilterOnce(b *httpd.Builder, d *conf.Directive) error {
	return flag(d, &Module.Conf(b.Loc()).(*locConf).once)
}

func setSubFilterLastModified(b *httpd.Builder, d *conf.Directive) error {
	return flag(d, &Module.Conf(b.Loc()).(*locConf).lastModified)
}

func setSubFilterTypes(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.typesSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.types, c.typesSet = append([]string(nil), d.Args...), true
	return nil
}

// state is one response being filtered: the patterns (lowercase) and
// their replacements for this request, what was replaced, and the bytes
// kept back that may start a match.
type state struct {
	match    [][]byte
	value    [][]byte
	done     []bool
	once     bool
	pending  []byte
	maxMatch int
	left     int // patterns that may still match (once)
}

// headerFilter is ngx_http_sub_header_filter.
func headerFilter(r *httpd.Request) {
	c := Module.Conf(r.Loc()).(*locConf)
	if len(c.pairs) == 0 || r.ContentLength() == 0 || !httpd.TestContentType(c.types, r.ContentType()) {
		return
	}
	if r.HasHeader("Content-Encoding") {
		return
	}
	st := &state{once: c.once == 1}
	for _, p := range c.pairs {
		m := p.match.Eval(r)
		if m == "" {
			continue
		}
		st.match = append(st.match, []byte(strings.ToLower(m)))
		st.value = append(st.value, []byte(p.value.Eval(r)))
		st.maxMatch = max(st.maxMatch, len(m))
	}
	if len(st.match) == 0 {
		return
	}
	st.done = make([]bool, len(st.match))
	st.left = len(st.match)
	Module.SetReqCtx(r, st)
	if r.IsMain() {
		// no length: the client gets the body chunked, as from nginx
		r.SetHeader("Content-Length")
		r.SetContentLength(-1)
		if c.lastModified == 0 {
			r.ClearHeader("Last-Modified")
			r.ClearHeader("ETag")
		} else if et := r.HeaderValues("ETag"); len(et) == 1 && !strings.HasPrefix(et[0], "W/") {
			r.ClearHeader("ETag")
			r.AddHeader("ETag", "W/"+et[0])
		}
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// matchAt reports whether pattern m (lowercase) is at the start of b
// (full), or b is a prefix of it (partial).
func matchAt(b, m []byte) (full, partial bool) {
	n := min(len(b), len(m))
	for i := 0; i < n; i++ {
		if lower(b[i]) != m[i] {
			return false, false
		}
	}
	return len(b) >= len(m), len(b) < len(m)
}

func bodyFilter(r *httpd.Request, chunk []byte, last bool) ([]byte, bool) {
	st, _ := Module.ReqCtx(r).(*state)
	if st == nil {
		return chunk, last
	}
	buf := chunk
	if len(st.pending) > 0 {
		buf = append(st.pending, chunk...)
		st.pending = nil
	}
	if st.left == 0 {
		return buf, last
	}
	var out bytes.Buffer
	start := 0
	i := 0
scan:
	for i < len(buf) {
		if st.left == 0 {
			break
		}
		partialHere := false
		for k, m := range st.match {
			if st.done[k] {
				continue
			}
			full, partial := matchAt(buf[i:], m)
			if full {
				out.Write(buf[start:i])
				out.Write(st.value[k])
				i += len(m)
				start = i
				if st.once {
					st.done[k] = true
					st.left--
				}
				continue scan
			}
			if partial && !last {
				partialHere = true
			}
		}
		if partialHere {
			// the rest may start a match: keep it for the next chunk
			out.Write(buf[start:i])
			st.pending = append([]byte(nil), buf[i:]...)
			return out.Bytes(), last
		}
		i++
	}
	out.Write(buf[start:])
	return out.Bytes(), last
}
