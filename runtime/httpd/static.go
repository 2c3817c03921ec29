package httpd

import (
	"net/http"
	"os"
	"path/filepath"

	"strconv"
	"strings"
	"time"
)

// noContentHandler is the end of ngx_http_core_content_phase: no
// module answered the request.
func (r *Request) noContentHandler() {
	if strings.HasSuffix(r.uri, "/") {
		r.logf(LogErr, "directory index of \"%s\" is forbidden", r.filePath(r.uri))
		r.finalize(403)
		return
	}
	r.logf(LogErr, "no handler found")
	r.finalize(404)
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
			return cString(r.rt.aliasPath(a))
		}
		return cString(r.rt.aliasPath(a + strings.TrimPrefix(uri, r.loc.name)))
	}
	return cString(r.documentRoot() + uri)
}

// cString is a path as the C library sees it: up to its first NUL byte
// (a URI decoded from %00 names the file before it, as in nginx).
func cString(p string) string {
	if i := strings.IndexByte(p, 0); i >= 0 {
		return p[:i]
	}
	return p
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
		r.contentType, r.contentLen = "", -1
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

// PathOf is the file uri maps to under the level's root or alias
// (ngx_http_map_uri_to_path).
func (r *Request) PathOf(uri string) string { return r.filePath(uri) }

// LogNotFound is log_not_found at the request's level.
func (r *Request) LogNotFound() bool { return r.loc.s.logNotFound == 1 }

// SetFileURI changes $uri to the file try_files found; processing goes
// on in the same location.
func (r *Request) SetFileURI(uri string) { r.uri = uri }

// Charset is the charset directive's value at the request's level ("" or
// "off": none); the charset filter names it on text/html responses.
func (r *Request) Charset() string { return r.loc.s.charset }

// aliasPath is an alias path relative to the prefix, its trailing "/"
// kept (nginx joins the strings as they are).
func (rt *Runtime) aliasPath(p string) string {
	q := rt.path(p)
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(q, "/") {
		q += "/"
	}
	return q
}
