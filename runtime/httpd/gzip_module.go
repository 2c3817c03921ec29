package httpd

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/klauspost/compress/gzip"
)

type gzipConf struct {
	on        int8
	types     []string
	proxied   []string
	level     int
	vary      int8
	minLength int64
	disable   []*regexp.Regexp
	http10    int8
}

func newGzipConf() gzipConf { return gzipConf{on: -1, level: -1, vary: -1, minLength: -1, http10: -1} }

func (g *gzipConf) merge(p *gzipConf) {
	mergeTri(&g.on, p.on)
	mergeTri(&g.vary, p.vary)
	mergeTri(&g.http10, p.http10)
	if g.types == nil {
		g.types = p.types
	}
	if g.proxied == nil {
		g.proxied = p.proxied
	}
	if g.level < 0 {
		g.level = p.level
	}
	if g.minLength < 0 {
		g.minLength = p.minLength
	}
	if g.disable == nil {
		g.disable = p.disable
	}
}

func (g *gzipConf) defaults() {
	if g.on < 0 {
		g.on = 0
	}
	if g.vary < 0 {
		g.vary = 0
	}
	if g.http10 < 0 {
		g.http10 = 0
	}
	if g.level < 0 {
		g.level = 1
	}
	if g.minLength < 0 {
		g.minLength = 20
	}
	if g.proxied == nil {
		g.proxied = []string{"off"}
	}
}

// GzipModule is ngx_http_gzip_filter_module.
var GzipModule = &Module{Name: "gzip", Hooks: gzipHooks}

func gzipHooks(h *Hooks) {
	h.HeaderFilter(gzipHeaderFilter)
	h.BodyFilter(gzipBodyFilter)
}

func gzipHeaderFilter(r *Request) { r.gzipDecide() }

func gzipBodyFilter(r *Request, chunk []byte, last bool) ([]byte, bool) {
	if r.gz != nil {
		chunk = r.gz.compress(chunk, last)
	}
	return chunk, last
}

func init() {
	flagSetting("gzip", hSLI, func(s *settings) *int8 { return &s.gzip.on })
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.gzip.types = append(b.loc.s.gzip.types, d.Args...)
		return nil
	}, conf.Spec{Name: "gzip_types", Ctx: hSL, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.s.gzip.proxied = d.Args
		return nil
	}, conf.Spec{Name: "gzip_proxied", Ctx: hSL, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		n, err := atoiArg(d, d.Args[0])
		if err != nil || n < 1 || n > 9 {
			return conf.Errorf(d, "value must be between 1 and 9")
		}
		b.loc.s.gzip.level = n
		return nil
	}, conf.Spec{Name: "gzip_comp_level", Ctx: hSL, Args: conf.Take1})
	flagSetting("gzip_vary", hSL, func(s *settings) *int8 { return &s.gzip.vary })
	directive(func(b *builder, d *conf.Directive) error {
		n, err := conf.ParseSize(d.Args[0])
		if err != nil {
			return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
		}
		b.loc.s.gzip.minLength = n
		return nil
	}, conf.Spec{Name: "gzip_min_length", Ctx: hSL, Args: conf.Take1})
	directive(func(b *builder, d *conf.Directive) error {
		for _, a := range d.Args {
			if a == "msie6" {
				a = `MSIE [4-6]\.`
			}
			re, err := regexp.Compile("(?i)" + a)
			if err != nil {
				return conf.Errorf(d, "%s", err.Error())
			}
			b.loc.s.gzip.disable = append(b.loc.s.gzip.disable, re)
		}
		return nil
	}, conf.Spec{Name: "gzip_disable", Ctx: hSL, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		if d.Args[0] == "1.0" {
			b.loc.s.gzip.http10 = 1
		} else {
			b.loc.s.gzip.http10 = 0
		}
		return nil
	}, conf.Spec{Name: "gzip_http_version", Ctx: hSL, Args: conf.Take1})
	accepted(conf.Spec{Name: "gzip_buffers", Ctx: hSL, Args: conf.Take2},
		conf.Spec{Name: "gzip_static", Ctx: hSL, Args: conf.Take1},
		conf.Spec{Name: "gunzip", Ctx: hSL, Args: conf.Flag})
}

// gzipDecide is the gzip header filter: it decides once the header is
// final whether the body is compressed.
func (r *Request) gzipDecide() {
	g := &r.loc.s.gzip
	if g.on != 1 || r.subOut != nil || r.status != 200 && r.status != 403 && r.status != 404 {
		return
	}
	if r.contentLen >= 0 && r.contentLen < g.minLength {
		return
	}
	for _, h := range r.out {
		if strings.EqualFold(h.name, "Content-Encoding") {
			return
		}
	}
	if !gzipType(g.types, r.contentType) {
		return
	}
	if g.vary == 1 {
		// the response depends on Accept-Encoding whether or not this
		// client accepts gzip
		r.addOutHeader("Vary", "Accept-Encoding")
	}
	if !r.fc.Request.Header.IsHTTP11() && g.http10 != 1 {
		return
	}
	ae := string(r.fc.Request.Header.Peek("Accept-Encoding"))
	if !strings.Contains(ae, "gzip") {
		return
	}
	if ua := r.fc.Request.Header.UserAgent(); len(ua) > 0 {
		for _, re := range g.disable {
			if re.Match(ua) {
				return
			}
		}
	}
	if !gzipType(g.types, r.contentType) {
		return
	}
	if r.fc.Request.Header.Peek("Via") != nil && !gzipProxiedOK(g.proxied, r) {
		return
	}
	r.gz = newGzipWriter(g.level)
	r.addOutHeader("Content-Encoding", "gzip")
	r.contentLen = -1
}

func gzipType(types []string, ct string) bool {
	base := ct
	if i := strings.IndexByte(base, ';'); i >= 0 {
		base = base[:i]
	}
	base = strings.TrimSpace(strings.ToLower(base))
	if base == "text/html" {
		return true
	}
	for _, t := range types {
		if t == "*" || strings.EqualFold(t, base) {
			return true
		}
	}
	return false
}

func gzipProxiedOK(p []string, r *Request) bool {
	for _, v := range p {
		switch v {
		case "any":
			return true
		case "off":
			return false
		}
	}
	return true
}

type gzipWriter struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

func newGzipWriter(level int) *gzipWriter {
	g := &gzipWriter{}
	g.zw, _ = gzip.NewWriterLevel(&g.buf, level)
	return g
}

func (g *gzipWriter) compress(p []byte, last bool) []byte {
	if len(p) > 0 {
		g.zw.Write(p)
	}
	if last {
		g.zw.Close()
	} else if len(p) > 0 {
		g.zw.Flush()
	} else {
		return nil
	}
	out := append([]byte(nil), g.buf.Bytes()...)
	g.buf.Reset()
	return out
}
