package httpd

import (
	"os"
	"regexp"
	"strings"
)

// The rewrite module's directives (set, if, return, rewrite, break,
// set_by_lua) compile into a script per level, run in the server rewrite
// and location rewrite phases like ngx_http_rewrite_module's codes.

type opKind uint8

const (
	opSet opKind = iota
	opSetLua
	opIf
	opReturn
	opRewrite
	opBreak
	opSetArgs // set $args (a changeable built-in)
	opNop     // set $limit_rate: accepted, no rate limit here
)

const (
	flagNone = iota
	flagLast
	flagBreak
	flagRedirect
	flagPermanent
)

type op struct {
	kind  opKind
	slot  int
	value *cvalue
	lua   *luaHandler
	cond  *condition
	ifLoc *LocConf
	code  int
	text  *cvalue
	re    *regexp.Regexp
	repl  *cvalue
	flag  int
}

type condKind uint8

const (
	condTrue condKind = iota
	condEq
	condRegex
	condFile
	condDir
	condExists
	condExec
)

type condition struct {
	kind   condKind
	negate bool
	left   *cvalue
	right  *cvalue
	re     *regexp.Regexp
}

type scriptResult uint8

const (
	scriptDone   scriptResult = iota // ran to the end
	scriptBreak                      // "break" or rewrite ... break
	scriptLast                       // rewrite ... last: find the location again
	scriptFinish                     // return / redirect: the response is decided
	scriptError                      // 500
)

// runScript executes a level's rewrite directives.
func (r *Request) runScript(ops []op) scriptResult {
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opSet:
			r.setVar(o.slot, o.value.eval(r))
		case opSetArgs:
			a := o.value.eval(r)
			r.args, r.hasArgs = a, a != ""
		case opSetLua:
			if !r.runSetLua(o.lua) {
				return scriptError
			}
			if r.done {
				return scriptFinish
			}
		case opIf:
			if r.evalCond(o.cond) {
				r.loc = o.ifLoc
				if res := r.runScript(o.ifLoc.script); res != scriptDone {
					return res
				}
			}
		case opReturn:
			r.doReturn(o.code, o.text)
			return scriptFinish
		case opBreak:
			return scriptBreak
		case opRewrite:
			m := o.re.FindStringSubmatchIndex(r.uri)
			if m == nil {
				continue
			}
			r.setCaptures(r.uri, m)
			res := o.repl.eval(r)
			if o.flag == flagRedirect || o.flag == flagPermanent || isAbsoluteURL(res) {
				code := 302
				if o.flag == flagPermanent {
					code = 301
				}
				if strings.HasSuffix(o.repl.raw, "?") {
					res = strings.TrimSuffix(res, "?")
				} else if r.args != "" && !strings.Contains(res, "?") {
					res += "?" + r.args
				}
				r.redirect(code, res)
				return scriptFinish
			}
			r.applyRewrite(res, strings.HasSuffix(o.repl.raw, "?"))
			switch o.flag {
			case flagLast:
				return scriptLast
			case flagBreak:
				return scriptBreak
			}
			r.uriChanged = true
		}
	}
	return scriptDone
}

func isAbsoluteURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// applyRewrite sets the URI from a rewrite replacement; a replacement with
// "?" brings new args, with the original ones appended unless it ends in "?".
func (r *Request) applyRewrite(res string, dropArgs bool) {
	if i := strings.IndexByte(res, '?'); i >= 0 {
		newArgs := res[i+1:]
		res = res[:i]
		if !dropArgs && r.args != "" {
			if newArgs != "" {
				newArgs += "&" + r.args
			} else {
				newArgs = r.args
			}
		}
		r.args = newArgs
		r.hasArgs = newArgs != ""
	}
	r.uri = res
	r.validURI = true
	r.internal = true // nginx counts rewritten requests as internal
}

func (r *Request) evalCond(c *condition) bool {
	v := c.left.eval(r)
	var ok bool
	switch c.kind {
	case condTrue:
		ok = v != "" && v != "0"
	case condEq:
		ok = v == c.right.eval(r)
	case condRegex:
		m := c.re.FindStringSubmatchIndex(v)
		ok = m != nil
		if ok {
			r.setCaptures(v, m)
		}
	case condFile, condDir, condExists, condExec:
		st, err := os.Stat(r.rt.path(v))
		switch c.kind {
		case condFile:
			ok = err == nil && st.Mode().IsRegular()
		case condDir:
			ok = err == nil && st.IsDir()
		case condExists:
			ok = err == nil
		case condExec:
			ok = err == nil && st.Mode()&0o111 != 0
		}
	}
	return ok != c.negate
}

// doReturn implements "return code [text|URL]" and "return URL".
func (r *Request) doReturn(code int, text *cvalue) {
	if code == 444 {
		r.closeConn = true
		r.finalize(444)
		return
	}
	if code >= 301 && code <= 308 && code != 304 || code == 0 {
		if code == 0 {
			code = 302
		}
		loc := ""
		if text != nil {
			loc = text.eval(r)
		}
		r.redirect(code, loc)
		return
	}
	if text == nil {
		if code < 400 {
			// an empty answer of its own, as ngx_http_send_response
			r.contentType, r.ctSet, r.contentLen = r.loc.s.defaultType, true, 0
		}
		r.finalize(code)
		return
	}
	r.status = code
	r.sendStatic(code, []byte(text.eval(r)), r.loc.s.defaultType)
}

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
