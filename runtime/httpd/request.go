package httpd

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/luabindings"
	"github.com/valyala/fasthttp"
)

var (
	hostname, _ = os.Hostname()
	pidString   = strconv.Itoa(os.Getpid())
	requestSeq  atomic.Uint64
)

type hdr struct{ name, value string }

// Request is one HTTP request (or subrequest) going through the phases.
type Request struct {
	rt  *Runtime
	fc  *fasthttp.RequestCtx
	w   *worker
	srv *Server
	loc *LocConf
	// listenAddr is the address of the listen directive the connection
	// came through ("0.0.0.0:80"), nginx's c->listening->addr_text
	listenAddr string
	// ownVM: the Lua VM of r.w was made for this request (lua_code_cache
	// off) and is released when it ends
	ownVM bool
	// pendingSubreqs counts the Lua captures in flight
	pendingSubreqs int

	method     string
	uri        string // decoded, normalised
	args       string
	hasArgs    bool
	requestURI string
	validURI   bool
	captures   []string
	vars       []string
	varSet     []uint8 // per user variable: varUninit, varValue or varNotFound
	start      time.Time

	// flow
	done              bool
	closeConn         bool // close without an answer (444)
	keepaliveOff      bool // answer, then close (nginx's r->keepalive = 0)
	internal          bool
	jump              bool // set_uri(.., true) or exec: find the location again
	redirects         int
	serverRewriteDone bool
	// luaDeclined: the Lua handler of the phase ended with
	// ngx.exit(ngx.DECLINED); accessCode: access_by_lua's 401 or 403
	// left to the access phase under "satisfy any"
	luaDeclined bool
	accessCode  int
	named       *LocConf // named location to enter (error_page, ngx.exec, try_files)

	// request body
	bodyRead    bool
	bodyChanged bool
	newBody     []byte
	luaBody     *luaBody // ngx.req.init_body until finish_body
	bodyFile    string   // the body is in this file (removed at the end unless bodyKeep)
	bodyKeep    bool     // bodyFile stays (client_body_in_file_only on, set_body_file without clean)
	bodyDiscard bool
	bodyLoaded  bool  // the streamed body was read (or refused)
	bodyStatus  int   // why reading it failed (413, 408, 400)
	bodyRecv    int64 // body bytes read so far (decoded)
	held        *held // refused by the connection layer before the body was read

	// response
	status         int
	out            []hdr
	contentType    string
	ctSet          bool
	contentLen     int64
	headerSent     bool
	sharedVars     bool // vars and varSet are the parent's (share_all_vars)
	headerOnly     bool // a HEAD subrequest of ngx.location.capture: no body
	inHeaderFilter bool // the header filters run: the status may still change
	lenKnown       bool
	lenCleared     bool
	listedLen      []string // Content-Length lines of add_header on a 204 or 304, sent as listed
	dateCleared    bool     // Date removed: none goes out
	serverCleared  bool     // Server removed: none goes out
	lenUnknown     bool     // the body is produced piece by piece (Lua output): its length is unknown when the header goes out
	http10Buffer   bool     // lua_http10_buffering took this HTTP/1.0 response: ngx.flush is a no-op
	eof            bool
	streaming      bool
	streamKA       bool // the streamed response announced keep-alive
	chunked        bool
	aborted        bool
	eofDropped     bool // a body filter cleared the last buffer's eof
	body           []byte
	bodySent       int64
	errorPageRun   bool
	errorPagesOff  bool  // no further error_page applies
	errStatus      int   // the status an error_page answer is sent with (r->err_status)
	allowRanges    bool  // a static file: Accept-Ranges on a whole 200
	completed      bool  // the response was sent whole ($request_completion)
	wireHdr        int64 // bytes of a streamed response's header
	wireBody       int64 // bytes of a streamed response's body, framing included

	// the upstream named in error log lines (set by proxy modules)
	logUpSchema, logUpPeer, logUpURI, logUpArgs string

	lua       *luabindings.Ctx
	luaCtxRef any   // the ngx.ctx table, owned by the bindings
	ctxRefs   []int // numbers of the ngx.ctx tables to release at the end (main request)

	// subrequests
	parent *Request
	subOut *subResult
	id     string

	bw           *bufio.Writer
	wireFailed   bool // a write of the streamed response failed (the client left)
	filterChunk  []byte
	filterEOF    bool
	setArgs      []string
	execURI      string
	execArgs     string
	execPending  bool
	balancerPeer string // set by ngx.balancer.set_current_peer
	hfExit       int    // ngx.exit code from header_filter_by_lua
	hfBody       []byte // what replaces the body after such an exit
	hfDiscard    bool
	vmHeld       bool  // the worker VM is held by this request's Lua (or its parent's)
	modCtx       []any // the modules' per-request state (Module.ReqCtx)

	realClient *clientAddr // the client address set by realip
	h2         *h2Stream   // the HTTP/2 stream of a main request (nil on HTTP/1)
	cw         *clientWatch
	// clientAbort is set (under the Lua VM) when the client went away and
	// no on_abort handler took it: the Lua handler unwinds and the request
	// ends with 499
	clientAbort bool
	luaWatching bool // the client is watched for lua_check_client_abort
	luaActive   bool // a rewrite/access/content Lua handler runs (VM held to touch)
}

