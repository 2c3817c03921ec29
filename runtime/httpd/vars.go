package httpd

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goresty/goresty/runtime/errlog"
)

// A variable getter returns the value and whether it is found; nginx's
// "not found" reads as nil from Lua and as "" in config strings.
type varGetter func(r *Request) (string, bool)

// varRef is a compiled reference to one variable.
type varRef struct {
	name    string
	get     varGetter
	user    int // index into Request.vars for user variables, else -1
	capture int // $1..$9, else -1
}

// varTable holds the http-level user variable declarations (set, map,
// set_by_lua) so that every reference can be resolved to an index.
type varTable struct {
	index    map[string]int
	declared map[string]bool
	refs     []*varRef
	getters  map[string]varGetter // map{} variables
	byName   sync.Map             // name -> *varRef, for ngx.var lookups
	cached   atomic.Int64
	// uninitNil: declared variables that read as not found (nil in Lua)
	// until assigned (auth_request_set's), where set's read as empty
	uninitNil map[string]bool
}

func newVarTable() *varTable {
	return &varTable{index: map[string]int{}, declared: map[string]bool{}, getters: map[string]varGetter{}}
}

// declare marks name as a user variable (set/set_by_lua) and returns its slot.
func (t *varTable) declare(name string) int {
	name = strings.ToLower(name)
	t.declared[name] = true
	return t.slot(name)
}

func (t *varTable) slot(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	i := len(t.index)
	t.index[name] = i
	return i
}

// ref resolves a variable name used in a config value.
func (t *varTable) ref(name string) *varRef {
	lname := strings.ToLower(name)
	if n, err := strconv.Atoi(name); err == nil && len(name) == 1 {
		return &varRef{name: name, user: -1, capture: n}
	}
	if g := builtinVar(lname); g != nil {
		return &varRef{name: lname, get: g, user: -1, capture: -1}
	}
	if g, ok := t.getters[lname]; ok {
		return &varRef{name: lname, get: g, user: -1, capture: -1}
	}
	r := &varRef{name: lname, user: t.slot(lname), capture: -1}
	t.refs = append(t.refs, r)
	return r
}

// resolve binds references made before a map{} defined their variable
// and returns the first user variable referenced but never defined.
func (t *varTable) resolve() string {
	for _, r := range t.refs {
		if g, ok := t.getters[r.name]; ok && !t.declared[r.name] {
			r.get, r.user = g, -1
		}
	}
	for _, r := range t.refs {
		if r.user >= 0 && !t.declared[r.name] {
			return r.name
		}
	}
	return ""
}

func (v *varRef) value(r *Request) (string, bool) {
	switch {
	case v.capture >= 0:
		if v.capture < len(r.captures) {
			return r.captures[v.capture], true
		}
		return "", false
	case v.user >= 0:
		if v.user < len(r.vars) && r.varSet[v.user] == varValue {
			return r.vars[v.user], true
		}
		return "", false
	}
	return v.get(r)
}

// cvalue is a compiled "complex value": literal text with variables.
type cvalue struct {
	raw   string
	lit   string // the whole value when it has no variables
	parts []cpart
}

type cpart struct {
	lit string
	v   *varRef
}

// compileValue splits s into literals and $name / ${name} references.
func compileValue(t *varTable, s string) *cvalue {
	c := &cvalue{raw: s}
	if !strings.Contains(s, "$") {
		c.lit = s
		return c
	}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '$' || i+1 >= len(s) {
			lit.WriteByte(ch)
			continue
		}
		j := i + 1
		var name string
		if s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				lit.WriteByte(ch)
				continue
			}
			name = s[j+1 : j+k]
			j += k + 1
		} else if s[j] >= '0' && s[j] <= '9' {
			name = s[j : j+1]
			j++
		} else {
			k := j
			for k < len(s) && isVarChar(s[k]) {
				k++
			}
			name = s[j:k]
			j = k
		}
		if name == "" {
			lit.WriteByte(ch)
			continue
		}
		if lit.Len() > 0 {
			c.parts = append(c.parts, cpart{lit: lit.String()})
			lit.Reset()
		}
		c.parts = append(c.parts, cpart{v: t.ref(name)})
		i = j - 1
	}
	if lit.Len() > 0 {
		c.parts = append(c.parts, cpart{lit: lit.String()})
	}
	return c
}

