package rewrite

import (
	"os"
	"regexp"
	"strings"

	"github.com/goresty/goresty/runtime/httpd"
)

// The script of a level: its rewrite-module directives (and the steps of
// other modules, set_by_lua) in configuration order, like
// ngx_http_rewrite_module's codes.

type opKind uint8

const (
	opSet opKind = iota
	opStep
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
	value *httpd.Value
	step  httpd.ScriptStep
	cond  *condition
	ifLoc *httpd.LocConf
	code  int
	text  *httpd.Value
	re    *regexp.Regexp
	repl  *httpd.Value
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
	left   *httpd.Value
	right  *httpd.Value
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

// runScript executes a level's script; changed reports a rewrite without
// a flag (the location is found again after the script).
func runScript(r *httpd.Request, ops []op, changed *bool) scriptResult {
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opSet:
			r.SetVariable(o.slot, o.value.Eval(r))
		case opSetArgs:
			r.SetArgsString(o.value.Eval(r))
		case opStep:
			if !o.step(r) {
				return scriptError
			}
			if r.Finalized() {
				return scriptFinish
			}
		case opIf:
			if evalCond(r, o.cond) {
				r.EnterIf(o.ifLoc)
				if res := runScript(r, locConfOf(o.ifLoc).script, changed); res != scriptDone {
					return res
				}
			}
		case opReturn:
			doReturn(r, o.code, o.text)
			return scriptFinish
		case opBreak:
			return scriptBreak
		case opRewrite:
			uri := r.URI()
			m := o.re.FindStringSubmatchIndex(uri)
			if m == nil {
				continue
			}
			r.SetCaptures(uri, m)
			res := o.repl.Eval(r)
			if o.flag == flagRedirect || o.flag == flagPermanent || httpd.IsAbsoluteURL(res) {
				code := 302
				if o.flag == flagPermanent {
					code = 301
				}
				if strings.HasSuffix(o.repl.Raw(), "?") {
					res = strings.TrimSuffix(res, "?")
				} else if args := r.Args(); args != "" && !strings.Contains(res, "?") {
					res += "?" + args
				}
				r.SendRedirect(code, res)
				return scriptFinish
			}
			applyRewrite(r, res, strings.HasSuffix(o.repl.Raw(), "?"))
			switch o.flag {
			case flagLast:
				return scriptLast
			case flagBreak:
				return scriptBreak
			}
			*changed = true
		}
	}
	return scriptDone
}

// applyRewrite sets the URI from a rewrite replacement; a replacement with
// "?" brings new args, with the original ones appended unless it ends in "?".
func applyRewrite(r *httpd.Request, res string, dropArgs bool) {
	if i := strings.IndexByte(res, '?'); i >= 0 {
		newArgs := res[i+1:]
		res = res[:i]
		if args := r.Args(); !dropArgs && args != "" {
			if newArgs != "" {
				newArgs += "&" + args
			} else {
				newArgs = args
			}
		}
		r.SetArgsString(newArgs)
	}
	r.Rewrite(res)
}

func evalCond(r *httpd.Request, c *condition) bool {
	v := c.left.Eval(r)
	var ok bool
	switch c.kind {
	case condTrue:
		ok = v != "" && v != "0"
	case condEq:
		ok = v == c.right.Eval(r)
	case condRegex:
		m := c.re.FindStringSubmatchIndex(v)
		ok = m != nil
		if ok {
			r.SetCaptures(v, m)
		}
	case condFile, condDir, condExists, condExec:
		st, err := os.Stat(r.Runtime().Path(v))
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

// doReturn is "return code [text|URL]" and "return URL".
func doReturn(r *httpd.Request, code int, text *httpd.Value) {
	if code == 444 {
		r.Finalize(444) // close without an answer
		return
	}
	if code >= 301 && code <= 308 && code != 304 || code == 0 {
		if code == 0 {
			code = 302
		}
		loc := ""
		if text != nil {
			loc = text.Eval(r)
		}
		r.SendRedirect(code, loc)
		return
	}
	if text == nil {
		r.SendEmpty(code)
		return
	}
	r.SendResponse(code, []byte(text.Eval(r)), r.DefaultType())
}
