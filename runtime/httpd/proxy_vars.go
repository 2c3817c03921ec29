package httpd

import (
	"strconv"
	"strings"
	"time"
)

// The proxy and upstream modules' variables (ngx_http_proxy_module's and
// ngx_http_upstream's), kept together so that they move with the proxy.

// upstreamStats are the measures of the last upstream exchange that the
// proxy records for $upstream_connect_time and its kin; measured is false
// until it does ("-" as nginx writes a value it does not have).
type upstreamStats struct {
	measured             bool
	connect, header      time.Duration
	received, sent, rlen int64
}

var proxyVariables = []Variable{
	{Name: "proxy_host", Get: func(r *Request) (string, bool) { return r.proxyHost, r.proxyHost != "" }},
	{Name: "proxy_port", Get: func(r *Request) (string, bool) { return r.proxyPort, r.proxyPort != "" }},
	{Name: "proxy_add_x_forwarded_for", Get: proxyAddXForwardedFor},
	{Name: "upstream_addr", Get: func(r *Request) (string, bool) { return r.upAddr, r.upAddr != "" }},
	{Name: "upstream_status", Get: func(r *Request) (string, bool) { return r.upStatusVar(), r.upStatus != 0 }},
	{Name: "upstream_response_time", Get: func(r *Request) (string, bool) {
		return msecString(r.upTime), r.upAddr != ""
	}},
	{Name: "upstream_connect_time", Get: upstreamTime(func(s *upstreamStats) time.Duration { return s.connect })},
	{Name: "upstream_header_time", Get: upstreamTime(func(s *upstreamStats) time.Duration { return s.header })},
	{Name: "upstream_bytes_received", Get: upstreamCount(func(s *upstreamStats) int64 { return s.received })},
	{Name: "upstream_bytes_sent", Get: upstreamCount(func(s *upstreamStats) int64 { return s.sent })},
	{Name: "upstream_response_length", Get: upstreamCount(func(s *upstreamStats) int64 { return s.rlen })},
	// no proxy_cache: nginx's cache variables are not found without one
	{Name: "upstream_cache_status", Get: notFound},
	{Name: "upstream_cache_last_modified", Get: notFound},
	{Name: "upstream_cache_etag", Get: notFound},
}

var proxyPrefixVariables = []prefixVar{
	{prefix: "upstream_http_", get: func(suffix string) varGetter {
		h := headerName(suffix)
		return func(r *Request) (string, bool) { return r.upstreamHeader(h) }
	}},
	{prefix: "upstream_cookie_", get: func(name string) varGetter {
		return func(r *Request) (string, bool) { return r.upstreamCookie(name) }
	}},
	// upstream trailers are not passed on
	{prefix: "upstream_trailer_", get: func(string) varGetter { return notFound }},
}

func init() {
	for _, v := range proxyVariables {
		RegisterVariable(v.Name, v.Get)
	}
	prefixVars = append(prefixVars, proxyPrefixVariables...)
}

// proxyAddXForwardedFor is the client's X-Forwarded-For with $remote_addr
// appended, or $remote_addr alone.
func proxyAddXForwardedFor(r *Request) (string, bool) {
	if xff, ok := r.joinedHeader("X-Forwarded-For", ", "); ok {
		return xff + ", " + r.remoteAddr(), true
	}
	return r.remoteAddr(), true
}

func upstreamTime(f func(*upstreamStats) time.Duration) varGetter {
	return func(r *Request) (string, bool) {
		if r.upAddr == "" {
			return "", false
		}
		if !r.upStats.measured {
			return "-", true
		}
		return msecString(f(&r.upStats)), true
	}
}

func upstreamCount(f func(*upstreamStats) int64) varGetter {
	return func(r *Request) (string, bool) {
		if r.upAddr == "" {
			return "", false
		}
		if !r.upStats.measured {
			return "-", true
		}
		return strconv.FormatInt(f(&r.upStats), 10), true
	}
}

// upstreamCookie is $upstream_cookie_NAME: the value of the cookie NAME
// in the upstream's Set-Cookie headers.
func (r *Request) upstreamCookie(name string) (string, bool) {
	for _, h := range r.upHeaders {
		if !strings.EqualFold(h.name, "Set-Cookie") {
			continue
		}
		v := h.value
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[:i]
		}
		k, val, ok := strings.Cut(strings.TrimSpace(v), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return val, true
		}
	}
	return "", false
}
