package echo

import (
	"math"
	"os"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
)

// ctx is the module's per-request state (ngx_http_echo_ctx_t).
type ctx struct {
	timerBegin     time.Time // echo_reset_timer; zero: the request's start
	counter        int       // $echo_incr (kept in the main request's)
	foreach        *foreach  // the running echo_foreach_split
	headerSent     bool
	beforeBodySent bool
	skipFilter     bool
	// pending are the _async subrequests issued and not yet run, each
	// with the handler's own output that followed it
	pending []*pendingSub
}

// pendingSub is an echo_location_async/echo_subrequest_async waiting for
// the handler to yield, as nginx runs posted subrequests then; its output
// still comes where it was issued.
type pendingSub struct {
	path     string
	o        *httpd.CaptureOptions
	headOnly bool
	after    [][]byte
}

// runPending runs the waiting subrequests in order, each followed by the
// output the handler produced after issuing it.
func runPending(r *httpd.Request, c *ctx) int {
	for len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		if rc := joinSubrequest(r, capture(r, p.path, p.o), p.headOnly); rc != rcOK {
			c.pending = nil
			return rc
		}
		for _, b := range p.after {
			if !r.Write(b) && !r.Ended() {
				c.pending = nil
				return rcError
			}
		}
	}
	c.pending = nil
	return rcOK
}

// write sends handler output, or keeps it behind a waiting subrequest.
func write(r *httpd.Request, c *ctx, b []byte) bool {
	if n := len(c.pending); n > 0 {
		p := c.pending[n-1]
		p.after = append(p.after, append([]byte(nil), b...))
		return true
	}
	return r.Write(b) || r.Ended()
}

type foreach struct {
	cmdIndex int
	choices  []string
	next     int
}

func reqCtx(r *httpd.Request) *ctx {
	if c, _ := Module.ReqCtx(r).(*ctx); c != nil {
		return c
	}
	c := &ctx{}
	Module.SetReqCtx(r, c)
	return c
}

// Results of a command, as the module's return codes.
const (
	rcOK    = 0
	rcError = -1 // NGX_ERROR: the request ends without more output
	rcDone  = -2 // the request was handed on (echo_exec)
)

var cmdName = map[opcode]string{opLocation: "echo_location", opLocationAsync: "echo_location_async",
	opSubrequest: "echo_subrequest", opSubrequestAsync: "echo_subrequest_async"}

// duplicateChunk bounds what echo_duplicate builds at once.
const duplicateChunk = 64 << 10

// streamAbove is the buffered response size past which echo_duplicate
// streams what it produced, instead of holding it all.
const streamAbove = 1 << 20

// contentHandler runs a location's echo commands (ngx_http_echo_handler).
type contentHandler struct{}

func (contentHandler) Content(r *httpd.Request) httpd.Status {
	lc := Module.Conf(r.Loc()).(*locConf)
	c := reqCtx(r)
	rc := runCmds(r, c, lc)
	switch {
	case rc == rcDone:
	case rc == rcError:
		r.Abort()
	case rc >= 300:
		if c.headerSent || r.HeaderSent() {
			r.Abort()
		} else {
			r.Finalize(rc)
		}
	default:
		if !r.Finalized() {
			r.Finalize(0)
		}
	}
	return httpd.Done
}

