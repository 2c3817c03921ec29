package httpd

import "github.com/valyala/fasthttp"

// ServeCtx runs one request through rt as its listener on addr would
// (for benchmarks that measure the request path without a network).
func ServeCtx(rt *Runtime, addr string, fc *fasthttp.RequestCtx) { rt.serve(fc, rt.groups[addr], nil) }

// ParkedConns is the number of idle keepalive connections parked without
// a goroutine on p's listeners.
func ParkedConns(p *Process) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pt := range p.ports {
		if pt.srv != nil {
			n += pt.srv.GetParkedConnectionsCount()
		}
	}
	return n
}