func isVarChar(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func (c *cvalue) eval(r *Request) string {
	if c.parts == nil {
		return c.lit
	}
	if len(c.parts) == 1 && c.parts[0].v != nil {
		s, _ := c.parts[0].v.value(r)
		return s
	}
	var b strings.Builder
	for _, p := range c.parts {
		if p.v == nil {
			b.WriteString(p.lit)
		} else {
			s, _ := p.v.value(r)
			b.WriteString(s)
		}
	}
	return b.String()
}

var builtins = map[string]varGetter{
	"uri":                func(r *Request) (string, bool) { return r.uri, true },
	"document_uri":       func(r *Request) (string, bool) { return r.uri, true },
	"request_uri":        func(r *Request) (string, bool) { return r.requestURI, true },
	"args":               func(r *Request) (string, bool) { return r.args, r.args != "" || r.hasArgs },
	"query_string":       func(r *Request) (string, bool) { return r.args, r.args != "" || r.hasArgs },
	"is_args":            func(r *Request) (string, bool) { return isArgs(r), true },
	"request_method":     func(r *Request) (string, bool) { return r.method, true },
	"host":               func(r *Request) (string, bool) { return r.hostVar(), true },
	"hostname":           func(r *Request) (string, bool) { return hostname, true },
	"remote_addr":        func(r *Request) (string, bool) { return r.remoteAddr(), true },
	"binary_remote_addr": binaryRemoteAddr,
	"remote_port":        func(r *Request) (string, bool) { return r.remotePort(), true },
	"server_addr":        func(r *Request) (string, bool) { return r.serverAddr(), true },
	"server_port":        func(r *Request) (string, bool) { return r.serverPort(), true },
	"server_name":        func(r *Request) (string, bool) { return r.srv.primaryName(), true },
	"server_protocol": func(r *Request) (string, bool) {
		return r.protocol(), true
	},
	"scheme": func(r *Request) (string, bool) {
		if r.fc.IsTLS() {
			return "https", true
		}
		return "http", true
	},
	"https": func(r *Request) (string, bool) {
		if r.fc.IsTLS() {
			return "on", true
		}
		return "", true
	},
	"request_time": func(r *Request) (string, bool) { return msecString(time.Since(r.start)), true },
	"status":       func(r *Request) (string, bool) { return fmt3(r.status), true },
	"body_bytes_sent": func(r *Request) (string, bool) {
		return strconv.FormatInt(r.wireBodyLen(), 10), true
	},
	"bytes_sent": func(r *Request) (string, bool) { return strconv.FormatInt(r.bytesSent(), 10), true },
	"content_type": func(r *Request) (string, bool) {
		v := r.fc.Request.Header.ContentType()
		return string(v), len(v) > 0
	},
	"content_length": func(r *Request) (string, bool) {
		v := r.fc.Request.Header.Peek("Content-Length")
		return string(v), len(v) > 0
	},
	"request_length": func(r *Request) (string, bool) {
		return strconv.Itoa(len(r.fc.Request.Header.Header()) + r.bodyLength()), true
	},
	"request_body": func(r *Request) (string, bool) {
		if !r.bodyRead {
			return "", false
		}
		b := r.reqBody()
		if r.bodyFile != "" { // as nginx: not found while in a file
			return "", false
		}
		return string(b), true
	},
	"time_local": func(r *Request) (string, bool) {
		return time.Now().Format("02/Jan/2006:15:04:05 -0700"), true
	},
	"time_iso8601": func(r *Request) (string, bool) {
		return time.Now().Format("2006-01-02T15:04:05-07:00"), true
	},
	"msec": func(r *Request) (string, bool) {
		n := time.Now()
		return strconv.FormatInt(n.Unix(), 10) + "." + pad3(n.Nanosecond()/1e6), true
	},
	"pid":           func(r *Request) (string, bool) { return pidString, true },
	"nginx_version": func(r *Request) (string, bool) { return "1.22.1", true },
	"request":       func(r *Request) (string, bool) { return r.requestLine(), true },
	"http_cookie":   func(r *Request) (string, bool) { return r.joinedHeader("Cookie", "; ") },
	"connection":    func(r *Request) (string, bool) { return strconv.FormatUint(r.fc.ConnID(), 10), true },
	"connection_requests": func(r *Request) (string, bool) {
		return strconv.Itoa(int(r.fc.ConnRequestNum())), true
	},
	"request_id":    func(r *Request) (string, bool) { return r.requestID(), true },
	"realpath_root": realpathRoot,
	"document_root": func(r *Request) (string, bool) { return r.docRootVar(), true },
	"limit_rate":    func(r *Request) (string, bool) { return "0", true },

	"request_filename": func(r *Request) (string, bool) { return r.filePath(r.uri), true },
	// fasthttp does not tell whether a request came pipelined
	"pipe": func(r *Request) (string, bool) { return ".", true },
	"request_completion": func(r *Request) (string, bool) {
		if r.completed {
			return "OK", true
		}
		return "", true
	},
	"request_body_file": func(r *Request) (string, bool) { return r.bodyFile, r.bodyFile != "" },
	"http2":             http2Var,
	"connection_time": func(r *Request) (string, bool) {
		return msecString(time.Since(r.connStart())), true
	},
	"http_x_forwarded_for":    func(r *Request) (string, bool) { return r.joinedHeader("X-Forwarded-For", ", ") },
	"sent_http_cache_control": func(r *Request) (string, bool) { return r.joinedSentHeader("Cache-Control", ", ") },
	"sent_http_link":          func(r *Request) (string, bool) { return r.joinedSentHeader("Link", ", ") },
	"sent_http_connection":    func(r *Request) (string, bool) { return r.connectionHeader(), true },
	"sent_http_keep_alive":    func(r *Request) (string, bool) { return "", false },
	"sent_http_transfer_encoding": func(r *Request) (string, bool) {
		if r.headerSent && r.chunked {
			return "chunked", true
		}
		return "", false
	},
	"proxy_protocol_server_addr": notFound,
	"proxy_protocol_server_port": notFound,
	"tcpinfo_rtt":                tcpinfoVar(tcpinfoRTT),
	"tcpinfo_rttvar":             tcpinfoVar(tcpinfoRTTVar),
	"tcpinfo_snd_cwnd":           tcpinfoVar(tcpinfoSndCwnd),
	"tcpinfo_rcv_space":          tcpinfoVar(tcpinfoRcvSpace),
	// the SSI module's (in nginx-extras), with its default timefmt
	"date_local": func(r *Request) (string, bool) { return ssiDate(time.Now()), true },
	"date_gmt": func(r *Request) (string, bool) {
		return time.Now().UTC().Format("Monday, 02-Jan-2006 15:04:05 GMT"), true
	},
}

func notFound(*Request) (string, bool) { return "", false }

// connStart is when the client connection was accepted.
func (r *Request) connStart() time.Time {
	if t := r.fc.ConnTime(); !t.IsZero() {
		return t
	}
	return r.start
}

// ssiDate is strftime's "%A, %d-%b-%Y %H:%M:%S %Z", the SSI module's timefmt.
func ssiDate(t time.Time) string { return t.Format("Monday, 02-Jan-2006 15:04:05 MST") }

// docRootVar is $document_root: the root, or the alias of an alias location.
func (r *Request) docRootVar() string {
	if a := r.loc.s.alias; a != nil {
		return r.rt.path(a.eval(r))
	}
	return r.documentRoot()
}

// realpathRoot is $realpath_root: the document root with symbolic links
// resolved (nginx fails the variable when realpath() fails).
func realpathRoot(r *Request) (string, bool) {
	p, err := filepath.EvalSymlinks(r.docRootVar())
	if err != nil {
		r.logf(errlog.Crit, "realpath() \"%s\" failed (%v)", r.docRootVar(), err)
		return "", false
	}
	return p, true
}

// builtinVar resolves built-in and prefixed variables.
func builtinVar(name string) varGetter {
	if g, ok := builtins[name]; ok {
		return g
	}
	switch {
	case strings.HasPrefix(name, "arg_"):
		key := name[4:]
		return func(r *Request) (string, bool) { return argValue(r.args, key) }
	case strings.HasPrefix(name, "http_"):
		h := headerName(name[5:])
		// fasthttp keeps these apart and peeks "" for a missing one
		special := strings.EqualFold(h, "User-Agent") || strings.EqualFold(h, "Host") ||
			strings.EqualFold(h, "Content-Type") || strings.EqualFold(h, "Content-Length")
		if !special && strings.IndexByte(name, '_') >= 0 {
			// nginx compares each header's name lowercased with "-" as "_",
			// so a header sent as "X_Y" (underscores_in_headers on) is
			// $http_x_y too; the first in the request wins.
			key := strings.ToLower(name[5:])
			return func(r *Request) (string, bool) { return underscoreHeader(r, key) }
		}
		return func(r *Request) (string, bool) {
			v := r.fc.Request.Header.Peek(h)
			if v == nil || special && len(v) == 0 {
				return "", false
			}
			return string(v), true
		}
	case strings.HasPrefix(name, "cookie_"):
		key := name[7:]
		return func(r *Request) (string, bool) { return r.cookie(key) }
	case strings.HasPrefix(name, "sent_http_"):
		h := headerName(name[10:])
		return func(r *Request) (string, bool) { return r.sentHeader(h) }
	case strings.HasPrefix(name, "sent_trailer_"):
		return notFound // trailers are not sent
	}
	for _, p := range prefixVars {
		if strings.HasPrefix(name, p.prefix) {
			return p.make(name[len(p.prefix):])
		}
	}
	return nil
}

// binaryRemoteAddr is the client address in network byte order (4 or 16
// bytes); a unix-domain client's is its text.
func binaryRemoteAddr(r *Request) (string, bool) {
	if a, ok := r.fc.RemoteAddr().(*net.TCPAddr); ok {
		if ip4 := a.IP.To4(); ip4 != nil {
			return string(ip4), true
		}
		return string(a.IP.To16()), true
	}
	return r.remoteAddr(), true
}

// headerName turns a variable suffix (x_real_ip) into a header name (x-real-ip).
// underscoreHeader finds the first client header whose name, lowercased
// with "-" as "_", is key, skipping the ones ignore_invalid_headers
// leaves out.
func underscoreHeader(r *Request, key string) (string, bool) {
	for k, v := range r.fc.Request.Header.All() {
		if len(k) != len(key) || !headerVarName(k, key) || r.IgnoredHeader(string(k)) {
			continue
		}
		return string(v), true
	}
	return "", false
}

func headerVarName(k []byte, key string) bool {
	for i, c := range k {
		switch {
		case c >= 'A' && c <= 'Z':
			c |= 0x20
		case c == '-':
			c = '_'
		}
		if c != key[i] {
			return false
		}
	}
	return true
}

func headerName(s string) string { return strings.ReplaceAll(s, "_", "-") }

func isArgs(r *Request) string {
	if r.args != "" || r.hasArgs {
		return "?"
	}
	return ""
}

// argValue finds the raw value of the first "key=" in a query string
// (case-insensitive) like ngx_http_arg; a bare "key" without "=" is not
// a match.
func argValue(args, key string) (string, bool) {
	for len(args) > 0 {
		var pair string
		if i := strings.IndexByte(args, '&'); i >= 0 {
			pair, args = args[:i], args[i+1:]
		} else {
			pair, args = args, ""
		}
		if len(pair) > len(key) && pair[len(key)] == '=' && strings.EqualFold(pair[:len(key)], key) {
			return pair[len(key)+1:], true
		}
	}
	return "", false
}

func msecString(d time.Duration) string {
	ms := d.Milliseconds()
	return strconv.FormatInt(ms/1000, 10) + "." + pad3(int(ms%1000))
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func fmt3(n int) string {
	if n == 0 {
		return "000"
	}
	return strconv.Itoa(n)
}

// Var reads a variable by name, like ngx.var.NAME.
func (r *Request) Var(name string) (string, bool) {
	if v, ok, _ := r.lookupVar(name); ok {
		return v, true
	}
	return "", false
}

// lookupVar resolves name at request time: captures, user variables,
// map variables, built-ins; known=false when no such variable exists.
func (r *Request) lookupVar(name string) (val string, found, known bool) {
	if n := len(name); n > 0 && n <= 2 && name[0] >= '0' && name[0] <= '9' {
		i, err := strconv.Atoi(name)
		if err == nil {
			if i < len(r.captures) {
				return r.captures[i], true, true
			}
			return "", false, true
		}
	}
	ref := r.rt.vars.resolveName(name)
	switch {
	case ref == nil:
		return "", false, false
	case ref.user >= 0:
		if slot := ref.user; slot < len(r.vars) {
			switch r.varSet[slot] {
			case varValue:
				return r.vars[slot], true, true
			case varNotFound:
				return "", false, true
			}
		}
		if r.rt.vars.uninitNil[ref.name] {
			return "", false, true // auth_request_set's: not found
		}
		return "", true, true // uninitialized: empty
	}
	v, f := ref.get(r)
	return v, f, true
}

// resolveName finds what ngx.var.NAME reads, remembering the answer per
// name (the set of names a configuration's Lua uses is small).
func (t *varTable) resolveName(name string) *varRef {
	if v, ok := t.byName.Load(name); ok {
		return v.(*varRef)
	}
	lname := strings.ToLower(name)
	var ref *varRef
	if slot, ok := t.index[lname]; ok && t.declared[lname] {
		ref = &varRef{name: lname, user: slot, capture: -1}
	} else if g, ok := t.getters[lname]; ok {
		ref = &varRef{name: lname, get: g, user: -1, capture: -1}
	} else if g := builtinVar(lname); g != nil {
		ref = &varRef{name: lname, get: g, user: -1, capture: -1}
	}
	if ref != nil && t.cached.Add(1) <= 4096 {
		t.byName.Store(name, ref)
	}
	return ref
}

// SetVarByName assigns ngx.var.NAME; it fails for variables that are not
// declared with set (or are read-only built-ins).
func (r *Request) SetVarByName(name string, val string, unset bool) error {
	lname := strings.ToLower(name)
	t := r.rt.vars
	if slot, ok := t.index[lname]; ok && t.declared[lname] {
		if unset {
			r.growVars(slot)
			r.varSet[slot] = varNotFound
			r.vars[slot] = ""
			return nil
		}
		r.setVar(slot, val)
		return nil
	}
	switch lname {
	case "args":
		r.args, r.hasArgs = val, val != ""
		return nil
	case "limit_rate":
		return nil
	}
	if readOnlyVar(lname) {
		return fmt.Errorf("variable \"%s\" not changeable", name)
	}
	return fmt.Errorf("variable \"%s\" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use \"set $%s '';\" in the config file to define it first", name, name)
}

// readOnlyVar reports whether name (lower case) is a built-in variable
// without a set handler ($uri, $query_string, $arg_*, $http_*, ...).
func readOnlyVar(lname string) bool {
	return lname == "uri" || lname == "query_string" || strings.HasPrefix(lname, "arg_") ||
		strings.HasPrefix(lname, "http_") || builtins[lname] != nil
}

// SubrequestVarWritable is the check of ngx.location.capture's "vars"
// option for one name: a variable defined in the configuration, $args or
// $limit_rate can be given to the subrequest; a built-in one is not
// changeable; any other is unknown.
func (r *Request) SubrequestVarWritable(name string) error {
	lname := strings.ToLower(name)
	t := r.rt.vars
	if _, ok := t.index[lname]; ok && t.declared[lname] || lname == "args" || lname == "limit_rate" {
		return nil
	}
	if readOnlyVar(lname) {
		return fmt.Errorf("variable \"%s\" not changeable", name)
	}
	return fmt.Errorf("variable \"%s\" cannot be assigned a value (maybe you forgot to define it first?)", name)
}
