// Package static is ngx_http_static_module: a location without a content
// handler answers with the file its URI maps to (root or alias).
package static

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

// Module is the static module. It has no directives of its own: root,
// alias, types, etag, if_modified_since and log_not_found are the core's.
var Module = &httpd.Module{
	Name:  "static",
	Hooks: func(h *httpd.Hooks) { h.Phase(httpd.ContentPhase, handler) },
}

// handler is ngx_http_static_handler.
func handler(r *httpd.Request) httpd.Status {
	m := r.Method()
	if m != "GET" && m != "HEAD" && m != "POST" {
		r.Finalize(405)
		return httpd.Done
	}
	uri := r.URI()
	if strings.HasSuffix(uri, "/") {
		return httpd.Declined
	}
	path := r.FilePath()
	st, err := os.Stat(path)
	if err != nil {
		code, level := openError(err)
		if code != 404 || r.LogNotFound() {
			r.Logf(level, "open() \"%s\" failed %s", path, conf.ErrnoText(err))
		}
		r.Finalize(code)
		return httpd.Done
	}
	if st.IsDir() {
		// the URI escaped as ngx_escape_uri(NGX_ESCAPE_URI), args kept
		loc := httpd.EscapeURI(uri) + "/"
		if a := r.Args(); a != "" {
			loc += "?" + a
		}
		r.SendRedirect(301, loc)
		return httpd.Done
	}
	if !st.Mode().IsRegular() {
		r.Logf(httpd.LogCrit, "\"%s\" is not a regular file", path)
		r.Finalize(404)
		return httpd.Done
	}
	if m == "POST" {
		r.Finalize(405)
		return httpd.Done
	}
	r.DiscardBody()
	r.SendFile(path, path, st, true)
	return httpd.Done
}

// openError is the status and log level ngx_http_static_handler gives an
// open() error.
func openError(err error) (int, int) {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return 500, httpd.LogCrit
	}
	switch en {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
		return 404, httpd.LogErr
	case syscall.EACCES, syscall.EMLINK, syscall.ELOOP:
		return 403, httpd.LogErr
	}
	return 500, httpd.LogCrit
}
