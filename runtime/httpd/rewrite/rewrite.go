// Package rewrite is ngx_http_rewrite_module: set, if, return, rewrite and
// break compile into a script per level (server, location, if), run in the
// server rewrite and rewrite phases. Other modules add steps to the same
// scripts through httpd.Builder.AddScriptStep (set_by_lua).
package rewrite

import (
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const scriptCtx = conf.Server | conf.Location | conf.ServerIf | conf.LocationIf

// Module is the rewrite module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "rewrite",
		Commands: []httpd.Command{
			httpd.Directive(setSet, conf.Spec{Name: "set", Ctx: scriptCtx, Args: conf.Take2}),
			httpd.Directive(setReturn, conf.Spec{Name: "return", Ctx: scriptCtx, Args: conf.Take12}),
			httpd.Directive(setRewrite, conf.Spec{Name: "rewrite", Ctx: scriptCtx, Args: conf.Take23}),
			httpd.Directive(setBreak, conf.Spec{Name: "break", Ctx: scriptCtx, Args: conf.NoArgs}),
			// "if" is a block directive of conf.Structural: only its handler here
			{Name: "if", Set: setIf},
		},
		// the script is the level's own: an "if" level or a location does
		// not inherit the enclosing one's
		CreateLocConf: func() any { return &locConf{} },
		Hooks:         hooks,
	}
}

type locConf struct {
	script []op
}

func locConfOf(l *httpd.LocConf) *locConf { return Module.Conf(l).(*locConf) }

func hooks(h *httpd.Hooks) {
	h.Phase(httpd.ServerRewritePhase, serverRewriteHandler)
	h.Phase(httpd.RewritePhase, rewriteHandler)
	h.Script(addStep)
}

// addStep appends another module's step to the level's script.
func addStep(b *httpd.Builder, s httpd.ScriptStep) {
	c := locConfOf(b.Loc())
	c.script = append(c.script, op{kind: opStep, step: s})
}

func (c *locConf) add(o op) { c.script = append(c.script, o) }

func serverRewriteHandler(r *httpd.Request) httpd.Status {
	var changed bool
	switch runScript(r, locConfOf(r.Server().Loc()).script, &changed) {
	case scriptFinish:
		return httpd.Done
	case scriptError:
		r.Finalize(500)
		return httpd.Done
	}
	return httpd.Declined
}

func rewriteHandler(r *httpd.Request) httpd.Status {
	var changed bool
	switch runScript(r, locConfOf(r.Loc()).script, &changed) {
	case scriptFinish:
		return httpd.Done
	case scriptError:
		r.Finalize(500)
		return httpd.Done
	case scriptLast:
		return httpd.Restart
	}
	if changed {
		return httpd.Restart
	}
	return httpd.Declined
}

// setSet is "set $var value".
func setSet(b *httpd.Builder, d *conf.Directive) error {
	name := d.Args[0]
	if !strings.HasPrefix(name, "$") {
		return conf.Errorf(d, "invalid variable name \"%s\"", name)
	}
	name = name[1:]
	c := locConfOf(b.Loc())
	switch lname := strings.ToLower(name); {
	case lname == "args" || lname == "query_string":
		// nginx's changeable built-ins
		c.add(op{kind: opSetArgs, value: b.Value(d.Args[1])})
		return nil
	case lname == "limit_rate":
		b.Value(d.Args[1])
		c.add(op{kind: opNop})
		return nil
	case httpd.IsBuiltinVariable(lname):
		return conf.Errorf(d, "the duplicate \"%s\" variable", name)
	}
	slot := b.SetVariableSlot(name)
	c.add(op{kind: opSet, slot: slot, value: b.Value(d.Args[1])})
	return nil
}

// setReturn is "return code [text|URL]" and "return URL".
func setReturn(b *httpd.Builder, d *conf.Directive) error {
	o := op{kind: opReturn}
	code, err := strconv.Atoi(d.Args[0])
	if err != nil {
		if len(d.Args) == 2 || !(httpd.IsAbsoluteURL(d.Args[0]) || strings.HasPrefix(d.Args[0], "$scheme")) {
			return conf.Errorf(d, "invalid return code \"%s\"", d.Args[0])
		}
		o.code, o.text = 302, b.Value(d.Args[0])
	} else {
		if code > 999 {
			return conf.Errorf(d, "invalid return code \"%s\"", d.Args[0])
		}
		o.code = code
		if len(d.Args) == 2 {
			o.text = b.Value(d.Args[1])
		}
	}
	locConfOf(b.Loc()).add(o)
	return nil
}

