package httpd

import (
	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/resolver"
)

// The resolver and resolver_timeout directives. Like the lua_socket_*
// settings, the last one in the configuration applies to every location.
func init() {
	directive(func(b *builder, d *conf.Directive) error {
		r, err := resolver.Parse(d.Args)
		if err != nil {
			return conf.Errorf(d, "%s", err.Error())
		}
		r.SetTimeout(b.rt.resolverTimeout)
		b.rt.resolver = r
		return nil
	}, conf.Spec{Name: "resolver", Ctx: hSL, Args: conf.OneMore})
	directive(func(b *builder, d *conf.Directive) error {
		t, err := conf.ParseTime(d.Args[0])
		if err != nil {
			return conf.Errorf(d, "invalid value \"%s\"", d.Args[0])
		}
		b.rt.resolverTimeout = t
		if b.rt.resolver != nil {
			b.rt.resolver.SetTimeout(t)
		}
		return nil
	}, conf.Spec{Name: "resolver_timeout", Ctx: hSL, Args: conf.Take1})
}

// Resolver is the configuration's "resolver" (nil when none is set).
func (rt *Runtime) Resolver() *resolver.Resolver { return rt.resolver }
