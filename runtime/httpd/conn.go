package httpd

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"unsafe"

	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
	"github.com/valyala/fasthttp"
)

// What nginx decides while it reads the request line and the headers,
// before any phase: framing (Content-Length, Transfer-Encoding), header
// lines, lengths, the Host, and whether a declared body is refused before
// a byte of it is read. fasthttp parses the request; the checks it does
// not make run here on its raw header bytes, without allocating.

// held is the answer to a request decided as its header arrived, before
// fasthttp reads the body: the body is then hidden from fasthttp
// (Content-Length 0, no Expect, no 100 Continue) and the handler answers.
type held struct {
	status   int
	msg      string // error log line (info), "" for a declared body too large
	declared int64  // the Content-Length the client declared
}

type heldKey struct{}

// requestOf is the fasthttp.Request holding h: HeaderReceived is only
// ever called with &ctx.Request.Header.
func requestOf(h *fasthttp.RequestHeader) *fasthttp.Request {
	return (*fasthttp.Request)(unsafe.Add(unsafe.Pointer(h), -int(unsafe.Offsetof(fasthttp.Request{}.Header))))
}

func heldOf(fc *fasthttp.RequestCtx) *held {
	if v, ok := fc.Request.UserValue(heldKey{}).(*held); ok {
		return v
	}
	return nil
}

func hold(h *fasthttp.RequestHeader, v *held) fasthttp.RequestConfig {
	if n := h.ContentLength(); n > 0 && v.declared == 0 {
		v.declared = int64(n)
	}
	h.Del("Transfer-Encoding")
	h.Del("Expect")
	h.SetContentLength(0)
	h.SetConnectionClose()
	requestOf(h).SetUserValue(heldKey{}, v)
	return fasthttp.RequestConfig{}
}

// headerReceived runs once a request's header is parsed, before its body
// is read.
func (rt *Runtime) headerReceived(g *listenGroup, h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if v := checkHeader(h, g.def.headerBuf); v != nil {
		return hold(h, v)
	}
	cl := h.ContentLength()
	if cl <= 0 {
		return fasthttp.RequestConfig{}
	}
	host, _ := checkHost(h.Host())
	srv := g.def
	if len(g.servers) > 1 {
		srv = g.find(strings.ToLower(string(host)))
	}
	if int64(cl) <= srv.minBodyLimit {
		return fasthttp.RequestConfig{}
	}
	// the location decides, as in nginx's find-config phase
	path, _, _ := splitURI(string(h.RequestURI()))
	uri, ok := normalizeURI(path, srv.loc.s.mergeSlashes != 0)
	if !ok {
		return fasthttp.RequestConfig{}
	}
	r := requestPool.Get().(*Request)
	loc, _, _ := findLocation(srv.loc, r, uri)
	r.reset()
	requestPool.Put(r)
	if loc == nil {
		loc = srv.loc
	}
	if max := loc.s.maxBody; max > 0 && int64(cl) > max {
		return hold(h, &held{status: 413, declared: int64(cl)})
	}
	return fasthttp.RequestConfig{}
}

// checkHeader makes nginx's checks of the request line and the header
// lines that fasthttp lets through.
func checkHeader(h *fasthttp.RequestHeader, bufSize int) *held {
	m := h.Method()
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			if c != '_' && c != '-' {
				return &held{status: 400, msg: "client sent invalid method while reading client request line"}
			}
		}
	}
	if p := h.Protocol(); len(p) > 5 && p[5] != '1' {
		// HTTP/2.0 or 3.0 spoken as HTTP/1 (0.9 has no version)
		return &held{status: 505, msg: "client sent invalid version while reading client request line"}
	}
	if string(m) == "TRACE" {
		return &held{status: 405, msg: "client sent TRACE method while reading client request headers"}
	}
	if len(m)+len(h.RequestURI())+10 > bufSize {
		return &held{status: 414, msg: "client sent too long URI while reading client request line"}
	}
	// nginx decodes only the path: %00 there is invalid, in the args it
	// is just bytes
	path := h.RequestURI()
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if bytes.Contains(path, []byte("%00")) {
		return &held{status: 400, msg: "client sent invalid request while reading client request line"}
	}
	raw := h.RawHeaders()
	var clSeen, teSeen bool
	var te []byte
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if len(line) > bufSize {
			return &held{status: 494, msg: "client sent too long header line: \"" + escapeLogName(line, colon) + "...\" while reading client request headers"}
		}
		if colon <= 0 {
			colon = len(line)
		}
		for i := 0; i < colon; i++ {
			if c := line[i]; c <= ' ' || c == 0x7f {
				return &held{status: 400, msg: "client sent invalid header line: \"" + escapeLogName(line, i+1) + "...\" while reading client request headers"}
			}
		}
		if colon == len(line) {
			return &held{status: 400, msg: "client sent invalid header line: \"" + escapeLogName(line, colon) + "...\" while reading client request headers"}
		}
		name, value := line[:colon], line[colon+1:]
		if bytes.IndexByte(value, 0) >= 0 {
			return &held{status: 400, msg: "client sent invalid header line: \"" + escapeLogName(name, colon) + ":...\" while reading client request headers"}
		}
		switch {
		case modutil.EqualFoldBytes(name, "Content-Length"):
			clSeen = true
		case modutil.EqualFoldBytes(name, "Transfer-Encoding"):
			teSeen = true
			te = bytes.TrimRight(bytes.TrimLeft(value, " "), " ")
		}
	}
	if clSeen && teSeen {
		return &held{status: 400, msg: "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time while reading client request headers"}
	}
	if teSeen && !modutil.EqualFoldBytes(te, "chunked") {
		return &held{status: 501, msg: "client sent unknown \"Transfer-Encoding\": \"" + escapeLogName(te, len(te)) + "\" while reading client request headers"}
	}
	return nil
}

