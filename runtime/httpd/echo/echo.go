// Package echo is openresty's echo-nginx-module: echo, echo_location,
// echo_subrequest, echo_sleep, echo_exec, echo_before_body/after_body,
// echo_foreach_split and their variables ($echo_timer_elapsed, ...).
//
// A location with handler commands (echo, echo_location, ...) gets the
// module's content handler, which runs them in order; subrequests run to
// completion one after the other and their output joins the response in
// order, as nginx's postpone filter arranges for concurrent ones.
package echo

import (
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const lLI = conf.Location | conf.LocationIf

// Module is the echo module (its table is filled in by init: the handlers
// refer to Module for their settings).
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "echo",
		Commands: []httpd.Command{
			httpd.Directive(setEcho, conf.Spec{Name: "echo", Ctx: lLI, Args: conf.AnyArgs}),
			httpd.Directive(setEchoRequestBody, conf.Spec{Name: "echo_request_body", Ctx: lLI, Args: conf.NoArgs}),
			httpd.Directive(setEchoSleep, conf.Spec{Name: "echo_sleep", Ctx: lLI, Args: conf.Take1}),
			httpd.Directive(setEchoFlush, conf.Spec{Name: "echo_flush", Ctx: lLI, Args: conf.NoArgs}),
			httpd.Directive(setEchoBlockingSleep, conf.Spec{Name: "echo_blocking_sleep", Ctx: lLI, Args: conf.Take1}),
			httpd.Directive(setEchoResetTimer, conf.Spec{Name: "echo_reset_timer", Ctx: lLI, Args: conf.NoArgs}),
			httpd.Directive(setEchoBeforeBody, conf.Spec{Name: "echo_before_body", Ctx: lLI, Args: conf.AnyArgs}),
			httpd.Directive(setEchoAfterBody, conf.Spec{Name: "echo_after_body", Ctx: lLI, Args: conf.AnyArgs}),
			httpd.Directive(setEchoLocationAsync, conf.Spec{Name: "echo_location_async", Ctx: lLI, Args: conf.Take12}),
			httpd.Directive(setEchoLocation, conf.Spec{Name: "echo_location", Ctx: lLI, Args: conf.Take12}),
			httpd.Directive(setEchoSubrequestAsync, conf.Spec{Name: "echo_subrequest_async", Ctx: lLI, Args: conf.TwoMore}),
			httpd.Directive(setEchoSubrequest, conf.Spec{Name: "echo_subrequest", Ctx: lLI, Args: conf.TwoMore}),
			httpd.Directive(setEchoDuplicate, conf.Spec{Name: "echo_duplicate", Ctx: lLI, Args: conf.TwoMore}),
			httpd.Directive(setEchoReadRequestBody, conf.Spec{Name: "echo_read_request_body", Ctx: lLI, Args: conf.NoArgs}),
			httpd.Directive(setEchoForeachSplit, conf.Spec{Name: "echo_foreach_split", Ctx: lLI, Args: conf.TwoMore}),
			httpd.Directive(setEchoEnd, conf.Spec{Name: "echo_end", Ctx: lLI, Args: conf.NoArgs}),
			httpd.Directive(setEchoAbortParent, conf.Spec{Name: "echo_abort_parent", Ctx: lLI, Args: conf.NoArgs}),
			httpd.Directive(setEchoExec, conf.Spec{Name: "echo_exec", Ctx: lLI, Args: conf.Take12}),
			httpd.Directive(setEchoStatus, conf.Spec{Name: "echo_status", Ctx: lLI, Args: conf.Take1}),
		},
		Variables: []httpd.Variable{
			{Name: "echo_timer_elapsed", Get: timerElapsedVar},
			{Name: "echo_request_method", Get: requestMethodVar},
			{Name: "echo_cacheable_request_uri", Get: requestURIVar},
			{Name: "echo_request_uri", Get: requestURIVar},
			{Name: "echo_client_request_method", Get: clientRequestMethodVar},
			{Name: "echo_request_body", Get: requestBodyVar},
			{Name: "echo_client_request_headers", Get: clientRequestHeadersVar},
			{Name: "echo_it", Get: itVar},
			{Name: "echo_incr", Get: incrVar},
			{Name: "echo_response_status", Get: responseStatusVar},
		},
		CreateLocConf: func() any { return &locConf{status: -1} },
		MergeLocConf:  mergeLocConf,
		Hooks:         hooks,
	}
}

func hooks(h *httpd.Hooks) {
	h.HeaderFilter(headerFilter)
	h.BodyFilter(bodyFilter)
}

// opcode is what a command does.
type opcode uint8

