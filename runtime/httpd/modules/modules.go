// Package modules registers goresty's http modules in nginx's order.
// Importing it (luabindings/all does) makes a runtime with every module;
// adding a module is its folder under runtime/httpd plus one line here.
package modules

import (
	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/authbasic"
	"github.com/goresty/goresty/runtime/httpd/authrequest"
	"github.com/goresty/goresty/runtime/httpd/autoindex"
	"github.com/goresty/goresty/runtime/httpd/echo"
	"github.com/goresty/goresty/runtime/httpd/geo"
	"github.com/goresty/goresty/runtime/httpd/gzip"
	"github.com/goresty/goresty/runtime/httpd/headers"
	"github.com/goresty/goresty/runtime/httpd/http2"
	"github.com/goresty/goresty/runtime/httpd/index"
	"github.com/goresty/goresty/runtime/httpd/limitconn"
	"github.com/goresty/goresty/runtime/httpd/limitreq"
	logmodule "github.com/goresty/goresty/runtime/httpd/log"
	mapmodule "github.com/goresty/goresty/runtime/httpd/map"
	"github.com/goresty/goresty/runtime/httpd/metrics"
	"github.com/goresty/goresty/runtime/httpd/proxy"
	"github.com/goresty/goresty/runtime/httpd/proxycache"
	"github.com/goresty/goresty/runtime/httpd/realip"
	"github.com/goresty/goresty/runtime/httpd/referer"
	"github.com/goresty/goresty/runtime/httpd/rewrite"
	"github.com/goresty/goresty/runtime/httpd/securelink"
	"github.com/goresty/goresty/runtime/httpd/splitclients"
	"github.com/goresty/goresty/runtime/httpd/ssl"
	"github.com/goresty/goresty/runtime/httpd/static"
	"github.com/goresty/goresty/runtime/httpd/stubstatus"
	"github.com/goresty/goresty/runtime/httpd/subfilter"
	"github.com/goresty/goresty/runtime/httpd/tryfiles"
)

// List is the modules in the order they register. Phase handlers run in
// this order; the header and body filters of a later module run before
// those of an earlier one (each goes to the top of the chain, as in nginx).
var List = []*httpd.Module{
	logmodule.Module,
	realip.Module,
	limitreq.Module,
	limitconn.Module,
	authbasic.Module,
	authrequest.Module,
	mapmodule.Module,
	geo.Module,
	splitclients.Module,
	referer.Module,
	securelink.Module,
	rewrite.Module,
	stubstatus.Module,
	ssl.Module,
	proxycache.Module,
	http2.Module,
	proxy.Module,
	// the content phase tries index, autoindex, gzip_static, then the
	// file itself (try_files runs before, at precontent)
	tryfiles.Module,
	index.Module,
	autoindex.Module,
	gzip.Module,
	static.Module,
	subfilter.Module,
	echo.Module,
	headers.Module,
	httpd.LuaModule,
	metrics.Module,
}

func init() {
	for _, m := range List {
		httpd.Register(m)
	}
}
