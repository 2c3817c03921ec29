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
	if !r.ctSet && r.contentType == "" && r.status != 304 && r.useDefaultType() {
		r.contentType = r.loc.s.defaultType
	}
	if r.errStatus != 0 && r.subOut == nil {
		r.status = r.errStatus // ngx_http_send_header's err_status
	}
	// the header filters may still change the status, as nginx's do
	// before its last filter marks the header sent
	r.inHeaderFilter = true
	for _, f := range headerFilters {
		f(r)
		if r.aborted { // a filter failed: nothing more reaches the client
			r.inHeaderFilter = false
			return
		}
	}
	r.inHeaderFilter = false
	r.statusHeaders()
	r.lenKnown = r.contentLen >= 0
}

// statusHeaders applies what nginx's header filters do per status: a 204
// has no Content-Type, length or Last-Modified; only a 200, 206 or 304 keeps
// Last-Modified; a static file gets Accept-Ranges on a whole 200.
func (r *Request) statusHeaders() {
	switch r.status {
	case 204:
		r.contentType, r.contentLen = "", -1
		r.clearHeader("Last-Modified")
	case 200, 206, 304:
	default:
		r.clearHeader("Last-Modified")
	}
	if r.allowRanges && r.status == 200 && r.contentLen >= 0 && r.subOut == nil {
		r.out = append(r.out, hdr{"Accept-Ranges", "bytes"})
	}
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
	if r.status == 301 || r.status == 302 {
		return // nginx names no charset on these redirects
	}
	if cs := l.s.charset; cs != "" && cs != "off" && r.contentType != "" && !strings.Contains(r.contentType, "charset") &&
		charsetType(l.s.charsetTypes, r.contentType) {
		r.contentType += "; charset=" + cs
	}
}

// defaultCharsetTypes is nginx's charset_types default (text/html is always in).
var defaultCharsetTypes = []string{"text/xml", "text/plain", "text/vnd.wap.wml", "application/javascript", "application/rss+xml"}

func charsetType(types []string, ct string) bool {
	if types == nil {
		types = defaultCharsetTypes
	}
	return TestContentType(types, ct)
}