const (
	opEcho opcode = iota
	opRequestBody
	opSleep
	opFlush
	opBlockingSleep
	opResetTimer
	opBeforeBody
	opAfterBody
	opLocationAsync
	opLocation
	opSubrequestAsync
	opSubrequest
	opDuplicate
	opReadRequestBody
	opForeachSplit
	opEnd
	opAbortParent
	opExec
	opSync // sends the header and an empty buffer (the filters see output start)
)

// cmd is one compiled command: its opcode and arguments.
type cmd struct {
	op   opcode
	args []*httpd.Value
}

// locConf is the module's settings of a level. A level without handler
// (or filter) commands of its own inherits its parent's.
type locConf struct {
	handler    []cmd // echo, echo_location, ...: the content handler's
	beforeBody []cmd
	afterBody  []cmd
	status     int // echo_status; -1 unset
	// seenOutput: a command producing output came first; the first
	// subrequest command of a level gets an opSync before it otherwise
	seenOutput bool
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if c.handler == nil {
		c.handler, c.seenOutput = p.handler, p.seenOutput
	}
	if c.beforeBody == nil {
		c.beforeBody = p.beforeBody
	}
	if c.afterBody == nil {
		c.afterBody = p.afterBody
	}
	httpd.MergeValue(&c.status, p.status, 200)
}

// compile makes a command of a directive's arguments.
func compile(b *httpd.Builder, d *conf.Directive, op opcode) cmd {
	c := cmd{op: op, args: make([]*httpd.Value, len(d.Args))}
	for i, a := range d.Args {
		c.args[i] = b.Value(a)
	}
	return c
}

// addHandlerCmd appends a content handler command; the level's first one
// makes the echo handler its content handler.
func addHandlerCmd(b *httpd.Builder, d *conf.Directive, op opcode) error {
	lc := Module.Conf(b.Loc()).(*locConf)
	if lc.handler == nil {
		lc.handler = make([]cmd, 0, 4)
		b.Loc().SetHandler(contentHandler{})
	}
	switch op {
	case opEcho, opRequestBody, opFlush, opDuplicate:
		lc.seenOutput = true
	case opLocation, opLocationAsync, opSubrequest, opSubrequestAsync:
		if !lc.seenOutput {
			lc.seenOutput = true
			lc.handler = append(lc.handler, cmd{op: opSync})
		}
	}
	lc.handler = append(lc.handler, compile(b, d, op))
	return nil
}

func setEcho(b *httpd.Builder, d *conf.Directive) error { return addHandlerCmd(b, d, opEcho) }
func setEchoRequestBody(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opRequestBody)
}
func setEchoSleep(b *httpd.Builder, d *conf.Directive) error { return addHandlerCmd(b, d, opSleep) }
func setEchoFlush(b *httpd.Builder, d *conf.Directive) error { return addHandlerCmd(b, d, opFlush) }
func setEchoBlockingSleep(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opBlockingSleep)
}
func setEchoResetTimer(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opResetTimer)
}
func setEchoLocationAsync(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opLocationAsync)
}
func setEchoLocation(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opLocation)
}
func setEchoSubrequestAsync(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opSubrequestAsync)
}
func setEchoSubrequest(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opSubrequest)
}
func setEchoDuplicate(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opDuplicate)
}
func setEchoReadRequestBody(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opReadRequestBody)
}
func setEchoForeachSplit(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opForeachSplit)
}
func setEchoEnd(b *httpd.Builder, d *conf.Directive) error { return addHandlerCmd(b, d, opEnd) }

// setEchoAbortParent: echo_abort_parent is a no-op in the module (its
// implementation is compiled out); it still makes the echo handler the
// location's content handler.
func setEchoAbortParent(b *httpd.Builder, d *conf.Directive) error {
	return addHandlerCmd(b, d, opAbortParent)
}
func setEchoExec(b *httpd.Builder, d *conf.Directive) error { return addHandlerCmd(b, d, opExec) }

// setEchoBeforeBody and setEchoAfterBody add filter commands: they wrap
// whatever the location's content handler produces.
func setEchoBeforeBody(b *httpd.Builder, d *conf.Directive) error {
	lc := Module.Conf(b.Loc()).(*locConf)
	lc.beforeBody = append(lc.beforeBody, compile(b, d, opBeforeBody))
	return nil
}

func setEchoAfterBody(b *httpd.Builder, d *conf.Directive) error {
	lc := Module.Conf(b.Loc()).(*locConf)
	lc.afterBody = append(lc.afterBody, compile(b, d, opAfterBody))
	return nil
}

// setEchoStatus is ngx_conf_set_num_slot.
func setEchoStatus(b *httpd.Builder, d *conf.Directive) error {
	lc := Module.Conf(b.Loc()).(*locConf)
	if lc.status >= 0 {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	n, ok := atoi(d.Args[0])
	if !ok {
		return conf.Errorf(d, "\"%s\" directive invalid number", d.Name)
	}
	lc.status = n
	return nil
}