func runCmds(r *httpd.Request, c *ctx, lc *locConf) int {
	cmds := lc.handler
	for i := 0; i < len(cmds); i++ {
		cmd := &cmds[i]
		args, opts := evalArgs(r, cmd.args)
		var rc int
		switch cmd.op {
		case opEcho:
			rc = send(r, c, echoText(args, opts))
		case opRequestBody:
			if b, ok := r.BodyAny(); ok && len(b) > 0 {
				rc = send(r, c, b)
			}
		case opLocation, opLocationAsync:
			if rc = readBody(r); rc != rcOK {
				return rc
			}
			rc = location(r, c, cmdName[cmd.op], cmd.op == opLocationAsync, args)
		case opSubrequest, opSubrequestAsync:
			if rc = readBody(r); rc != rcOK {
				return rc
			}
			rc = subrequest(r, c, cmdName[cmd.op], cmd.op == opSubrequestAsync, args)
		case opSleep, opBlockingSleep:
			if rc = runPending(r, c); rc != rcOK {
				return rc
			}
			ms, ok := atofp(args[0], 3)
			if !ok {
				r.Logf(httpd.LogErr, "invalid sleep duration \"%s\"", args[0])
				return 400
			}
			d := time.Duration(ms) * time.Millisecond
			if cmd.op == opSleep {
				r.Unlocked(func() { time.Sleep(d) })
			} else {
				time.Sleep(d) // blocks the handler, as ngx_msleep the worker
			}
		case opFlush:
			if rc = runPending(r, c); rc != rcOK {
				return rc
			}
			r.Flush()
		case opResetTimer:
			c.timerBegin = time.Now()
		case opDuplicate:
			rc = duplicate(r, c, args)
		case opReadRequestBody:
			rc = readBody(r)
		case opForeachSplit:
			if c.foreach != nil {
				r.Logf(httpd.LogErr, "Nested echo_foreach not supported yet.")
				return 500
			}
			if len(args) < 2 {
				r.Logf(httpd.LogErr, "echo_foreach should take at least two arguments. "+
					"(if your delimiter starts with \"-\", preceding it with a \"--\".)")
				return 500
			}
			f := &foreach{cmdIndex: i, choices: split(args[1], args[0])}
			c.foreach = f
			if len(f.choices) == 0 {
				// skip the loop body: run its echo_end, which ends the loop
				for j := i + 1; j < len(cmds); j++ {
					if cmds[j].op == opEnd {
						i = j - 1
						break
					}
				}
			}
		case opEnd:
			f := c.foreach
			if f == nil {
				r.Logf(httpd.LogErr, "Found a echo_end that has no corresponding echo_foreach before it.")
				return rcError
			}
			f.next++
			if f.next >= len(f.choices) {
				c.foreach = nil
			} else {
				i = f.cmdIndex
			}
		case opExec:
			if rc = runPending(r, c); rc != rcOK {
				return rc
			}
			return exec(r, args)
		case opSync:
			if rc = sendHeader(r, c); rc == rcOK && r.Method() != "HEAD" {
				r.Write(nil)
			}
		case opAbortParent:
		}
		if rc != rcOK {
			return rc
		}
		if r.Finalized() {
			return rcDone
		}
	}
	if rc := runPending(r, c); rc != rcOK {
		return rc
	}
	if rc := sendHeader(r, c); rc != rcOK {
		return rc
	}
	return rcOK
}

// evalArgs computes a command's arguments; leading literal "-x" arguments
// are options (nginx's echo -n), "--" ends them.
func evalArgs(r *httpd.Request, vals []*httpd.Value) (args, opts []string) {
	if len(vals) == 0 {
		return nil, nil
	}
	args = make([]string, 0, len(vals))
	expectOpts := true
	for _, v := range vals {
		raw := v.Raw()
		if !v.HasVariables() && raw != "" {
			if expectOpts {
				switch {
				case len(raw) == 1 || raw[0] != '-':
					expectOpts = false
				case raw[1] == '-':
					expectOpts = false
					continue
				default:
					opts = append(opts, raw[1:])
					continue
				}
			}
		} else {
			expectOpts = false
		}
		args = append(args, v.Eval(r))
	}
	return args, opts
}

// echoText is echo's output: the arguments joined by spaces and a newline
// unless the first option is -n.
func echoText(args, opts []string) []byte {
	n := 1
	for _, a := range args {
		n += len(a) + 1
	}
	b := make([]byte, 0, n)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a...)
	}
	if len(opts) > 0 && opts[0] == "n" {
		return b
	}
	return append(b, '\n')
}

// sendHeader sends the response header once (echo_status, the type from
// the extension, no length: the response goes out chunked).
func sendHeader(r *httpd.Request, c *ctx) int {
	if r.HeaderSent() || c.headerSent {
		return rcOK
	}
	lc := Module.Conf(r.Loc()).(*locConf)
	r.SetStatus(lc.status)
	r.SetContentTypeByExten()
	r.SetHeader("Content-Length")
	r.ClearHeader("Accept-Ranges")
	r.SendHeaders()
	c.headerSent = true
	if r.Finalized() && !r.HeaderSent() {
		return rcError
	}
	return rcOK
}

