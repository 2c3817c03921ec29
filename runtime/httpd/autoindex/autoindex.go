// Package autoindex is ngx_http_autoindex_module: a URI ending in "/"
// that no index file answered lists its directory, as html, json, jsonp
// or xml, byte for byte as nginx writes them.
package autoindex

import (
	"errors"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the autoindex module (filled in by init: its handlers refer
// to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "autoindex",
		Commands: []httpd.Command{
			httpd.Directive(setAutoindex, conf.Spec{Name: "autoindex", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setFormat, conf.Spec{Name: "autoindex_format", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setLocaltime, conf.Spec{Name: "autoindex_localtime", Ctx: hSL, Args: conf.Flag}),
			httpd.Directive(setExactSize, conf.Spec{Name: "autoindex_exact_size", Ctx: hSL, Args: conf.Flag}),
		},
		CreateLocConf: func() any { return &locConf{enable: -1, format: -1, localtime: -1, exactSize: -1} },
		MergeLocConf:  mergeLocConf,
		Hooks:         func(h *httpd.Hooks) { h.Phase(httpd.ContentPhase, handler) },
	}
}

// The formats of autoindex_format.
const (
	formatHTML = iota
	formatJSON
	formatJSONP
	formatXML
)

// locConf is the autoindex settings of a level; -1 is unset.
type locConf struct {
	enable, format, localtime, exactSize int8
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	httpd.MergeValue(&c.enable, p.enable, 0)
	httpd.MergeValue(&c.format, p.format, formatHTML)
	httpd.MergeValue(&c.localtime, p.localtime, 0)
	httpd.MergeValue(&c.exactSize, p.exactSize, 1)
}

func loc(b *httpd.Builder) *locConf { return Module.Conf(b.Loc()).(*locConf) }

func flag(d *conf.Directive) int8 {
	if d.Args[0] == "on" {
		return 1
	}
	return 0
}

func setAutoindex(b *httpd.Builder, d *conf.Directive) error {
	loc(b).enable = flag(d)
	return nil
}

func setLocaltime(b *httpd.Builder, d *conf.Directive) error {
	loc(b).localtime = flag(d)
	return nil
}

func setExactSize(b *httpd.Builder, d *conf.Directive) error {
	loc(b).exactSize = flag(d)
	return nil
}

func setFormat(b *httpd.Builder, d *conf.Directive) error {
	c := loc(b)
	if c.format >= 0 {
		return conf.Errorf(d, "\"autoindex_format\" directive is duplicate")
	}
	switch d.Args[0] {
	case "html":
		c.format = formatHTML
	case "json":
		c.format = formatJSON
	case "jsonp":
		c.format = formatJSONP
	case "xml":
		c.format = formatXML
	default:
		return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
	}
	return nil
}

// entry is one listed name.
type entry struct {
	name      string
	dir, file bool
	mtime     time.Time
	size      int64
}

// handler is ngx_http_autoindex_handler.
func handler(r *httpd.Request) httpd.Status {
	uri := r.URI()
	if uri == "" || uri[len(uri)-1] != '/' {
		return httpd.Declined
	}
	if m := r.Method(); m != "GET" && m != "HEAD" {
		return httpd.Declined
	}
	c := Module.Conf(r.Loc()).(*locConf)
	if c.enable != 1 {
		return httpd.Declined
	}
	r.DiscardBody()
	path := r.FilePath()
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	format := c.format
	var callback string
	if format == formatJSONP {
		cb, ok := jsonpCallback(r)
		if !ok {
			r.Finalize(400)
			return httpd.Done
		}
		if cb == "" {
			format = formatJSON
		}
		callback = cb
	}
	f, err := os.Open(path)
	var names []string
	if err == nil {
		names, err = f.Readdirnames(-1)
		f.Close()
	}
	if err != nil {
		code, level := 500, httpd.LogCrit
		var en syscall.Errno
		if errors.As(err, &en) {
			switch en {
			case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
				code, level = 404, httpd.LogErr
			case syscall.EACCES:
				code, level = 403, httpd.LogErr
			}
		}
		r.Logf(level, "opendir() \"%s\" failed %s", path, conf.ErrnoText(err))
		r.Finalize(code)
		return httpd.Done
	}
	entries := make([]entry, 0, len(names))
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		full := path + "/" + name
		st, err := os.Stat(full)
		if err != nil {
			var en syscall.Errno
			errors.As(err, &en)
			if en != syscall.ENOENT && en != syscall.ELOOP {
				r.Logf(httpd.LogCrit, "stat() \"%s\" failed %s", full, conf.ErrnoText(err))
				if en == syscall.EACCES {
					continue
				}
				r.Finalize(500)
				return httpd.Done
			}
			if st, err = os.Lstat(full); err != nil {
				r.Logf(httpd.LogCrit, "lstat() \"%s\" failed %s", full, conf.ErrnoText(err))
				r.Finalize(500)
				return httpd.Done
			}
		}
		entries = append(entries, entry{name: name, dir: st.IsDir(), file: st.Mode().IsRegular(), mtime: st.ModTime(), size: st.Size()})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].dir != entries[j].dir {
			return entries[i].dir
		}
		return entries[i].name < entries[j].name
	})
	var body []byte
	var ct string
	switch format {
	case formatJSON:
		ct, body = "application/json", appendJSON(nil, entries, "", false)
	case formatJSONP:
		ct, body = "application/javascript", appendJSON(nil, entries, callback, true)
	case formatXML:
		ct, body = "text/xml; charset=utf-8", appendXML(nil, entries)
	default:
		ct = "text/html"
		body = appendHTML(nil, r, entries, c, isUTF8(r.Charset()))
	}
	r.SetStatus(200)
	r.SetContentType(ct)
	// the length is not known when nginx sends the header: chunked
	r.Write(body)
	r.EOF()
	r.SetFinalized()
	return httpd.Done
}

func isUTF8(cs string) bool {
	return len(cs) == 5 && (cs[0]|0x20) == 'u' && (cs[1]|0x20) == 't' && (cs[2]|0x20) == 'f' && cs[3] == '-' && cs[4] == '8'
}

// jsonpCallback is ngx_http_autoindex_jsonp_callback: the "callback"
// argument, letters, digits, "_" and "." only, at most 128 bytes.
func jsonpCallback(r *httpd.Request) (string, bool) {
	cb, ok := httpd.Arg(r.Args(), "callback")
	if !ok {
		return "", true
	}
	if len(cb) > 128 {
		r.Logf(httpd.LogInfo, "client sent too long callback name: \"%s\"", cb)
		return "", false
	}
	for i := 0; i < len(cb); i++ {
		ch := cb[i]
		if c := ch | 0x20; c >= 'a' && c <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.' {
			continue
		}
		r.Logf(httpd.LogInfo, "client sent invalid callback name: \"%s\"", cb)
		return "", false
	}
	return cb, true
}