// TestContentType is nginx's ngx_http_test_content_type for a module's
// *_types list: the type of ct (its parameters left out) is text/html,
// which every such list holds, or one of types, or types has "*".
func TestContentType(types []string, ct string) bool {
	base := ct
	if i := strings.IndexByte(base, ';'); i >= 0 {
		base = base[:i]
	}
	base = strings.TrimSpace(base)
	if strings.EqualFold(base, "text/html") {
		return true
	}
	for _, t := range types {
		if t == "*" || strings.EqualFold(t, base) {
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
	if r.method == "HEAD" && r.subOut == nil || r.headerOnly {
		if last {
			r.eof = true
		}
		return true
	}
	in := last
	for _, f := range bodyFilters {
		chunk, last = f(r, chunk, last)
		if r.aborted { // a filter failed: fail closed
			return false
		}
	}
	if in && !last {
		// a filter took the end away (ngx.arg[2] = false): a capturing
		// parent sees the subrequest's body truncated
		r.eofDropped = true
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
	if r.bw != nil && r.bw.Flush() != nil {
		r.wireFailed = true
	}
}

func (r *Request) startStreaming() {
	r.streaming = true
	if r.h2 != nil {
		r.startH2Streaming()
		return
	}
	// responses of earlier pipelined requests go first
	r.fc.FlushPipelined()
	conn := r.fc.Conn()
	r.bw = bufio.NewWriterSize(conn, 4096)
	http11 := r.fc.Request.Header.IsHTTP11()
	// 1xx (101 for ngx.req.socket(true) upgrades), 204 and 304 have no
	// body, nor has the answer to HEAD (nginx's header_only)
	bodyless := r.status < 200 || r.status == 204 || r.status == 304 || r.method == "HEAD"
	// chunked_transfer_encoding off: a body of unknown length ends
	// with the connection
	r.chunked = http11 && r.contentLen < 0 && !bodyless && r.loc.s.chunkedTE != 0
	// the connection stays when the body's end is known, as in nginx
	r.streamKA = r.status != 101 && r.keepAlive() && (bodyless || r.chunked || r.contentLen >= 0)
	var b strings.Builder
	b.WriteString("HTTP/1.1 ") // nginx's status line, whatever the request's version
	b.WriteString(strconv.Itoa(r.status))
	b.WriteByte(' ')
	if reason, ok := nginxReason(r.status); ok {
		b.WriteString(reason)
	} else {
		b.WriteString(statusText(r.status))
	}
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
	switch {
	case r.status == 101:
		b.WriteString("Connection: upgrade\r\n")
	case r.streamKA:
		b.WriteString("Connection: keep-alive\r\n")
		if h := r.keepaliveHeader(); h != "" {
			b.WriteString("Keep-Alive: " + h + "\r\n")
		}
	default:
		b.WriteString("Connection: close\r\n")
	}
	for _, h := range r.out {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	for _, v := range r.listedLen {
		b.WriteString("Content-Length: " + v + "\r\n")
	}
	b.WriteString("\r\n")
	r.bw.WriteString(b.String())
	r.wireHdr = int64(b.Len())
	if len(r.body) > 0 {
		body := r.body
		r.body = r.body[:0]
		r.writeChunk(body)
	}
	if r.bw.Flush() != nil {
		r.wireFailed = true
	}
	// fasthttp must not write a response of its own; the connection
	// closes when the handler returns, unless finish keeps it
	// (ResponseWrittenByHandler).
	r.fc.HijackSetNoResponse(true)
	r.fc.Hijack(func(net.Conn) {})
}

func (r *Request) writeChunk(p []byte) {
	r.wireBody += int64(len(p))
	if r.chunked {
		r.wireBody += int64(len(strconv.FormatInt(int64(len(p)), 16))) + 4
		r.bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		r.bw.WriteString("\r\n")
		r.bw.Write(p)
		r.bw.WriteString("\r\n")
	} else {
		r.bw.Write(p)
	}
	// bufio's error is sticky: an empty write reports one met so far
	if _, err := r.bw.Write(nil); err != nil {
		r.wireFailed = true
	}
}

// terminate ends the request without (more of) a response and closes
// the connection, as ngx_http_terminate_request: the status logged is
// code unless a response header went out.
func (r *Request) terminate(code int) {
	if !r.headerSent || r.status == 0 {
		r.status = code
	}
	r.abort()
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
	if r.loc.s.chunkedTE == 0 && !r.streaming && r.h2 == nil && !r.aborted && !(r.closeConn && !r.headerSent) &&
		!r.lenKnown && fc.Request.Header.IsHTTP11() && (r.lenUnknown || r.lenCleared && len(r.body) > 0) &&
		r.method != "HEAD" && r.status >= 200 && r.status != 204 && r.status != 304 {
		// chunked_transfer_encoding off: what would go out chunked goes
		// out without framing, and the connection closes after it
		r.startStreaming()
	}
	if r.streaming {
		if !r.aborted {
			if r.chunked {
				r.bw.WriteString("0\r\n\r\n")
				r.wireBody += 5
			}
			r.completed = true
		}
		err := r.bw.Flush()
		if err == nil && r.streamKept() {
			// the whole response is on the wire and framed: the
			// connection serves the next request
			fc.ResponseWrittenByHandler()
			fc.SetIdleTimeout(r.keepaliveTimeout())
		}
		return
	}
	if r.closeConn && !r.headerSent || r.aborted {
		if r.h2 != nil {
			r.h2.reset = true
			return
		}
		fc.HijackSetNoResponse(true)
		fc.Hijack(func(net.Conn) {})
		return
	}
	if r.h2 != nil {
		r.finishH2()
		return
	}
	r.completed = true
	resp := &fc.Response
	resp.Header.DisableNormalizing()
	resp.SetStatusCode(r.status)
	if r.status >= 0 && r.status < len(reasonBytes) && reasonBytes[r.status] != nil {
		resp.Header.SetStatusMessage(reasonBytes[r.status])
	}
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
	if !r.keepAlive() {
		resp.SetConnectionClose()
	} else {
		if fc.Request.Header.IsHTTP11() {
			// nginx names it on HTTP/1.1 too (fasthttp does for HTTP/1.0)
			resp.Header.Set("Connection", "keep-alive")
		}
		if h := r.keepaliveHeader(); h != "" {
			resp.Header.Set("Keep-Alive", h)
		}
		fc.SetIdleTimeout(r.keepaliveTimeout())
	}
	if r.contentLen >= 0 && r.contentLen != int64(len(r.body)) && r.method == "HEAD" {
		resp.Header.SetContentLength(int(r.contentLen))
		resp.SkipBody = true
		return
	}
	if r.status == 204 || r.status == 304 || r.status < 200 {
		// nginx's header filter writes a 304's length (0 on its own
		// 304), and add_header's Content-Length lines on a 204 or 304
		if r.status == 304 && r.contentLen >= 0 {
			resp.Header.AddVerbatim("Content-Length", strconv.FormatInt(r.contentLen, 10))
		}
		for _, v := range r.listedLen {
			resp.Header.AddVerbatim("Content-Length", v)
		}
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
		resp.SetBodyChunked(r.body)
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

// keepAlive reports whether the connection stays open after this
// response: not after 444, an error that ends keepalive, keepalive_timeout
// 0, a client that asked to close, or keepalive_requests requests.
func (r *Request) keepAlive() bool {
	return !r.closeConn && !r.keepaliveOff && r.loc.s.keepalive != 0 &&
		!r.fc.Request.Header.ConnectionClose() &&
		r.fc.ConnRequestNum() < uint64(r.loc.s.keepaliveRequestsOr()) &&
		(r.rootReq().bodyLoaded || r.fc.Request.Header.ContentLength() <= maxUnreadBody)
}

// streamKept reports whether a streamed response leaves the connection
// open: announced so, complete, its length as declared, and nothing since
// (an abort, ngx.exit(444), an error) ended keepalive.
func (r *Request) streamKept() bool {
	if !r.streamKA || r.aborted || !r.completed || !r.keepAlive() {
		return false
	}
	if !r.chunked && r.contentLen >= 0 && r.method != "HEAD" && r.status >= 200 && r.status != 204 &&
		r.status != 304 && r.wireBody != r.contentLen {
		return false
	}
	return true
}

// keepaliveTimeout is keepalive_timeout of the location that answered:
// how long the connection waits for its next request (nginx's
// ngx_http_set_keepalive reads it from the final location).
func (r *Request) keepaliveTimeout() time.Duration {
	if t := r.loc.s.keepaliveTime; t > 0 {
		return t
	}
	return 75 * time.Second
}

// keepaliveHeader is the value of the Keep-Alive header that
// keepalive_timeout's second parameter adds to a keepalive response.
func (r *Request) keepaliveHeader() string {
	if h := r.loc.s.keepaliveHdr; h >= time.Second {
		return "timeout=" + strconv.FormatInt(int64(h/time.Second), 10)
	}
	return ""
}

// maxUnreadBody is how much of a body left unread fasthttp drains to keep
// the connection (it closes it beyond that; nginx discards any amount).
const maxUnreadBody = 256 << 10

// rootReq is the main request of a subrequest.
func (r *Request) rootReq() *Request {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// connectionHeader is $sent_http_connection.
func (r *Request) connectionHeader() string {
	switch {
	case r.status == 101:
		return "upgrade"
	case r.streaming && !r.streamKA || !r.keepAlive():
		return "close"
	}
	return "keep-alive"
}

// bytesSent is $bytes_sent: the header and body bytes of the response
// (chunk framing included), as nginx counts what it wrote.
func (r *Request) bytesSent() int64 {
	if r.streaming || r.h2 != nil {
		return r.wireHdr + r.wireBody
	}
	if !r.completed {
		return 0
	}
	resp := &r.fc.Response
	n := int64(len(resp.Header.Header())) + r.wireBodyLen()
	if resp.Header.ContentLength() < 0 || resp.SkipBody {
		return n
	}
	if len(resp.Header.Peek("Content-Length")) == 0 { // set when fasthttp writes it
		n += int64(len("Content-Length: \r\n") + len(strconv.Itoa(len(resp.Body()))))
	}
	return n
}

// wireBodyLen is the body a buffered response puts on the wire.
func (r *Request) wireBodyLen() int64 {
	if r.streaming || r.h2 != nil {
		return r.wireBody
	}
	resp := &r.fc.Response
	if !r.completed || resp.SkipBody {
		return 0
	}
	if resp.IsBodyChunked() { // one chunk and the last one
		n := int64(len(r.body))
		if n == 0 {
			return 5
		}
		return n + int64(len(strconv.FormatInt(n, 16))) + 4 + 5
	}
	return int64(len(resp.Body()))
}

// nginxReason is the reason phrase nginx writes for code, when its table
// has one.
func nginxReason(code int) (string, bool) {
	r, ok := nginxReasons[code]
	return r, ok
}

// reasonBytes is nginxReasons by code, ready for fasthttp.
var reasonBytes = func() [600][]byte {
	var t [600][]byte
	for code, reason := range nginxReasons {
		t[code] = []byte(reason)
	}
	return t
}()

// nginxReasons is ngx_http_status_lines.
var nginxReasons = map[int]string{
	200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
	301: "Moved Permanently", 302: "Moved Temporarily", 303: "See Other", 304: "Not Modified",
	307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Not Allowed", 406: "Not Acceptable", 408: "Request Time-out",
	409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
	413: "Request Entity Too Large", 414: "Request-URI Too Large", 415: "Unsupported Media Type",
	416: "Requested Range Not Satisfiable", 421: "Misdirected Request", 429: "Too Many Requests",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Temporarily Unavailable", 504: "Gateway Time-out", 505: "HTTP Version Not Supported",
	507: "Insufficient Storage",
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}

// sendRefresh is ngx_http_send_refresh: with msie_refresh on, a redirect
// to MSIE is a 200 text/html page whose meta refresh leads to the
// Location, which is dropped with Accept-Ranges, Last-Modified and ETag.
// It reports whether it answered.
func (r *Request) sendRefresh() bool {
	if r.loc.s.msieRefresh != 1 || !isMSIE(r.fc.Request.Header.UserAgent()) {
		return false
	}
	loc, ok := r.sentHeader("Location")
	if !ok {
		return false
	}
	b := make([]byte, 0, len(refreshHead)+3*len(loc)+len(refreshTail))
	b = append(b, refreshHead...)
	for i := 0; i < len(loc); i++ {
		if c := loc[i]; refreshEscape[c>>5]&(1<<(c&31)) != 0 {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		} else {
			b = append(b, c)
		}
	}
	b = append(b, refreshTail...)
	for _, h := range [...]string{"Location", "Accept-Ranges", "Last-Modified", "ETag"} {
		r.clearHeader(h)
	}
	r.sendStatic(200, b, "text/html")
	return true
}

const (
	refreshHead = `<html><head><meta http-equiv="Refresh" content="0; URL=`
	refreshTail = "\"></head><body></body></html>\r\n"
	upperHex    = "0123456789ABCDEF"
)

// refreshEscape is nginx's NGX_ESCAPE_REFRESH table: control bytes, " ",
// '"', "'", "<", ">", "\\", "^", "`", "{", "|", "~", DEL and every byte
// from 0x80 are escaped.
var refreshEscape = [8]uint32{
	0xffffffff, 0x50000085, 0x50000000, 0xd8000001,
	0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
}

// isMSIE is nginx's headers_in.msie (ngx_http_process_user_agent): "MSIE "
// with at least three bytes after it, and no "Opera".
func isMSIE(ua []byte) bool {
	i := bytes.Index(ua, []byte("MSIE "))
	return i >= 0 && i+7 < len(ua) && !bytes.Contains(ua, []byte("Opera"))
}

// specialBody is the built-in page of code for this request: with
// msie_padding (on by default) a 4xx or 5xx page for MSIE or Chrome ends
// with nginx's padding comments, so that the browser shows it rather
// than its own "friendly" page.
func (r *Request) specialBody(code int) []byte {
	b := errorPageBody(code, r.loc.s.serverTokens == 1)
	if code >= 400 && r.loc.s.msiePadding == 1 && wantsPadding(r.fc.Request.Header.UserAgent()) {
		b = append(b, msiePadding...)
	}
	return b
}

const msiePadding = "" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"

// wantsPadding is nginx's browser test (ngx_http_process_user_agent):
// "MSIE " with at least three bytes after it, or, when neither that nor
// "Opera" is there, "Chrome/" without "Gecko/".
func wantsPadding(ua []byte) bool {
	if len(ua) == 0 {
		return false
	}
	if bytes.Contains(ua, []byte("Opera")) {
		return false
	}
	if i := bytes.Index(ua, []byte("MSIE ")); i >= 0 && i+7 < len(ua) {
		return true
	}
	return !bytes.Contains(ua, []byte("Gecko/")) && bytes.Contains(ua, []byte("Chrome/"))
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

// redirect answers code with a Location made absolute as nginx does for
// its own redirects.
func (r *Request) redirect(code int, loc string) {
	if strings.HasPrefix(loc, "/") && r.loc.s.absRedirect != 0 {
		scheme := "http://"
		if r.fc.IsTLS() {
			scheme = "https://"
		}
		loc = scheme + r.redirectHost() + loc
	}
	r.clearHeader("Location")
	r.addOutHeader("Location", loc)
	r.finalize(code)
}

func (r *Request) redirectHost() string {
	host := r.hostVar()
	if host == "" || r.loc.s.nameInRedirect == 1 && r.srv.primaryName() != "" {
		host = r.srv.primaryName()
	}
	if r.loc.s.portInRedirect == 0 {
		return host
	}
	if p := r.serverPort(); p != "" && !(p == "80" && !r.fc.IsTLS()) && !(p == "443" && r.fc.IsTLS()) {
		host += ":" + p
	}
	return host
}
