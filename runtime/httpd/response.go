package httpd

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Version is reported in the Server header and error pages.
var Version = "0.1.0"

// --- response headers as ngx.header and the filters see them ---

func (r *Request) addOutHeader(name, value string) {
	switch {
	case strings.EqualFold(name, "Content-Type"):
		r.contentType, r.ctSet = value, true
		return
	case strings.EqualFold(name, "Content-Length"):
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			r.contentLen = n
		}
		return
	}
	r.out = append(r.out, hdr{name, value})
}

func (r *Request) clearHeader(name string) {
	switch {
	case strings.EqualFold(name, "Date"):
		r.dateCleared = true // no default Date (headers-more, ngx.header.Date = nil)
	case strings.EqualFold(name, "Server"):
		r.serverCleared = true
	}
	switch {
	case strings.EqualFold(name, "Content-Type"):
		r.contentType, r.ctSet = "", true
		return
	case strings.EqualFold(name, "Content-Length"):
		r.contentLen = -1
		return
	}
	j := 0
	for _, h := range r.out {
		if !strings.EqualFold(h.name, name) {
			r.out[j] = h
			j++
		}
	}
	r.out = r.out[:j]
}

// SetHeader replaces every value of name (ngx.header.NAME = v).
func (r *Request) SetHeader(name string, values ...string) {
	if len(values) == 0 && strings.EqualFold(name, "Content-Length") {
		r.lenCleared = true
	}
	r.clearHeader(name)
	for _, v := range values {
		r.addOutHeader(name, v)
	}
}

// HeaderValues returns the current values of an output header.
func (r *Request) HeaderValues(name string) []string {
	if strings.EqualFold(name, "Content-Type") {
		if r.contentType == "" {
			return nil
		}
		return []string{r.contentType}
	}
	if strings.EqualFold(name, "Content-Length") {
		if r.contentLen < 0 {
			return nil
		}
		return []string{strconv.FormatInt(r.contentLen, 10)}
	}
	var vs []string
	for _, h := range r.out {
		if strings.EqualFold(h.name, name) {
			vs = append(vs, h.value)
		}
	}
	return vs
}

// --- the output path: header filter, body filter, writer ---

// sendHeader runs the header filters once, before the first body byte.
func (r *Request) sendHeader() {
	if r.headerSent {
		return
	}
	r.headerSent = true
	if r.status == 0 {
		r.status = 200
	}
	if !r.ctSet && r.contentType == "" && r.useDefaultType() {
		r.contentType = r.loc.s.defaultType
	}
	for _, f := range headerFilters {
		f(r)
		if r.aborted { // a filter failed: nothing more reaches the client
			return
		}
	}
	r.lenKnown = r.contentLen >= 0
}

// useDefaultType reports whether default_type applies to a response
// without a Content-Type; a content handler may say no.
func (r *Request) useDefaultType() bool {
	if d, ok := r.loc.handler.(defaultTyper); ok {
		return d.UseDefaultType(r)
	}
	return true
}

// charsetFilter is the charset module's header filter.
func charsetFilter(r *Request) {
	l := r.loc
	if cs := l.s.charset; cs != "" && cs != "off" && r.contentType != "" && !strings.Contains(r.contentType, "charset") &&
		charsetType(l.s.charsetTypes, r.contentType) {
		r.contentType += "; charset=" + cs
	}
}

// defaultCharsetTypes is nginx's charset_types default (text/html is always in).
var defaultCharsetTypes = []string{"text/xml", "text/plain", "text/vnd.wap.wml", "application/javascript", "application/rss+xml"}

func charsetType(types []string, ct string) bool {
	base := ct
	if i := strings.IndexByte(base, ';'); i >= 0 {
		base = base[:i]
	}
	base = strings.ToLower(strings.TrimSpace(base))
	if base == "text/html" {
		return true
	}
	if types == nil {
		types = defaultCharsetTypes
	}
	for _, t := range types {
		if t == "*" || t == base {
			return true
		}
	}
	return false
}

