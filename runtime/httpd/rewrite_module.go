package httpd

import (
	"strconv"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
)

const scriptCtx = conf.Server | conf.Location | conf.ServerIf | conf.LocationIf

// RewriteModule is ngx_http_rewrite_module: its scripts run in the
// server rewrite and rewrite phases.
var RewriteModule = &Module{Name: "rewrite", Hooks: rewriteHooks}

func rewriteHooks(h *Hooks) {
	h.Phase(ServerRewritePhase, serverRewriteHandler)
	h.Phase(RewritePhase, rewriteHandler)
}

func serverRewriteHandler(r *Request) Status {
	switch r.runScript(r.srv.loc.script) {
	case scriptFinish:
		return Done
	case scriptError:
		r.finalize(500)
		return Done
	}
	return Declined
}

func rewriteHandler(r *Request) Status {
	r.uriChanged = false
	switch r.runScript(r.loc.script) {
	case scriptFinish:
		return Done
	case scriptError:
		r.finalize(500)
		return Done
	case scriptLast:
		return Restart
	}
	if r.uriChanged {
		return Restart
	}
	return Declined
}

func init() {
	directive(func(b *builder, d *conf.Directive) error {
		name := d.Args[0]
		if !strings.HasPrefix(name, "$") {
			return conf.Errorf(d, "invalid variable name \"%s\"", name)
		}
		name = name[1:]
		switch lname := strings.ToLower(name); {
		case lname == "args" || lname == "query_string":
			// nginx's changeable built-ins
			b.loc.script = append(b.loc.script, op{kind: opSetArgs, value: b.value(d.Args[1])})
			return nil
		case lname == "limit_rate":
			b.value(d.Args[1])
			b.loc.script = append(b.loc.script, op{kind: opNop})
			return nil
		case builtinVar(lname) != nil:
			return conf.Errorf(d, "the duplicate \"%s\" variable", name)
		}
		slot := b.vars.declare(name)
		b.loc.script = append(b.loc.script, op{kind: opSet, slot: slot, value: b.value(d.Args[1])})
		return nil
	}, conf.Spec{Name: "set", Ctx: scriptCtx, Args: conf.Take2})
	directive(func(b *builder, d *conf.Directive) error {
		o := op{kind: opReturn}
		code, err := strconv.Atoi(d.Args[0])
		if err != nil {
			if len(d.Args) == 2 || !(isAbsoluteURL(d.Args[0]) || strings.HasPrefix(d.Args[0], "$scheme")) {
				return conf.Errorf(d, "invalid return code \"%s\"", d.Args[0])
			}
			o.code, o.text = 302, b.value(d.Args[0])
		} else {
			if code > 999 {
				return conf.Errorf(d, "invalid return code \"%s\"", d.Args[0])
			}
			o.code = code
			if len(d.Args) == 2 {
				o.text = b.value(d.Args[1])
			}
		}
		b.loc.script = append(b.loc.script, o)
		return nil
	}, conf.Spec{Name: "return", Ctx: scriptCtx, Args: conf.Take12})
	directive(func(b *builder, d *conf.Directive) error {
		re, err := compileRegex(d.Args[0])
		if err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
		o := op{kind: opRewrite, re: re, repl: b.value(d.Args[1])}
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
		b.loc.script = append(b.loc.script, o)
		return nil
	}, conf.Spec{Name: "rewrite", Ctx: scriptCtx, Args: conf.Take23})
	directive(func(b *builder, d *conf.Directive) error {
		b.loc.script = append(b.loc.script, op{kind: opBreak})
		return nil
	}, conf.Spec{Name: "break", Ctx: scriptCtx, Args: conf.NoArgs})
}