// send writes output after the header.
func send(r *httpd.Request, c *ctx, b []byte) int {
	if rc := sendHeader(r, c); rc != rcOK {
		return rc
	}
	if len(b) == 0 || r.Method() == "HEAD" {
		return rcOK
	}
	if !write(r, c, b) {
		return rcError
	}
	return rcOK
}

// readBody reads the request body once (subrequests need it first).
func readBody(r *httpd.Request) int {
	if _, ok := r.Body(); ok {
		return rcOK
	}
	if code := r.ReadBody(); code != 0 {
		return code
	}
	return rcOK
}

// location is echo_location(_async) URI [ARGS]: a GET subrequest whose
// body joins the response.
func location(r *httpd.Request, c *ctx, name string, async bool, args []string) int {
	if len(args) == 0 || args[0] == "" {
		return rcError
	}
	path, qs, ok := httpd.ParseUnsafeURI(args[0])
	if !ok {
		r.Logf(httpd.LogDebug, "%s sees unsafe uri: \"%s\"", name, args[0])
		return rcError
	}
	if len(args) > 1 {
		qs = args[1]
	}
	if rc := sendHeader(r, c); rc != rcOK || r.Method() == "HEAD" {
		return rc
	}
	o := &httpd.CaptureOptions{Args: qs, AlwaysBody: true, ErrorPage: true}
	if async {
		c.pending = append(c.pending, &pendingSub{path: path, o: o})
		return rcOK
	}
	if rc := runPending(r, c); rc != rcOK {
		return rc
	}
	return joinSubrequest(r, capture(r, path, o), false)
}

// capture issues a subrequest; nil when r may nest no deeper, logged as
// ngx_http_subrequest logs it.
func capture(r *httpd.Request, path string, o *httpd.CaptureOptions) *httpd.CaptureResult {
	res := r.Capture(path, o)
	if res == nil {
		r.Logf(httpd.LogErr, "subrequests cycle while processing \"%s\"", path)
	}
	return res
}

// joinSubrequest writes a subrequest's body into the response.
func joinSubrequest(r *httpd.Request, res *httpd.CaptureResult, headOnly bool) int {
	if res == nil { // not issued (capture logged why)
		return rcError
	}
	if !headOnly {
		r.WriteBelowFilters(res.Body)
	}
	if res.Truncated {
		return rcError
	}
	return rcOK
}

// subrequest is echo_subrequest(_async) METHOD URI [-q QUERY] [-b BODY]
// [-f FILE].
func subrequest(r *httpd.Request, c *ctx, name string, async bool, args []string) int {
	method, uri := args[0], args[1]
	if uri == "" {
		return rcError
	}
	var query, body, file *string
	for i := 2; i < len(args); i++ {
		var to **string
		switch args[i] {
		case "-q":
			to = &query
		case "-b":
			to = &body
		case "-f":
			to = &file
		default:
			r.Logf(httpd.LogErr, "unknown option for echo_subrequest*: %s", args[i])
			return rcError
		}
		if i+1 >= len(args) {
			// an option without its value: nothing to apply
			break
		}
		i++
		*to = &args[i]
	}
	o := &httpd.CaptureOptions{Method: method, AlwaysBody: true, ErrorPage: true}
	switch {
	case body != nil && *body != "":
		o.Body, o.HasBody = []byte(*body), true
	case file != nil && *file != "":
		p := r.Runtime().Path(*file)
		data, err := os.ReadFile(p)
		if err != nil {
			r.Logf(httpd.LogErr, "open() \"%s\" failed (%s)", p, errnoText(err))
			return rcError
		}
		o.Body, o.HasBody = data, true
	}
	path, qs, ok := httpd.ParseUnsafeURI(uri)
	if !ok {
		r.Logf(httpd.LogDebug, "%s sees unsafe uri: \"%s\"", name, uri)
		return rcError
	}
	if query != nil {
		qs = *query
	}
	o.Args = qs
	if rc := sendHeader(r, c); rc != rcOK || r.Method() == "HEAD" {
		return rc
	}
	if async {
		c.pending = append(c.pending, &pendingSub{path: path, o: o, headOnly: method == "HEAD"})
		return rcOK
	}
	if rc := runPending(r, c); rc != rcOK {
		return rc
	}
	return joinSubrequest(r, capture(r, path, o), method == "HEAD")
}

