package httpd

import "github.com/valyala/fasthttp"

// ServeCtx runs one request through rt as its listener on addr would
// (for benchmarks that measure the request path without a network).
func ServeCtx(rt *Runtime, addr string, fc *fasthttp.RequestCtx) { rt.serve(fc, rt.groups[addr]) }
