package proxy

import (
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
)

// The proxy and upstream modules' variables beyond the request state
// ones of proxy.go's table.
func init() {
	httpd.RegisterVariablePrefix("upstream_cookie_", varUpstreamCookie)
	// upstream trailers are not passed on
	httpd.RegisterVariablePrefix("upstream_trailer_", func(string) httpd.VarGetter { return varNotFound })
}

func varNotFound(*httpd.Request) (string, bool) { return "", false }

// varUpstreamCookie is $upstream_cookie_NAME: the cookie NAME in the
// upstream's Set-Cookie headers.
func varUpstreamCookie(name string) httpd.VarGetter {
	return func(r *httpd.Request) (string, bool) {
		st := stateOf(r)
		if st == nil {
			return "", false
		}
		for _, h := range st.upHeaders {
			if !modutil.EqualFold(h.name, "Set-Cookie") {
				continue
			}
			v, _, _ := strings.Cut(h.value, ";")
			k, val, ok := strings.Cut(strings.TrimSpace(v), "=")
			if ok && modutil.EqualFold(strings.TrimSpace(k), name) {
				return val, true
			}
		}
		return "", false
	}
}

// Exchange is what the request's proxying did: the proxy_pass host (an
// upstream block's name or host:port), the peer address tried, the last
// upstream status and the time spent on the upstream ("" addr: none).
func Exchange(r *httpd.Request) (host, addr string, status int, took time.Duration) {
	st := stateOf(r)
	if st == nil {
		return "", "", 0, 0
	}
	return st.proxyHost, st.upAddr, st.upStatus, st.total
}
