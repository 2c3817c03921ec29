// Package authrequest is ngx_http_auth_request_module: access depends on
// the status of a subrequest.
package authrequest

import (
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the auth_request module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "auth_request",
		Commands: []httpd.Command{
			httpd.Directive(setAuthRequest, conf.Spec{Name: "auth_request", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setAuthRequestSet, conf.Spec{Name: "auth_request_set", Ctx: hSL, Args: conf.Take2}),
		},
		CreateLocConf: func() any { return &locConf{} },
		MergeLocConf:  mergeLocConf,
		Hooks:         func(h *httpd.Hooks) { h.Phase(httpd.AccessPhase, handler) },
	}
}

type setVar struct {
	name  string
	value *httpd.Value
}

type locConf struct {
	uri     string // "" when off
	uriSet  bool
	vars    []setVar
	varsSet bool
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if !c.uriSet {
		c.uri, c.uriSet = p.uri, p.uriSet
	}
	if !c.varsSet {
		c.vars, c.varsSet = p.vars, p.varsSet
	}
}

func setAuthRequest(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.uriSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.uriSet = true
	if d.Args[0] != "off" {
		c.uri = d.Args[0]
	}
	return nil
}

func setAuthRequestSet(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	name := d.Args[0]
	if !strings.HasPrefix(name, "$") {
		return conf.Errorf(d, "invalid variable name \"%s\"", name)
	}
	name = name[1:]
	b.DeclareVariable(name)
	if !c.varsSet {
		c.vars, c.varsSet = nil, true
	}
	c.vars = append(c.vars, setVar{name: name, value: b.Value(d.Args[1])})
	return nil
}

// handler is ngx_http_auth_request_handler: the subrequest's status
// decides; auth_request_set values are taken from the subrequest.
func handler(r *httpd.Request) httpd.Status {
	c := Module.Conf(r.Loc()).(*locConf)
	if c.uri == "" || !r.IsMain() {
		return httpd.Declined
	}
	var status int
	var challenge []string
	r.Subrequest(c.uri, func(s *httpd.Request) {
		status = s.Status()
		for _, v := range c.vars {
			r.SetVarByName(v.name, v.value.Eval(s), false)
		}
		if status == 401 {
			challenge = s.HeaderValues("WWW-Authenticate")
		}
	})
	switch {
	case status == 403:
		return httpd.Forbidden
	case status == 401:
		for _, v := range challenge {
			r.AddHeader("WWW-Authenticate", v)
		}
		return httpd.Unauthorized
	case status >= 200 && status < 300:
		return httpd.Granted
	}
	r.Logf(httpd.LogErr, "auth request unexpected status: %d", status)
	r.Finalize(500)
	return httpd.Done
}
