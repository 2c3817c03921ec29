package httpd

import (
	"html"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// serveStatic is nginx's static, index and try_files handling for a
// location without a content handler.
func (r *Request) serveStatic() {
	s := &r.loc.s
	if s.tryFiles != nil && !r.triedFiles {
		r.triedFiles = true
		if r.tryFiles() {
			return
		}
	}
	for _, h := range staticHandlers {
		if h(r) != Declined {
			return
		}
	}
	if r.method != "GET" && r.method != "HEAD" && r.method != "POST" {
		r.finalize(405)
		return
	}
	path := r.filePath(r.uri)
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		if !strings.HasSuffix(r.uri, "/") {
			u := r.uri + "/"
			if r.args != "" {
				u += "?" + r.args
			}
			r.redirect(301, u)
			return
		}
		for _, ix := range s.index {
			name := ix.eval(r)
			if strings.HasPrefix(name, "/") {
				r.internalRedirect(name, r.args)
				return
			}
			if fst, err := os.Stat(filepath.Join(path, name)); err == nil && !fst.IsDir() {
				r.internalRedirect(r.uri+name, r.args)
				return
			}
		}
		if s.autoindex == 1 {
			r.autoindex(path)
			return
		}
		r.logf(LogErr, "directory index of \"%s\" is forbidden", path+"/")
		r.finalize(403)
		return
	}
	if err != nil {
		if s.logNotFound == 1 {
			r.logf(LogErr, "open() \"%s\" failed (2: No such file or directory)", path)
		}
		r.finalize(404)
		return
	}
	if r.method == "POST" {
		r.finalize(405)
		return
	}
	r.sendFile(path, path, st, true)
}

// FilePath is the file the request's URI maps to (root or alias).
func (r *Request) FilePath() string { return r.filePath(r.uri) }

// SendFile answers with the file at path, typed by the name typeOf, with
// its ETag and Last-Modified and nginx's conditional requests; ranges
// allows byte ranges.
func (r *Request) SendFile(path, typeOf string, st os.FileInfo, ranges bool) {
	r.sendFile(path, typeOf, st, ranges)
}

// filePath maps a URI to a file under root or alias.
func (r *Request) filePath(uri string) string {
	s := &r.loc.s
	if s.alias != nil {
		a := s.alias.eval(r)
		if r.loc.kind == locRegex {
			return r.rt.path(a)
		}
		return r.rt.path(a + strings.TrimPrefix(uri, r.loc.name))
	}
	return r.documentRoot() + uri
}

// documentRoot is $document_root: root with its variables, relative to
// the prefix.
func (r *Request) documentRoot() string {
	s := &r.loc.s
	if s.root == nil {
		return r.rt.path("html")
	}
	return r.rt.path(s.root.eval(r))
}

// tryFiles implements try_files; it reports whether it answered.
func (r *Request) tryFiles() bool {
	t := r.loc.s.tryFiles
	files := t.files
	for _, f := range files[:len(files)-1] {
		name := f.eval(r)
		dir := strings.HasSuffix(name, "/")
		st, err := os.Stat(r.filePath(strings.TrimSuffix(name, "/")))
		if err == nil && st.IsDir() == dir {
			if !dir {
				r.uri = name
			}
			return false
		}
	}
	if t.code >= 0 {
		r.finalize(t.code)
		return true
	}
	target := files[len(files)-1].eval(r)
	args := r.args
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target, args = target[:i], target[i+1:]
	}
	r.internalRedirect(target, args)
	return true
}

