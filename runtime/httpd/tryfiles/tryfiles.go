// Package tryfiles is ngx_http_try_files_module: in the precontent phase
// the first of a list of files (or directories) that exists becomes $uri;
// without one the request goes to the last argument (a URI, a named
// location or "=code").
package tryfiles

import (
	"os"
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the try_files module (filled in by init: its handlers refer
// to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "try_files",
		Commands: []httpd.Command{
			httpd.Directive(setTryFiles, conf.Spec{Name: "try_files", Ctx: conf.Server | conf.Location, Args: conf.TwoMore}),
		},
		CreateLocConf: func() any { return &locConf{} },
		// no merge, as nginx: a location does not inherit the server's
		// try_files (the server's applies to requests that match no
		// location), nor does an "if" block its location's
		Hooks: func(h *httpd.Hooks) { h.Phase(httpd.PreContentPhase, handler) },
	}
}

// locConf is the try_files of one level (nil files: none).
type locConf struct {
	files []tryFile
	code  int // the status of a last "=code", -1 without one
}

// tryFile is one argument: its value and whether it names a directory
// (a trailing "/" on any but the last argument).
type tryFile struct {
	name    *httpd.Value
	testDir bool
}

// setTryFiles is the "try_files" directive.
func setTryFiles(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.files != nil {
		return conf.Errorf(d, "\"try_files\" directive is duplicate")
	}
	c.code = -1
	for i, a := range d.Args {
		dir := false
		if i < len(d.Args)-1 && strings.HasSuffix(a, "/") {
			a, dir = a[:len(a)-1], true
		}
		c.files = append(c.files, tryFile{name: b.Value(a), testDir: dir})
	}
	last := d.Args[len(d.Args)-1]
	if strings.HasPrefix(last, "=") {
		code, err := strconv.Atoi(last[1:])
		if err != nil || code < 0 || code > 999 {
			return conf.Errorf(d, "invalid code \"%s\"", last)
		}
		c.code = code
	}
	return nil
}

// handler is ngx_http_try_files_handler.
func handler(r *httpd.Request) httpd.Status {
	c := Module.Conf(r.Loc()).(*locConf)
	if c.files == nil {
		return httpd.Declined
	}
	files := c.files[:len(c.files)-1]
	for _, f := range files {
		name := f.name.Eval(r)
		path := r.PathOf(name)
		st, err := os.Stat(path)
		if err != nil {
			if !os.IsNotExist(err) && !isNotDirOrLong(err) {
				r.Logf(httpd.LogCrit, "stat() \"%s\" failed %s", path, conf.ErrnoText(err))
			}
			continue
		}
		if st.IsDir() != f.testDir {
			continue
		}
		r.SetFileURI(name)
		return httpd.Declined
	}
	if c.code >= 0 {
		r.Finalize(c.code)
		return httpd.Done
	}
	target := c.files[len(c.files)-1].name.Eval(r)
	if strings.HasPrefix(target, "@") {
		r.InternalRedirect(target, "")
		return httpd.Done
	}
	// ngx_http_split_args: the fallback's own args, none without a "?"
	// (hence the "/index.php?$args" idiom)
	args := ""
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target, args = target[:i], target[i+1:]
	}
	r.InternalRedirect(target, args)
	return httpd.Done
}
