// Package index is ngx_http_index_module: a URI ending in "/" is
// redirected internally to the first index file that exists.
package index

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the index module (filled in by init: its handlers refer to
// Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "index",
		Commands: []httpd.Command{
			httpd.Directive(setIndex, conf.Spec{Name: "index", Ctx: conf.HTTP | conf.Server | conf.Location, Args: conf.OneMore}),
		},
		CreateLocConf: func() any { return &locConf{} },
		MergeLocConf:  mergeLocConf,
		Hooks:         func(h *httpd.Hooks) { h.Phase(httpd.ContentPhase, handler) },
	}
}

// locConf is the index list of a level (nil: unset).
type locConf struct {
	indices []*httpd.Value
}

var defaultIndex []*httpd.Value

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if c.indices == nil {
		c.indices = p.indices
	}
	if c.indices == nil {
		c.indices = defaultIndex
	}
}

// setIndex is the "index" directive; several directives add up, as in
// nginx. A name with no variables may not be empty.
func setIndex(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	for _, a := range d.Args {
		if a == "" {
			return conf.Errorf(d, "index \"%s\" in \"index\" directive is invalid", a)
		}
		c.indices = append(c.indices, b.Value(a))
	}
	return nil
}

func init() {
	defaultIndex = []*httpd.Value{httpd.Literal("index.html")}
}

// handler is ngx_http_index_handler.
func handler(r *httpd.Request) httpd.Status {
	uri := r.URI()
	if !strings.HasSuffix(uri, "/") {
		return httpd.Declined
	}
	if m := r.Method(); m != "GET" && m != "HEAD" && m != "POST" {
		return httpd.Declined
	}
	c := Module.Conf(r.Loc()).(*locConf)
	dir := r.FilePath()
	dirTested := false
	for _, ix := range c.indices {
		name := ix.Eval(r)
		if strings.HasPrefix(name, "/") {
			r.InternalRedirect(name, r.Args())
			return httpd.Done
		}
		path := dir + name
		// a test, not a read: a directory of that name is an index too
		// (the static module then redirects to it with a "/")
		if _, err := os.Stat(path); err != nil {
			en := errnoOf(err)
			switch en {
			case syscall.EMLINK, syscall.ELOOP:
				r.Finalize(403)
				return httpd.Done
			case syscall.ENOTDIR, syscall.ENAMETOOLONG, syscall.EACCES:
				return indexError(r, path, err, en)
			}
			if !dirTested {
				if st := testDir(r, dir, path); st != httpd.Declined {
					return st
				}
				dirTested = true
			}
			if en == syscall.ENOENT {
				continue
			}
			r.Logf(httpd.LogCrit, "open() \"%s\" failed %s", path, conf.ErrnoText(err))
			r.Finalize(500)
			return httpd.Done
		}
		r.InternalRedirect(uri+name, r.Args())
		return httpd.Done
	}
	return httpd.Declined
}

// testDir is ngx_http_index_test_dir: the directory itself must exist
// (its "not found" names the index file that was tried).
func testDir(r *httpd.Request, dir, tried string) httpd.Status {
	d := dir
	if len(d) > 1 {
		d = strings.TrimSuffix(d, "/")
	}
	st, err := os.Stat(d)
	if err != nil {
		switch en := errnoOf(err); en {
		case syscall.EMLINK, syscall.ELOOP:
			r.Finalize(403)
			return httpd.Done
		case syscall.ENOENT:
			return indexError(r, tried, err, en)
		case syscall.EACCES:
			return httpd.Declined
		}
		r.Logf(httpd.LogCrit, "stat() \"%s\" failed %s", d, conf.ErrnoText(err))
		r.Finalize(500)
		return httpd.Done
	}
	if !st.IsDir() {
		r.Logf(httpd.LogAlert, "\"%s\" is not a directory", d)
		r.Finalize(500)
		return httpd.Done
	}
	return httpd.Declined
}

// indexError is ngx_http_index_error.
func indexError(r *httpd.Request, file string, err error, en syscall.Errno) httpd.Status {
	if en == syscall.EACCES {
		r.Logf(httpd.LogErr, "\"%s\" is forbidden %s", file, conf.ErrnoText(err))
		r.Finalize(403)
		return httpd.Done
	}
	if r.LogNotFound() {
		r.Logf(httpd.LogErr, "\"%s\" is not found %s", file, conf.ErrnoText(err))
	}
	r.Finalize(404)
	return httpd.Done
}

func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	errors.As(err, &en)
	return en
}
