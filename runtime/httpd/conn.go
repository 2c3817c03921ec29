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
	host, _ := requestHost(h)
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
	if th, abs, ok := targetHost(h.RequestURI()); abs {
		if !ok {
			return &held{status: 400, msg: "client sent invalid request while reading client request line"}
		}
		if _, ok := checkHost(th); !ok {
			return &held{status: 400, msg: "client sent invalid host in request line while reading client request line"}
		}
	}
	raw := h.RawHeaders()
	var clSeen, teSeen bool
	var te, host []byte
	var hostName []byte
	var seen uint16 // the unique headers seen, by their index in uniqueHeaders
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
		value = bytes.Trim(value, " ") // spaces, not tabs, as nginx's header parser
		if modutil.EqualFoldBytes(name, "Host") {
			if hostName != nil {
				return &held{status: 400, msg: "client sent duplicate host header: \"" + escapeLog(name) + ": " + escapeLog(value) +
					"\", previous value: \"" + escapeLog(hostName) + ": " + escapeLog(host) + "\" while reading client request headers"}
			}
			hostName, host = name, value
			if _, ok := checkHost(value); !ok {
				return &held{status: 400, msg: "client sent invalid host header while reading client request headers"}
			}
			continue
		}
		for i, u := range uniqueHeaders {
			if !modutil.EqualFoldBytes(name, u) {
				continue
			}
			if seen&(1<<i) != 0 {
				// values are left out: Authorization is one of these
				return &held{status: 400, msg: "client sent duplicate header line: \"" + escapeLogName(name, len(name)) +
					": ...\" while reading client request headers"}
			}
			seen |= 1 << i
			switch i {
			case uniqueContentLength:
				clSeen = true
			case uniqueTransferEncoding:
				teSeen = true
				te = value
			}
			break
		}
	}
	if hostName == nil && len(h.Protocol()) == 8 && string(h.Protocol()) != "HTTP/1.0" {
		return &held{status: 400, msg: "client sent HTTP/1.1 request without \"Host\" header while reading client request headers"}
	}
	if teSeen && string(h.Protocol()) == "HTTP/1.0" {
		return &held{status: 400, msg: "client sent HTTP/1.0 request with \"Transfer-Encoding\" header while reading client request headers"}
	}
	if clSeen && teSeen {
		return &held{status: 400, msg: "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time while reading client request headers"}
	}
	if teSeen && !modutil.EqualFoldBytes(te, "chunked") {
		return &held{status: 501, msg: "client sent unknown \"Transfer-Encoding\": \"" + escapeLogName(te, len(te)) + "\" while reading client request headers"}
	}
	return nil
}

// uniqueHeaders are the request headers nginx 1.22 takes once
// (ngx_http_process_unique_header_line): a second one is a 400.
var uniqueHeaders = [...]string{"Content-Length", "Transfer-Encoding", "If-Modified-Since", "If-Unmodified-Since",
	"If-Match", "If-None-Match", "Content-Range", "If-Range", "Expect", "Authorization"}

const (
	uniqueContentLength    = 0
	uniqueTransferEncoding = 1
)

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

// escapeLog is b as nginx's error log shows a value, cut at 64 bytes,
// control bytes, quote and backslash escaped.
func escapeLog(b []byte) string { return escapeLogName(b, len(b)) }

// checkHost is ngx_http_validate_host: h without the port and a trailing
// dot, or false for an empty name, "." and ".." segments (anywhere, the
// port included), a path separator (also "\", stricter than nginx on
// Unix), NUL, spaces and control bytes. An IPv6 literal ("[...]" first)
// ends at its "]". The name is compared lowercased.
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
		case '/', '\\', 0x7f:
			return nil, false
		default:
			if c <= ' ' {
				return nil, false
			}
		}
	}
	if dot == n-1 {
		n--
	}
	if n <= 0 {
		return nil, false
	}
	return h[:n], true
}

// targetHost is the host (with its port) of an absolute request target
// ("scheme://host[:port][/?...]"), abs false for any other target; ok is
// false when nginx's request line parser refuses it: a name of letters,
// digits, '.' and '-', or an IP literal in brackets (unreserved
// characters, sub-delims and ':'), a port of digits, then '/', '?' or
// the end.
func targetHost(uri []byte) (host []byte, abs, ok bool) {
	n := schemeLen(uri)
	if n == 0 {
		return nil, false, false
	}
	rest := uri[n:]
	i := 0
	if i < len(rest) && rest[i] == '[' {
		for i++; i < len(rest) && rest[i] != ']'; i++ {
			c := rest[i] | 0x20
			if !(c >= 'a' && c <= 'z' || rest[i] >= '0' && rest[i] <= '9' || strings.IndexByte(":-._~!$&'()*+,;=", rest[i]) >= 0) {
				return nil, true, false
			}
		}
		if i == len(rest) {
			return nil, true, false
		}
		i++
	} else {
		for ; i < len(rest); i++ {
			c := rest[i] | 0x20
			if !(c >= 'a' && c <= 'z' || rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.' || rest[i] == '-') {
				break
			}
		}
	}
	if i < len(rest) && rest[i] == ':' {
		for i++; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
		}
	}
	if i < len(rest) && rest[i] != '/' && rest[i] != '?' {
		return nil, true, false
	}
	return rest[:i], true, true
}

// requestHost is the request's host as nginx takes it: an absolute
// request target's host, else the Host header, validated
// (ngx_http_validate_host), without port and trailing dot, not yet
// lowercased. Empty with ok true when there is neither (HTTP/1.0).
func requestHost(h *fasthttp.RequestHeader) ([]byte, bool) {
	if th, abs, ok := targetHost(h.RequestURI()); abs {
		if !ok {
			return nil, false
		}
		return checkHost(th)
	}
	v := h.Host()
	if len(v) == 0 {
		// no Host header (an empty one is refused by checkHeader)
		return nil, true
	}
	return checkHost(v)
}

func validHostHeader(fc *fasthttp.RequestCtx) bool {
	_, ok := requestHost(&fc.Request.Header)
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
		case strings.Contains(err.Error(), "cannot parse content-length"):
			msg = "client sent invalid \"Content-Length\" header while reading client request headers"
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
