package luabindings

// Request is the HTTP request a Ctx serves. The runtime's request type
// implements it; the request-level bindings (luabindings/ngxhttp) use
// the concrete type.
type Request interface {
	// Var reads an nginx variable: value, and whether it is found.
	Var(name string) (string, bool)
}
