// Package gzip is ngx_http_gzip_filter_module: responses compressed on
// the way out (klauspost/compress).
package gzip

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
	kgzip "github.com/klauspost/compress/gzip"
)

const (
	hSL  = conf.HTTP | conf.Server | conf.Location
	hSLI = hSL | conf.LocationIf
)

// Module is the gzip module (its table is filled in by init: the
// handlers refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "gzip",
		Commands: []httpd.Command{
			httpd.Directive(setGzip, conf.Spec{Name: "gzip", Ctx: hSLI, Args: conf.Flag}),
			httpd.Directive(setTypes, conf.Spec{Name: "gzip_types", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setProxied, conf.Spec{Name: "gzip_proxied", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setCompLevel, conf.Spec{Name: "gzip_comp_level", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setVary, conf.Spec{Name: "gzip_vary", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setMinLength, conf.Spec{Name: "gzip_min_length", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setDisable, conf.Spec{Name: "gzip_disable", Ctx: hSL, Args: conf.OneMore}),
			httpd.Directive(setHTTPVersion, conf.Spec{Name: "gzip_http_version", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setStatic, conf.Spec{Name: "gzip_static", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setBuffers, conf.Spec{Name: "gzip_buffers", Ctx: hSL, Args: conf.Take2}),
			httpd.Directive(setGunzip, conf.Spec{Name: "gunzip", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setGunzipBuffers, conf.Spec{Name: "gunzip_buffers", Ctx: hSL, Args: conf.Take2}),
		},

		Variables: []httpd.Variable{{Name: "gzip_ratio", Get: ratio}},
		CreateLocConf: func() any {
			return &locConf{on: -1, level: -1, vary: -1, minLength: -1, http10: -1, static: -1, bufNum: -1, gunzip: -1}
		},
		MergeLocConf: mergeLocConf,
		Hooks:        hooks,
	}
}

func hooks(h *httpd.Hooks) {
	h.Phase(httpd.ContentPhase, staticHandler)
	h.Phase(httpd.LogPhase, gunzipDone)
	h.HeaderFilter(headerFilter)
	h.BodyFilter(bodyFilter)
}

// locConf is the gzip settings of a level; -1 (nil for lists) is unset.
type locConf struct {
	on        int8
	types     []string
	proxied   []string
	level     int
	vary      int8
	minLength int64
	disable   []*regexp.Regexp
	http10    int8
	static    int8 // gzip_static: 0 off, 1 on, 2 always
	gunzip    int8
	bufNum    int // gzip_buffers, validated: the output's framing is not nginx's anyway
	bufSize   int
}

func mergeLocConf(parent, child any) {
	p, g := parent.(*locConf), child.(*locConf)
	httpd.MergeValue(&g.on, p.on, 0)
	httpd.MergeValue(&g.vary, p.vary, 0)
	httpd.MergeValue(&g.http10, p.http10, 0)
	if g.types == nil {
		g.types = p.types
	}
	if g.proxied == nil {
		g.proxied = p.proxied
	}
	if g.proxied == nil {
		g.proxied = []string{"off"}
	}
	httpd.MergeValue(&g.level, p.level, 1)
	httpd.MergeValue(&g.minLength, p.minLength, 20)
	if g.disable == nil {
		g.disable = p.disable
	}
	httpd.MergeValue(&g.static, p.static, 0)
	httpd.MergeValue(&g.gunzip, p.gunzip, 0)
	if g.bufNum < 0 {
		g.bufNum, g.bufSize = p.bufNum, p.bufSize
	}
	if g.bufNum < 0 {
		g.bufNum, g.bufSize = 32, 4096 // nginx's 32 4k (one memory page)
	}
}

func flag(d *conf.Directive) int8 {
	if d.Args[0] == "off" {
		return 0
	}
	return 1
}

func loc(b *httpd.Builder) *locConf { return Module.Conf(b.Loc()).(*locConf) }

func setGzip(b *httpd.Builder, d *conf.Directive) error {
	loc(b).on = flag(d)
	return nil
}

func setVary(b *httpd.Builder, d *conf.Directive) error {
	loc(b).vary = flag(d)
	return nil
}

func setTypes(b *httpd.Builder, d *conf.Directive) error {
	g := loc(b)
	g.types = append(g.types, d.Args...)
	return nil
}

func setProxied(b *httpd.Builder, d *conf.Directive) error {
	loc(b).proxied = d.Args
	return nil
}

func setCompLevel(b *httpd.Builder, d *conf.Directive) error {
	n, err := b.Atoi(d, d.Args[0])
	if err != nil || n < 1 || n > 9 {
		return conf.Errorf(d, "value must be between 1 and 9")
	}
	loc(b).level = n
	return nil
}

func setMinLength(b *httpd.Builder, d *conf.Directive) error {
	n, err := conf.ParseSize(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	loc(b).minLength = n
	return nil
}

func setDisable(b *httpd.Builder, d *conf.Directive) error {
	g := loc(b)
	for _, a := range d.Args {
		if a == "msie6" {
			a = `MSIE [4-6]\.`
		}
		re, err := regexp.Compile("(?i)" + a)
		if err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
		g.disable = append(g.disable, re)
	}
	return nil
}

// setGunzipBuffers validates gunzip_buffers: the decompressor's output
// goes out with each chunk, not in nginx's buffers.
func setGunzipBuffers(b *httpd.Builder, d *conf.Directive) error {
	n, err := b.Atoi(d, d.Args[0])
	size, serr := conf.ParseSize(d.Args[1])
	if err != nil || n == 0 || serr != nil || size <= 0 {
		return conf.Errorf(d, "invalid value \"%s %s\"", d.Args[0], d.Args[1])
	}
	return nil
}

func setGunzip(b *httpd.Builder, d *conf.Directive) error {
	loc(b).gunzip = flag(d)
	return nil
}

func setStatic(b *httpd.Builder, d *conf.Directive) error {
	switch d.Args[0] {
	case "off":
		loc(b).static = 0
	case "on":
		loc(b).static = 1
	case "always":
		loc(b).static = 2
	default:
		return conf.Errorf(d, "invalid value \"%s\" in \"%s\" directive, it must be \"on\", \"off\" or \"always\"", d.Args[0], d.Name)
	}
	return nil
}

func setBuffers(b *httpd.Builder, d *conf.Directive) error {
	n, err := b.Atoi(d, d.Args[0])
	size, serr := conf.ParseSize(d.Args[1])
	if err != nil || n == 0 || serr != nil || size <= 0 {
		return conf.Errorf(d, "invalid value \"%s %s\"", d.Args[0], d.Args[1])
	}
	loc(b).bufNum, loc(b).bufSize = n, int(size)
	return nil
}

// staticVary marks a request whose precompressed file decided by
// Accept-Encoding (gzip_static on): the answer varies by it.
type staticVary struct{}

// staticHandler is ngx_http_gzip_static_module: FILE.gz answers for FILE
// when the client accepts gzip (always: whatever it accepts).
func staticHandler(r *httpd.Request) httpd.Status {
	g := Module.Conf(r.Loc()).(*locConf)
	m := r.Method()
	if g.static == 0 || m != "GET" && m != "HEAD" || strings.HasSuffix(r.URI(), "/") {
		return httpd.Declined
	}
	ok := g.static == 2 || gzipOK(r, g)
	if g.vary != 1 && !ok {
		return httpd.Declined
	}
	path := r.FilePath()
	st, err := os.Stat(path + ".gz")
	if err != nil {
		return httpd.Declined
	}
	if g.static == 1 {
		Module.SetReqCtx(r, staticVary{})
		if !ok {
			return httpd.Declined
		}
	}
	if st.IsDir() {
		return httpd.Declined
	}
	r.AddHeader("Content-Encoding", "gzip")
	r.SendFile(path+".gz", path, st, false)
	return httpd.Done
}

// gzipOK is ngx_http_gzip_ok: the client takes gzip (Accept-Encoding,
// gzip_http_version, gzip_disable, gzip_proxied).
func gzipOK(r *httpd.Request, g *locConf) bool {
	in := r.Header()
	if !in.IsHTTP11() && g.http10 != 1 {
		return false
	}
	if !acceptsGzip(string(in.Peek("Accept-Encoding"))) {
		return false
	}
	if ua := in.UserAgent(); len(ua) > 0 {
		for _, re := range g.disable {
			if re.Match(ua) {
				return false
			}
		}
	}
	if in.Peek("Via") != nil && !proxiedOK(g.proxied) {
		return false
	}
	return true
}

// acceptsGzip is ngx_http_gzip_accept_encoding: "gzip" in the list, not
// with q=0.
func acceptsGzip(ae string) bool {
	for ae != "" {
		var item string
		item, ae, _ = strings.Cut(ae, ",")
		name, params, _ := strings.Cut(item, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			v = strings.TrimRight(strings.TrimSpace(v), "0")
			if v == "" || v == "0." || v == "0" {
				return false
			}
		}
		return true
	}
	return false
}

func setHTTPVersion(b *httpd.Builder, d *conf.Directive) error {
	if d.Args[0] == "1.0" {
		loc(b).http10 = 1
	} else {
		loc(b).http10 = 0
	}
	return nil
}

// headerFilter decides once the header is final whether the body is
// compressed; the writer is the request's module context.
func headerFilter(r *httpd.Request) {
	g := Module.Conf(r.Loc()).(*locConf)
	if _, ok := Module.ReqCtx(r).(staticVary); ok {
		if g.vary == 1 {
			r.AddHeader("Vary", "Accept-Encoding")
		}
		return
	}
	if gunzipHeader(r, g) {
		return
	}
	status := r.Status()
	if g.on != 1 || r.IsSubrequest() || status != 200 && status != 403 && status != 404 {
		return
	}
	if n := r.ContentLength(); n >= 0 && n < g.minLength {
		return
	}
	if r.HasHeader("Content-Encoding") {
		return
	}
	ct := r.ContentType()
	if !httpd.TestContentType(g.types, ct) {
		return
	}
	if g.vary == 1 {
		// the response depends on Accept-Encoding whether or not this
		// client accepts gzip
		r.AddHeader("Vary", "Accept-Encoding")
	}
	if !gzipOK(r, g) {
		return
	}
	Module.SetReqCtx(r, newWriter(g.level))
	r.AddHeader("Content-Encoding", "gzip")
	// ngx_http_clear_content_length: the length is unknown when the
	// header goes out, so an HTTP/1.1 client gets the body chunked
	r.SetHeader("Content-Length")
	// the body is not the one the ETag and ranges describe
	weakETag(r)
	r.SetHeader("Accept-Ranges")
}

// weakETag is ngx_http_weak_etag: a strong ETag becomes weak, one that
// is neither is dropped.
func weakETag(r *httpd.Request) {
	vs := r.HeaderValues("ETag")
	if len(vs) == 0 {
		return
	}
	e := vs[len(vs)-1]
	switch {
	case strings.HasPrefix(e, "W/"):
	case strings.HasPrefix(e, `"`):
		r.SetHeader("ETag", "W/"+e)
	default:
		r.SetHeader("ETag")
	}
}

// ratio is $gzip_ratio: how many times the body shrank, with two
// decimals rounded as nginx does; not found when it was not compressed.
func ratio(r *httpd.Request) (string, bool) {
	w, ok := Module.ReqCtx(r).(*writer)
	if !ok || w.out == 0 {
		return "", false
	}
	zint := w.in / w.out
	zfrac := w.in * 100 / w.out % 100
	if w.in*1000/w.out%10 > 4 {
		zfrac++
		if zfrac > 99 {
			zint++
			zfrac = 0
		}
	}
	return strconv.FormatInt(zint, 10) + "." + string(rune('0'+zfrac/10)) + string(rune('0'+zfrac%10)), true
}

func bodyFilter(r *httpd.Request, chunk []byte, last bool) ([]byte, bool) {
	switch w := Module.ReqCtx(r).(type) {
	case *writer:
		chunk = w.compress(chunk, last)
	case *gunzipper:
		chunk = w.feed(chunk, last)
	}
	return chunk, last
}

func proxiedOK(p []string) bool {
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

type writer struct {
	buf     bytes.Buffer
	zw      *kgzip.Writer
	in, out int64 // bytes compressed and produced ($gzip_ratio)
}

func newWriter(level int) *writer {
	g := &writer{}
	g.zw, _ = kgzip.NewWriterLevel(&g.buf, level)
	return g
}

func (g *writer) compress(p []byte, last bool) []byte {
	if len(p) > 0 {
		g.zw.Write(p)
	}
	g.in += int64(len(p))
	switch {
	case last:
		// a flush first: on Close alone the compressor stores a small
		// body uncompressed
		g.zw.Flush()
		g.zw.Close()
	case len(p) > 0:
		g.zw.Flush()
	default:
		return nil
	}
	g.out += int64(g.buf.Len())
	out := append([]byte(nil), g.buf.Bytes()...)
	g.buf.Reset()
	return out
}