// output passes a chunk through the body filters; last marks the end.
// It returns false once the response was ended (ngx.eof) or aborted.
func (r *Request) output(chunk []byte, last bool) bool {
	if r.eof || r.aborted {
		return false
	}
	r.sendHeader()
	if r.aborted { // the header filter failed
		return false
	}
	if r.hfDiscard {
		chunk, r.hfBody = r.hfBody, nil
	}
	if r.method == "HEAD" && r.subOut == nil {
		if last {
			r.eof = true
		}
		return true
	}
	for _, f := range bodyFilters {
		chunk, last = f(r, chunk, last)
		if r.aborted { // a filter failed: fail closed
			return false
		}
	}
	if len(chunk) > 0 {
		r.bodySent += int64(len(chunk))
		if r.streaming {
			r.writeChunk(chunk)
		} else {
			r.body = append(r.body, chunk...)
		}
	}
	if last {
		r.eof = true
	}
	return true
}

// Flush starts streaming: the header and what was buffered go to the
// client now, later output follows as chunks.
func (r *Request) Flush() {
	if r.subOut != nil || r.aborted {
		return
	}
	r.sendHeader()
	if r.aborted {
		return
	}
	if !r.streaming {
		r.startStreaming()
		return
	}
	if r.bw != nil {
		r.bw.Flush()
	}
}

