package luabindings

// Request is what the ngx API sees of the HTTP request being served. The
// runtime implements it; bindings that need request state take it from
// Ctx.Req.
type Request interface {
	// Var reads an nginx variable by name ($uri, $arg_x, user "set" vars).
	// ok is false for an unknown variable; found=false for a defined but
	// unset ("not found") value.
	Var(name string) (value string, found bool, ok bool)
}