// setRewrite is "rewrite regex replacement [flag]".
func setRewrite(b *httpd.Builder, d *conf.Directive) error {
	re, err := httpd.CompileRegex(d.Args[0])
	if err != nil {
		return conf.Errorf(d, "%s", err.Error())
	}
	o := op{kind: opRewrite, re: re, repl: b.Value(d.Args[1])}
	if len(d.Args) == 3 {
		switch d.Args[2] {
		case "last":
			o.flag = flagLast
		case "break":
			o.flag = flagBreak
		case "redirect":
			o.flag = flagRedirect
		case "permanent":
			o.flag = flagPermanent
		default:
			return conf.Errorf(d, "invalid parameter \"%s\"", d.Args[2])
		}
	}
	locConfOf(b.Loc()).add(o)
	return nil
}

// setBreak is "break".
func setBreak(b *httpd.Builder, d *conf.Directive) error {
	locConfOf(b.Loc()).add(op{kind: opBreak})
	return nil
}

// setIf is "if (condition) { ... }": a level of its own, entered when the
// condition holds.
func setIf(b *httpd.Builder, d *conf.Directive) error {
	cond, err := parseCondition(b, d)
	if err != nil {
		return err
	}
	parent := locConfOf(b.Loc())
	l, err := b.IfBlock(d)
	parent.add(op{kind: opIf, cond: cond, ifLoc: l})
	return err
}
func parseCondition(b *httpd.Builder, d *conf.Directive) (*condition, error) {
	args := append([]string(nil), d.Args...)
	if !strings.HasPrefix(args[0], "(") {
		return nil, conf.Errorf(d, "invalid condition \"%s\"", args[0])
	}
	args[0] = args[0][1:]
	last := len(args) - 1
	if strings.HasSuffix(args[last], ")") && !(d.Quoted != nil && d.Quoted[last]) {
		args[last] = args[last][:len(args[last])-1]
	}
	if args[0] == "" {
		args = args[1:]
	}
	if len(args) > 0 && args[len(args)-1] == "" && !(d.Quoted != nil && d.Quoted[len(d.Args)-1]) {
		args = args[:len(args)-1]
	}
	c := &condition{}
	switch len(args) {
	case 1:
		if !strings.HasPrefix(args[0], "$") {
			return nil, conf.Errorf(d, "invalid condition \"%s\"", args[0])
		}
		c.kind, c.left = condTrue, b.Value(args[0])
		return c, nil
	case 2:
		op := args[0]
		c.left = b.Value(args[1])
		if strings.HasPrefix(op, "!") {
			c.negate, op = true, op[1:]
		}
		switch op {
		case "-f":
			c.kind = condFile
		case "-d":
			c.kind = condDir
		case "-e":
			c.kind = condExists
		case "-x":
			c.kind = condExec
		default:
			return nil, conf.Errorf(d, "invalid condition \"%s\"", args[0])
		}
		return c, nil
	case 3:
		c.left = b.Value(args[0])
		switch args[1] {
		case "=":
			c.kind, c.right = condEq, b.Value(args[2])
		case "!=":
			c.kind, c.right, c.negate = condEq, b.Value(args[2]), true
		case "~", "~*", "!~", "!~*":
			pat := args[2]
			if strings.HasSuffix(args[1], "*") {
				pat = "(?i)" + pat
			}
			re, err := httpd.CompileRegex(pat)
			if err != nil {
				return nil, conf.Errorf(d, "%s", err.Error())
			}
			c.kind, c.re, c.negate = condRegex, re, strings.HasPrefix(args[1], "!")
		default:
			return nil, conf.Errorf(d, "unexpected \"%s\" in condition", args[1])
		}
		return c, nil
	}
	return nil, conf.Errorf(d, "invalid condition \"%s\"", strings.Join(d.Args, " "))
}