// States of a user variable in a request: never assigned (reads "" as
// nginx's uninitialized variables do), assigned, or unset from Lua with
// ngx.var.x = nil ("not found", nil in Lua).
const (
	varUninit uint8 = iota
	varValue
	varNotFound
)

// subResult marks a subrequest (ngx.location.capture): its response is
// collected in the request instead of being sent.
type subResult struct {
	errorPage bool // an error status gives the error page as the body (CaptureOptions.ErrorPage)
	terminate bool // a filter failed: the main request ends, its connection closed
}

var requestPool = sync.Pool{New: func() any { return &Request{} }}

func (r *Request) reset() {
	r.removeBodyFile()
	captures, vars, varSet, out, body := r.captures[:0], r.vars[:0], r.varSet[:0], r.out[:0], r.body[:0]
	if r.sharedVars { // the parent's: never reused by another request
		vars, varSet = nil, nil
	}
	mc := r.modCtx
	for i, v := range mc {
		if v != nil && modules[i].ReleaseReqCtx != nil {
			modules[i].ReleaseReqCtx(v)
		}
	}
	clear(mc)
	*r = Request{}
	r.captures, r.vars, r.varSet, r.out, r.body = captures, vars, varSet, out, body
	r.modCtx = mc
}

// Fasthttp gives access to the underlying fasthttp request context.
func (r *Request) Fasthttp() *fasthttp.RequestCtx { return r.fc }

// hostVar is $host: the validated Host header (lowercase, no port, no
// trailing dot), else the server's name.
func (r *Request) hostVar() string {
	h, ok := requestHost(&r.fc.Request.Header)
	if len(h) == 0 || !ok {
		return r.srv.primaryName()
	}
	return lowerHost(h)
}

func (r *Request) remoteAddr() string {
	if c := r.client(); c != nil {
		return c.addr
	}
	switch a := r.fc.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UnixAddr:
		return "unix:" // a client of a unix-domain listener has no name
	}
	s := r.fc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return s
}

func (r *Request) remotePort() string {
	if c := r.client(); c != nil {
		return c.port
	}
	if a, ok := r.fc.RemoteAddr().(*net.TCPAddr); ok {
		return strconv.Itoa(a.Port)
	}
	return ""
}

func (r *Request) serverAddr() string {
	switch a := r.fc.LocalAddr().(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UnixAddr:
		return "unix:" + a.Name
	}
	return ""
}

func (r *Request) serverPort() string {
	if a, ok := r.fc.LocalAddr().(*net.TCPAddr); ok {
		return strconv.Itoa(a.Port)
	}
	return ""
}

func (r *Request) protocol() string {
	if r.fc.Request.Header.IsHTTP11() {
		return "HTTP/1.1"
	}
	if p := r.fc.Request.Header.Protocol(); len(p) > 0 && string(p) != "HTTP/1.0" {
		return string(p)
	}
	return "HTTP/1.0"
}

func (r *Request) requestLine() string {
	return r.method + " " + r.requestURI + " " + r.protocol()
}

