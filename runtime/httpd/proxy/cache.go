package proxy

import (
	"net/http"
	"time"

	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
	"github.com/goresty/goresty/runtime/httpd/proxycache"
)

// The proxy side of proxy_cache (runtime/httpd/proxycache decides): an
// answer from a cache file, the failures proxy_cache_use_stale names,
// the refresh after a stale answer.

// serveCached answers with the cache file's response: its stored header
// goes through the same hiding as an upstream's, its body is relayed.
func serveCached(r *httpd.Request, p *proxyPass, st *state, s *locConf) {
	hdr, body, length := st.cache.Cached()
	var resp upResponse
	if err := readHeader(hdr, st, &resp, 0); err != nil {
		r.Logf(errlog.Crit, "cache file has an invalid header: %v", err)
		r.Finalize(500)
		return
	}
	r.SetStatus(resp.status)
	sendHeaders(r, p, st, s)
	if resp.length >= 0 {
		r.SetContentLength(length)
	} else {
		r.SetHeader("Content-Length")
	}
	if resp.status == 200 && notModified(r, st) {
		// nginx's not_modified filter sees a cached answer
		r.SetStatus(304)
		r.SetContentType("")
		r.SetContentLength(-1) // the filter clears the length too
		r.Finalize(0)
		return
	}
	st.src, st.storing = body, false
	if length == 0 {
		r.Output(nil, true)
	} else {
		relayBuffered(r, st)
	}
	st.src = nil
	r.Flush()
	r.SetFinalized()
}

// notModified tests the client's If-None-Match / If-Modified-Since
// against a cached answer's ETag and Last-Modified.
func notModified(r *httpd.Request, st *state) bool {
	var etag string
	mod := time.Time{}
	for _, h := range st.upHeaders {
		switch {
		case modutil.EqualFold(h.name, "ETag"):
			etag = h.value
		case modutil.EqualFold(h.name, "Last-Modified"):
			if t, err := http.ParseTime(h.value); err == nil {
				mod = t
			}
		}
	}
	return r.NotModified(mod, etag)
}

// backgroundUpdate stores the upstream's answer after the client got
// the stale one (proxy_cache_background_update); nothing goes out.
func backgroundUpdate(r *httpd.Request, st *state, method string) {
	if st.fail != failNone {
		st.finishTimes()
		return
	}
	resp := &st.resp
	st.upStatus = resp.status
	resp.hasBody = method != "HEAD" && resp.status >= 200 && resp.status != 204 && resp.status != 304
	st.br.init(st.u.br, resp)
	st.storing = st.cache.Store(r, resp.status, cacheHeaders(st.upHeaders)) != nil
	if !resp.hasBody {
		if st.storing {
			st.cache.Commit()
			st.storing = false
		}
		st.finishTimes()
		st.finish()
		return
	}
	bp := proxyBufs.Get().(*[]byte)
	defer proxyBufs.Put(bp)
	st.rbuf = *bp
	for {
		r.Unlocked(st.readFn)
		if st.rerr != nil {
			break
		}
	}
	st.rbuf = nil
	st.finishTimes()
	st.finish()
}

// failMask is the proxy_cache_use_stale failure of an exchange that got
// no response header.
func failMask(st *state) uint32 {
	switch {
	case isTimeout(st.err):
		return proxycache.FtTimeout
	case st.fail == failHeader && (st.err == errInvalidHeader || st.err == errTooBigHeader ||
		st.err == errInvalidLength || st.err == errDuplicateLength):
		return proxycache.FtInvalidHeader
	case st.err == errNoValidHeader:
		return 0
	}
	return proxycache.FtError
}

// cacheHeaders is the upstream header as the cache reads it.
func cacheHeaders(hs []hdr) []proxycache.Header {
	out := make([]proxycache.Header, len(hs))
	for i, h := range hs {
		out[i] = proxycache.Header{Name: h.name, Value: h.value}
	}
	return out
}

// setsHeader reports a header proxy_set_header names.
func setsHeader(s *locConf, name string) bool {
	for _, h := range s.headers {
		if modutil.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

// cacheConditions are the client headers nginx does not send upstream
// when the location caches (ngx_http_proxy_cache_headers).
var cacheConditions = [...]string{"If-Modified-Since", "If-Unmodified-Since", "If-None-Match", "If-Match", "Range", "If-Range"}

func isCacheCondition(name string) bool {
	for _, c := range cacheConditions {
		if modutil.EqualFold(name, c) {
			return true
		}
	}
	return false
}
