// Package modules registers goresty's http modules in nginx's order.
// Importing it (luabindings/all does) makes a runtime with every module;
// adding a module is its folder under runtime/httpd plus one line here.
package modules

import (
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/gzip"
	"github.com/goresty/goresty/runtime/httpd/headers"
	logmodule "github.com/goresty/goresty/runtime/httpd/log"
	mapmodule "github.com/goresty/goresty/runtime/httpd/map"
	"github.com/goresty/goresty/runtime/httpd/metrics"
	"github.com/goresty/goresty/runtime/httpd/ssl"
)

// List is the modules in the order they register. Phase handlers run in
// this order; the header and body filters of a later module run before
// those of an earlier one (each goes to the top of the chain, as in nginx).
var List = []*httpd.Module{
	logmodule.Module,
	mapmodule.Module,
	httpd.RewriteModule,
	ssl.Module,
	gzip.Module,
	headers.Module,
	httpd.LuaModule,
	metrics.Module,
}

func init() {
	for _, m := range List {
		httpd.Register(m)
	}
}