func (r *Request) requestID() string {
	if r.id == "" {
		n := requestSeq.Add(1)
		r.id = strconv.FormatInt(time.Now().UnixNano(), 16) + strconv.FormatUint(n, 16)
		for len(r.id) < 32 {
			r.id = "0" + r.id
		}
	}
	return r.id
}

func (r *Request) joinedHeader(name, sep string) (string, bool) {
	var vals []string
	for k, v := range r.fc.Request.Header.All() {
		if strings.EqualFold(string(k), name) {
			vals = append(vals, string(v))
		}
	}
	if vals == nil {
		return "", false
	}
	return strings.Join(vals, sep), true
}

func (r *Request) cookie(key string) (string, bool) {
	c, ok := r.joinedHeader("Cookie", "; ")
	if !ok {
		return "", false
	}
	for len(c) > 0 {
		var part string
		if i := strings.IndexByte(c, ';'); i >= 0 {
			part, c = c[:i], c[i+1:]
		} else {
			part, c = c, ""
		}
		part = strings.TrimLeft(part, " ")
		if i := strings.IndexByte(part, '='); i >= 0 && strings.EqualFold(part[:i], key) {
			return part[i+1:], true
		}
	}
	return "", false
}

func (r *Request) sentHeader(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "content-type":
		return r.contentType, r.contentType != ""
	case "content-length":
		if r.contentLen >= 0 {
			return strconv.FormatInt(r.contentLen, 10), true
		}
		return "", false
	}
	for _, h := range r.out {
		if strings.EqualFold(h.name, name) {
			return h.value, true
		}
	}
	return "", false
}

// joinedSentHeader is every value of a response header, joined by sep.
func (r *Request) joinedSentHeader(name, sep string) (string, bool) {
	v, found := "", false
	for _, h := range r.out {
		if strings.EqualFold(h.name, name) {
			if found {
				v += sep
			}
			v, found = v+h.value, true
		}
	}
	return v, found
}

func (r *Request) setVar(slot int, v string) {
	r.growVars(slot)
	r.vars[slot] = v
	r.varSet[slot] = varValue
}

func (r *Request) growVars(slot int) {
	for len(r.vars) <= slot {
		r.vars = append(r.vars, "")
		r.varSet = append(r.varSet, varUninit)
	}
}

func (r *Request) reqBody() []byte {
	if !r.bodyChanged && r.loadBody() != 0 {
		return nil
	}
	if r.bodyChanged {
		if r.bodyFile != "" {
			b, _ := os.ReadFile(r.bodyFile)
			return b
		}
		return r.newBody
	}
	return r.fc.Request.Body()
}

// logf writes an error log line with nginx's request context suffix.
func (r *Request) logf(level int, format string, args ...any) {
	l := r.rt.errlog
	if !l.Enabled(level) {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = sprintf(format, args...)
	}
	l.Write(level, r.fc.ConnID(), msg+r.logSuffix())
}

func (r *Request) logSuffix() string {
	var b strings.Builder
	b.WriteString(", client: ")
	b.WriteString(r.remoteAddr())
	b.WriteString(", server: ")
	b.WriteString(r.srv.primaryName())
	b.WriteString(", request: \"")
	b.WriteString(r.requestLine())
	b.WriteString("\"")
	if r.parent != nil { // nginx names the subrequest (sr != r->main)
		b.WriteString(", subrequest: \"")
		b.WriteString(r.uri)
		b.WriteString("\"")
	}
	if r.logUpPeer != "" {
		b.WriteString(", upstream: \"")
		b.WriteString(r.logUpSchema)
		b.WriteString(r.logUpPeer)
		b.WriteString(r.logUpURI)
		if r.logUpArgs != "" {
			b.WriteByte('?')
			b.WriteString(r.logUpArgs)
		}
		b.WriteString("\"")
	}
	if h := r.fc.Request.Header.Host(); len(h) > 0 {
		b.WriteString(", host: \"")
		b.Write(h)
		b.WriteString("\"")
	}
	if ref := r.fc.Request.Header.Referer(); len(ref) > 0 {
		b.WriteString(", referrer: \"")
		b.Write(ref)
		b.WriteString("\"")
	}
	return b.String()
}