func (r *Request) sendFile(path, typeOf string, st os.FileInfo, ranges bool) {
	s := &r.loc.s
	mod := st.ModTime().UTC().Truncate(time.Second)
	etag := "\"" + strconv.FormatInt(mod.Unix(), 16) + "-" + strconv.FormatInt(st.Size(), 16) + "\""
	r.status = 200
	r.contentType, r.ctSet = r.mimeType(typeOf), true
	r.addOutHeader("Last-Modified", mod.Format(http.TimeFormat))
	if s.etag == 1 {
		r.addOutHeader("ETag", etag)
	}
	if r.notModified(mod, etag) {
		// ngx_http_not_modified_filter: no type, length, ranges or coding
		r.contentType = ""
		r.clearHeader("Content-Encoding")
		r.status = 304
		r.finalize(0)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		r.finalize(403)
		return
	}
	r.allowRanges = ranges
	if rng := string(r.fc.Request.Header.Peek("Range")); ranges && rng != "" && strings.HasPrefix(rng, "bytes=") && !strings.Contains(rng, ",") {
		start, end, ok := parseRange(rng[6:], int64(len(data)))
		if !ok {
			r.addOutHeader("Content-Range", "bytes */"+strconv.Itoa(len(data)))
			r.finalize(416)
			return
		}
		r.status = 206
		r.addOutHeader("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(end, 10)+"/"+strconv.Itoa(len(data)))
		data = data[start : end+1]
	}
	r.contentLen = int64(len(data))
	r.done = true
	r.output(data, true)
}

// notModified is ngx_http_not_modified_filter's test for a file: a
// matching If-None-Match (weak comparison), or without one an
// If-Modified-Since equal to the file's time (or not older, with
// "if_modified_since before").
func (r *Request) notModified(mod time.Time, etag string) bool {
	s := &r.loc.s
	if s.ifModified == 0 || r.errStatus != 0 || r.subOut != nil {
		return false
	}
	h := &r.fc.Request.Header
	if inm := h.Peek("If-None-Match"); inm != nil {
		if s.etag != 1 {
			return false
		}
		return etagListMatches(string(inm), etag)
	}
	ims := h.Peek("If-Modified-Since")
	if ims == nil {
		return false
	}
	t, err := http.ParseTime(string(ims))
	if err != nil {
		return false
	}
	return t.Equal(mod) || s.ifModified == 2 && !t.Before(mod)
}

// etagListMatches is ngx_http_test_if_match with weak comparison.
func etagListMatches(list, etag string) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, e := range strings.Split(list, ",") {
		if strings.TrimPrefix(strings.TrimSpace(e), "W/") == etag {
			return true
		}
	}
	return false
}

func parseRange(spec string, size int64) (int64, int64, bool) {
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, size > 0
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start >= size {
		return 0, 0, false
	}
	end := size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		if e < end {
			end = e
		}
	}
	return start, end, true
}

func (r *Request) mimeType(path string) string {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if t, ok := r.loc.s.types[ext]; ok {
		return t
	}
	if r.loc.s.types == nil {
		if t, ok := builtinTypes[ext]; ok {
			return t
		}
	}
	return r.loc.s.defaultType
}

// builtinTypes are nginx's defaults when no types{} block is configured.
var builtinTypes = map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg", "jpeg": "image/jpeg",
	"png": "image/png", "js": "application/javascript", "css": "text/css", "json": "application/json", "txt": "text/plain"}

// autoindex lists a directory the way ngx_http_autoindex_module's html
// format does: directories first... in name order, with date and size.
func (r *Request) autoindex(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		r.finalize(403)
		return
	}
	sort.Slice(ents, func(i, j int) bool {
		if ents[i].IsDir() != ents[j].IsDir() {
			return ents[i].IsDir()
		}
		return ents[i].Name() < ents[j].Name()
	})
	var b strings.Builder
	title := html.EscapeString(r.uri)
	b.WriteString("<html>\r\n<head><title>Index of " + title + "</title></head>\r\n<body>\r\n<h1>Index of " + title +
		"</h1><hr><pre><a href=\"../\">../</a>\r\n")
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		size := strconv.FormatInt(info.Size(), 10)
		if e.IsDir() {
			name += "/"
			size = "-"
		}
		shown := name
		if len(shown) > 50 {
			shown = shown[:47] + "..>"
		}
		b.WriteString("<a href=\"" + escapePath(name) + "\">" + html.EscapeString(shown) + "</a>")
		b.WriteString(strings.Repeat(" ", 51-len(shown)))
		b.WriteString(info.ModTime().UTC().Format("02-Jan-2006 15:04"))
		b.WriteString(strings.Repeat(" ", 20-len(size)) + size + "\r\n")
	}
	b.WriteString("</pre><hr></body>\r\n</html>\r\n")
	r.sendStatic(200, []byte(b.String()), "text/html")
}