// escapeLogName is the first n bytes of b (a header name, never a value)
// as nginx escapes them in the error log.
func escapeLogName(b []byte, n int) string {
	if n < 0 || n > len(b) {
		n = len(b)
	}
	if n > 64 {
		n = 64
	}
	var sb strings.Builder
	for _, c := range b[:n] {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			fmt.Fprintf(&sb, "\\x%02X", c)
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// checkHost is ngx_http_validate_host: h without the port and a trailing
// dot, or false for "." and ".." segments, a path separator (also "\",
// stricter than nginx on Unix) or NUL. The name is compared lowercased.
func checkHost(h []byte) ([]byte, bool) {
	dot := -2
	n := len(h)
	state := 0 // 0 usual, 1 IPv6 literal, 2 after the name
	for i, c := range h {
		switch c {
		case '.':
			if dot == i-1 {
				return nil, false
			}
			dot = i
		case ':':
			if state == 0 {
				n = i
				state = 2
			}
		case '[':
			if i == 0 {
				state = 1
			}
		case ']':
			if state == 1 {
				n = i + 1
				state = 2
			}
		case 0, '/', '\\':
			return nil, false
		}
	}
	if dot == n-1 {
		n--
	}
	if n <= 0 {
		return nil, len(h) == 0
	}
	return h[:n], true
}

func validHostHeader(fc *fasthttp.RequestCtx) bool {
	_, ok := checkHost(fc.Request.Header.Host())
	return ok
}

// errorHandler answers what fasthttp refuses before a handler runs, with
// nginx's status, error page, error log line and access log entry. No
// header value reaches the log.
func (rt *Runtime) errorHandler(g *listenGroup) func(fc *fasthttp.RequestCtx, err error) {
	return func(fc *fasthttp.RequestCtx, err error) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			// nginx closes without an answer
			fc.Conn().Close()
			return
		}
		code, msg := 400, "client sent invalid request while reading client request headers"
		var small *fasthttp.ErrSmallBuffer
		switch {
		case errors.As(err, &small):
			code, msg = 494, "client sent too long header while reading client request headers"
		case errors.Is(err, fasthttp.ErrUnsupportedTransferEncoding):
			code, msg = 501, "client sent unknown \"Transfer-Encoding\" while reading client request headers"
		case errors.Is(err, fasthttp.ErrDuplicateContentLength):
			msg = "client sent duplicate header line: \"Content-Length\" while reading client request headers"
		case !validHostHeader(fc):
			msg = "client sent invalid host header while reading client request headers"
		case strings.Contains(err.Error(), "header"):
			msg = "client sent invalid header line while reading client request headers"
		case strings.Contains(err.Error(), "version"):
			code, msg = 505, "client sent invalid version while reading client request line"
		}
		if !rt.enter() {
			fc.SetStatusCode(code)
			return
		}
		defer rt.leave()
		r := requestPool.Get().(*Request)
		r.rt, r.fc, r.srv = rt, fc, g.def
		r.loc = r.srv.loc
		r.contentLen = -1
		r.method = string(fc.Method())
		r.requestURI = string(fc.Request.Header.RequestURI())
		r.logf(LogInfo, "%s", msg)
		r.keepaliveOff = true
		r.finalize(code)
		r.finish()
		r.logRequest()
		r.reset()
		requestPool.Put(r)
	}
}

// fasthttpLogger puts fasthttp's own messages in the error log at debug
// level: what a client did wrong is logged by errorHandler as nginx logs
// it, and SecureErrorLogMessage keeps request bytes out of the messages.
type fasthttpLogger struct{ rt *Runtime }

func (l fasthttpLogger) Printf(format string, args ...any) {
	if el := l.rt.errlog; el.Enabled(LogDebug) {
		el.Write(LogDebug, 0, "http: "+fmt.Sprintf(format, args...))
	}
}

// walkLocs calls f for l and every location inside it.
func walkLocs(l *LocConf, f func(*LocConf)) {
	f(l)
	for _, set := range [][]*LocConf{l.static, l.regex, l.ifs} {
		for _, c := range set {
			walkLocs(c, f)
		}
	}
	for _, c := range l.named {
		walkLocs(c, f)
	}
}

// setBodyLimits records the smallest client_max_body_size of each
// server: a declared length up to it needs no location lookup before the
// body is read.
func (rt *Runtime) setBodyLimits() {
	for _, s := range rt.servers {
		s.minBodyLimit = math.MaxInt64
		walkLocs(s.loc, func(l *LocConf) {
			if l.s.maxBody > 0 && l.s.maxBody < s.minBodyLimit {
				s.minBodyLimit = l.s.maxBody
			}
		})
		if s.clientHeaderBuf <= 0 {
			s.clientHeaderBuf = 1 << 10
			if rt.clientHeaderBuf > 0 {
				s.clientHeaderBuf = rt.clientHeaderBuf
			}
		}
		if s.headerBuf <= 0 {
			s.headerBuf, s.headerBufs = 8<<10, 4
			if rt.headerBuf > 0 {
				s.headerBuf, s.headerBufs = rt.headerBuf, rt.headerBufs
			}
		}
	}
}