// duplicate is echo_duplicate COUNT STRING.
func duplicate(r *httpd.Request, c *ctx, args []string) int {
	n, ok := atosz(args[0])
	if !ok {
		r.Logf(httpd.LogErr, "invalid size specified: \"%s\"", args[0])
		return 500
	}
	s := args[1]
	if rc := sendHeader(r, c); rc != rcOK || n == 0 || s == "" || r.Method() == "HEAD" {
		return rc
	}
	if n > math.MaxInt64/int64(len(s)) {
		r.Logf(httpd.LogErr, "invalid size specified: \"%s\"", args[0])
		return 500
	}
	per := max(1, duplicateChunk/len(s))
	chunk := []byte(strings.Repeat(s, int(min(int64(per), n))))
	written := int64(0)
	for left := n; left > 0; {
		k := min(int64(per), left)
		if !write(r, c, chunk[:k*int64(len(s))]) {
			return rcError
		}
		left -= k
		written += k * int64(len(s))
		if written > streamAbove && left > 0 && len(c.pending) == 0 {
			r.Flush()
		}
	}
	return rcOK
}

// exec is echo_exec URI [ARGS]: an internal redirect (or a named location).
func exec(r *httpd.Request, args []string) int {
	uri := args[0]
	if uri == "" {
		return 400
	}
	path, qs, ok := httpd.ParseUnsafeURI(uri)
	if !ok {
		r.Logf(httpd.LogDebug, "echo_exec sees unsafe uri: \"%s\"", uri)
		return rcError
	}
	if len(args) > 1 {
		qs = args[1]
	}
	if strings.HasPrefix(uri, "@") {
		if qs != "" {
			r.Logf(httpd.LogWarn, "querystring %s ignored when exec'ing named location %s", qs, uri)
		}
		Module.SetReqCtx(r, nil)
		r.InternalRedirect(path, "")
		return rcDone
	}
	Module.SetReqCtx(r, nil)
	r.InternalRedirect(path, qs)
	return rcDone
}

// split is echo_foreach_split's: the non-empty pieces of s between delim.
func split(s, delim string) []string {
	if delim == "" {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var out []string
	for s != "" {
		i := strings.Index(s, delim)
		if i < 0 {
			out = append(out, s)
			break
		}
		if i > 0 {
			out = append(out, s[:i])
		}
		s = s[i+len(delim):]
	}
	return out
}

// atofp is ngx_atofp: a decimal with at most point fractional digits, as
// an integer scaled by 10^point.
func atofp(s string, point int) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	dot := false
	for i := 0; i < len(s); i++ {
		if point == 0 {
			return 0, false
		}
		ch := s[i]
		if ch == '.' {
			if dot {
				return 0, false
			}
			dot = true
			continue
		}
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if v > (math.MaxInt64-int64(ch-'0'))/10 {
			return 0, false
		}
		v = v*10 + int64(ch-'0')
		if dot {
			point--
		}
	}
	for ; point > 0; point-- {
		if v > math.MaxInt64/10 {
			return 0, false
		}
		v *= 10
	}
	return v, true
}

// atosz is echo's count parser: digits, underscores ignored.
func atosz(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '_' {
			continue
		}
		if ch < '0' || ch > '9' || v > (math.MaxInt64-int64(ch-'0'))/10 {
			return 0, false
		}
		v = v*10 + int64(ch-'0')
	}
	return v, true
}

// atoi is ngx_atoi: a non-negative decimal.
func atoi(s string) (int, bool) {
	n, ok := atosz(s)
	if !ok || strings.IndexByte(s, '_') >= 0 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

func errnoText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if os.IsNotExist(err) {
		return "2: " + s
	}
	return s
}
