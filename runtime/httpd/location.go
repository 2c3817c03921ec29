package httpd

import "strings"

// findLocation implements ngx_http_core_find_location: exact and prefix
// locations first (longest wins, "=" stops, "^~" skips regexes), nested
// locations of the match, then regexes of this level in config order.
// It returns the location, and redirect=true when nginx would answer
// with the automatic 301 for "/dir" of a "location /dir/" with proxy_pass.
func findLocation(parent *LocConf, r *Request, uri string) (loc *LocConf, redirect bool, final bool) {
	var best *LocConf
	for _, l := range parent.static {
		if l.kind == locExact {
			if uri == l.name {
				return l, false, true
			}
			continue
		}
		if strings.HasPrefix(uri, l.name) && (best == nil || len(l.name) > len(best.name)) {
			best = l
		}
	}
	for _, l := range parent.static {
		// auto_redirect: "/dir" asked, "location /dir/" (or "= /dir/") proxies
		if l.autoRedirect && len(l.name) == len(uri)+1 &&
			l.name[len(uri)] == '/' && strings.HasPrefix(l.name, uri) {
			return l, true, true
		}
	}
	noregex := false
	if best != nil {
		noregex = best.kind == locNoRegex
		if len(best.static) > 0 || len(best.regex) > 0 {
			if l, red, fin := findLocation(best, r, uri); l != nil {
				if fin || red {
					return l, red, true
				}
				best = l
			}
		}
	}
	if !noregex {
		for _, l := range parent.regex {
			if m := l.re.FindStringSubmatchIndex(uri); m != nil {
				r.setCaptures(uri, m)
				return l, false, true
			}
		}
	}
	return best, false, false
}

// setCaptures stores $0..$n from a regexp submatch index slice.
func (r *Request) setCaptures(s string, m []int) {
	n := len(m) / 2
	if cap(r.captures) >= n {
		r.captures = r.captures[:n]
	} else {
		r.captures = make([]string, n)
	}
	for i := 0; i < n; i++ {
		if m[2*i] >= 0 {
			r.captures[i] = s[m[2*i]:m[2*i+1]]
		} else {
			r.captures[i] = ""
		}
	}
}