func (r *Request) startStreaming() {
	r.streaming = true
	conn := r.fc.Conn()
	r.bw = bufio.NewWriterSize(conn, 4096)
	http11 := r.fc.Request.Header.IsHTTP11()
	// 1xx (101 for ngx.req.socket(true) upgrades), 204 and 304 have no body
	r.chunked = http11 && r.contentLen < 0 && r.status >= 200 && r.status != 204 && r.status != 304
	var b strings.Builder
	b.WriteString("HTTP/1.1 ") // nginx's status line, whatever the request's version
	b.WriteString(strconv.Itoa(r.status))
	b.WriteByte(' ')
	b.WriteString(statusText(r.status))
	b.WriteString("\r\n")
	if !r.serverCleared {
		b.WriteString("Server: ")
		b.WriteString(r.serverHeader())
		b.WriteString("\r\n")
	}
	if !r.dateCleared {
		b.WriteString("Date: ")
		b.WriteString(httpDate())
		b.WriteString("\r\n")
	}
	if r.contentType != "" {
		b.WriteString("Content-Type: " + r.contentType + "\r\n")
	}
	if r.contentLen >= 0 {
		b.WriteString("Content-Length: " + strconv.FormatInt(r.contentLen, 10) + "\r\n")
	}
	if r.chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if r.status == 101 {
		b.WriteString("Connection: upgrade\r\n")
	} else {
		b.WriteString("Connection: close\r\n")
	}
	for _, h := range r.out {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	b.WriteString("\r\n")
	r.bw.WriteString(b.String())
	if len(r.body) > 0 {
		body := r.body
		r.body = r.body[:0]
		r.writeChunk(body)
	}
	r.bw.Flush()
	// fasthttp must not write a response of its own; the connection
	// closes when the handler returns.
	r.fc.HijackSetNoResponse(true)
	r.fc.Hijack(func(net.Conn) {})
}

func (r *Request) writeChunk(p []byte) {
	if r.chunked {
		r.bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		r.bw.WriteString("\r\n")
		r.bw.Write(p)
		r.bw.WriteString("\r\n")
	} else {
		r.bw.Write(p)
	}
}

// abort cuts the response, as nginx does on a Lua error after the header
// was sent: no last chunk, connection closed.
func (r *Request) abort() {
	r.aborted = true
	r.done = true
	r.closeConn = true
}

func (r *Request) serverHeader() string {
	if r.loc.s.serverTokens == 0 {
		return "goresty"
	}
	return r.rt.serverTokens
}

// sendStatic answers with a complete in-memory body.
func (r *Request) sendStatic(code int, body []byte, ct string) {
	r.done = true
	r.status = code
	if !r.headerSent {
		r.contentType, r.ctSet = ct, true
		r.contentLen = int64(len(body))
	}
	if code == 204 || code == 304 {
		body = nil
		r.contentLen = -1
	}
	r.output(body, true)
}

// finish hands the response to fasthttp (or completes a stream).
func (r *Request) finish() {
	if !r.eof && !r.aborted && !r.closeConn {
		r.finalize(0)
	}
	fc := r.fc
	if r.dateCleared && !r.streaming && !r.aborted && !(r.closeConn && !r.headerSent) {
		// fasthttp always writes its own Date: a response without one
		// (more_clear_headers Date) or with Lua's goes out as written
		// here, on a connection that closes afterwards
		if r.contentLen < 0 && !(r.lenUnknown && r.fc.Request.Header.IsHTTP11()) {
			r.contentLen = int64(len(r.body))
		}
		r.startStreaming()
	}
	if r.streaming {
		if !r.aborted {
			if r.chunked {
				r.bw.WriteString("0\r\n\r\n")
			}
		}
		r.bw.Flush()
		return
	}
	if r.closeConn && !r.headerSent || r.aborted {
		fc.HijackSetNoResponse(true)
		fc.Hijack(func(net.Conn) {})
		return
	}
	resp := &fc.Response
	resp.Header.DisableNormalizing()
	resp.SetStatusCode(r.status)
	resp.Header.SetNoDefaultContentType(true)
	if !r.serverCleared {
		resp.Header.Set("Server", r.serverHeader())
	}
	if r.contentType != "" {
		resp.Header.SetContentType(r.contentType)
	}
	for _, h := range r.out {
		resp.Header.Add(h.name, h.value)
	}
	if r.closeConn || r.keepaliveOff || r.loc.s.keepalive == 0 {
		resp.SetConnectionClose()
	}
	if r.contentLen >= 0 && r.contentLen != int64(len(r.body)) && r.method == "HEAD" {
		resp.Header.SetContentLength(int(r.contentLen))
		resp.SkipBody = true
		return
	}
	if r.status == 204 || r.status == 304 || r.status < 200 {
		resp.SkipBody = true
		return
	}
	if r.method == "HEAD" {
		resp.SkipBody = true
		return
	}
	if !r.lenKnown && r.fc.Request.Header.IsHTTP11() && (r.lenUnknown || r.lenCleared && len(r.body) > 0) {
		// Lua printed the body, or removed the length (a filter rewrites
		// the body): its length was unknown when nginx sent the header,
		// so the client gets it chunked as from nginx. Bodies produced
		// whole in memory otherwise go out with Content-Length.
		resp.SetBodyStream(bytes.NewReader(append([]byte(nil), r.body...)), -1)
		return
	}
	if r.lenKnown && r.contentLen < int64(len(r.body)) && r.lenUnknown {
		// Lua declared a shorter Content-Length than it printed: the
		// client reads only the declared bytes, as from nginx
		resp.SetBody(r.body[:r.contentLen])
		return
	}
	resp.SetBody(r.body) // copied: r.body is reused by the next request
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}

// errorPageBody is nginx's built-in error page.
func errorPageBody(code int, tokens bool) []byte {
	title := strconv.Itoa(code) + " " + nginxStatusText(code)
	h1, extra := title, ""
	if code == 494 {
		title, h1 = "400 Request Header Or Cookie Too Large", "400 Bad Request"
		extra = "<center>Request Header Or Cookie Too Large</center>\r\n"
	}
	sig := "goresty"
	if tokens {
		sig += "/" + Version
	}
	return []byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + h1 +
		"</h1></center>\r\n" + extra + "<hr><center>" + sig + "</center>\r\n</body>\r\n</html>\r\n")
}

func nginxStatusText(code int) string {
	switch code {
	case 302:
		return "Found"
	case 401:
		return "Authorization Required"
	case 405:
		return "Not Allowed"
	case 408:
		return "Request Time-out"
	case 503:
		return "Service Temporarily Unavailable"
	case 504:
		return "Gateway Time-out"
	case 413:
		return "Request Entity Too Large"
	case 414:
		return "Request-URI Too Large"
	case 416:
		return "Requested Range Not Satisfiable"
	case 494:
		return "Request Header Or Cookie Too Large"
	case 495, 496, 497:
		return "Bad Request"
	case 499:
		return "Client Closed Request"
	}
	return statusText(code)
}

// httpDate is the Date header's value, formatted once a second.
func httpDate() string {
	now := time.Now()
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.sec == sec {
		return d.s
	}
	d := &cachedDate{sec, now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.s
}

type cachedDate struct {
	sec int64
	s   string
}

var dateCache atomic.Pointer[cachedDate]
