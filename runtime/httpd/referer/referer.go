// Package referer is ngx_http_referer_module: valid_referers and
// $invalid_referer ("" when the Referer is valid, "1" when not).
package referer

import (
	"regexp"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const sL = conf.Server | conf.Location

// Module is the referer module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "referer",
		Commands: []httpd.Command{
			httpd.Directive(setValidReferers, conf.Spec{Name: "valid_referers", Ctx: sL, Args: conf.OneMore}),
			// sizes of nginx's hash: Go's maps need none
			httpd.Directive(setHashSize, conf.Spec{Name: "referer_hash_max_size", Ctx: sL, Args: conf.Take1}),
			httpd.Directive(setHashSize, conf.Spec{Name: "referer_hash_bucket_size", Ctx: sL, Args: conf.Take1}),
		},
		Variables:      []httpd.Variable{{Name: "invalid_referer", Get: invalidReferer}},
		CreateLocConf:  func() any { return &locConf{} },
		MergeLocConf:   mergeLocConf,
		CreateMainConf: func() any { return &mainConf{} },
		Configured:     configured,
	}
}

type mainConf struct{ all []*matcher }

type locConf struct {
	m                  *matcher // nil: no valid_referers at this level
	maxSize, bucketSet bool
}

// entry is what a hostname leads to: "" or a URI prefix the Referer's
// path must start with.
type entry struct{ uri string }

// node is a level of a wildcard tree, one DNS label per edge.
type node struct {
	next map[string]*node
	val  *entry
	// wildOnly: "*.example.com" (a further label is needed), not
	// ".example.com" (which matches example.com itself too)
	wildOnly bool
}

func (n *node) child(label string) *node {
	if n.next == nil {
		n.next = map[string]*node{}
	}
	c := n.next[label]
	if c == nil {
		c = &node{}
		n.next[label] = c
	}
	return c
}

// matcher is the compiled valid_referers of one level.
type matcher struct {
	exact       map[string]*entry
	head, tail  *node
	regex       []*regexp.Regexp // "~re", against the Referer past its scheme
	snRegex     []*regexp.Regexp // server_names' regexes, against the host
	regexSet    bool
	none        bool
	blocked     bool
	serverNames bool
	nkeys       int // hostnames and wildcards: "none"/"blocked" need one

	srv     *httpd.Server
	d       *conf.Directive
	parent  *matcher
	done    bool
	headKey map[string]bool // conflicts of wildcards
	tailKey map[string]bool
	always  bool // nothing to check: every Referer is valid
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if c.m == nil {
		c.m = p.m
		return
	}
	if c.m.parent == nil {
		c.m.parent = p.m
	}
}

func setHashSize(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	set := &c.maxSize
	if d.Name == "referer_hash_bucket_size" {
		set = &c.bucketSet
	}
	if *set {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	// ngx_conf_set_num_slot: digits only
	v := d.Args[0]
	ok := v != "" && len(v) < 19
	for i := 0; i < len(v); i++ {
		ok = ok && '0' <= v[i] && v[i] <= '9'
	}
	if !ok {
		return conf.Errorf(d, "\"%s\" directive invalid number", d.Name)
	}
	*set = true
	return nil
}

func setValidReferers(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.m == nil {
		c.m = &matcher{exact: map[string]*entry{}, srv: b.Server(), d: d,
			headKey: map[string]bool{}, tailKey: map[string]bool{}}
		mc := Module.MainConf(b.Runtime()).(*mainConf)
		mc.all = append(mc.all, c.m)
	}
	m := c.m
	for _, v := range d.Args {
		switch {
		case v == "":
			return conf.Errorf(d, "invalid referer \"%s\"", v)
		case v == "none":
			m.none = true
		case v == "blocked":
			m.blocked = true
		case v == "server_names":
			m.serverNames = true
		case v[0] == '~':
			if len(v) == 1 {
				return conf.Errorf(d, "empty regex in \"%s\"", v)
			}
			re, err := httpd.CompileRegex("(?i)" + v[1:])
			if err != nil {
				return conf.Errorf(d, "%s", err)
			}
			m.regex = append(m.regex, re)
			m.regexSet = true
		default:
			host, uri := v, ""
			if i := strings.IndexByte(v, '/'); i >= 0 {
				host, uri = v[:i], v[i:]
			}
			if msg := m.add(host, uri); msg != "" {
				return conf.Errorf(d, msg, host)
			}
		}
	}
	return nil
}

// add is ngx_hash_add_key with wildcards: "*.example.com",
// ".example.com", "www.example.*" or an exact name; it returns an error
// format for the name, or "".
func (m *matcher) add(key, uri string) string {
	stars := 0
	for i := 0; i < len(key); i++ {
		switch {
		case key[i] == '*':
			stars++
			if stars > 1 {
				return "invalid hostname or wildcard \"%s\""
			}
		case key[i] == '.' && i+1 < len(key) && key[i+1] == '.', key[i] == 0:
			return "invalid hostname or wildcard \"%s\""
		}
	}
	key = strings.ToLower(key)
	e := &entry{uri: uri}
	switch {
	case len(key) > 1 && key[0] == '.':
		name := key[1:]
		if m.exact[name] != nil || m.headKey[name] {
			return "conflicting parameter \"%s\""
		}
		m.headKey[name] = true
		m.exact[name] = nil // reserved: a later exact name conflicts
		m.addHead(name, e, false)
	case len(key) > 2 && key[:2] == "*.":
		name := key[2:]
		if m.headKey[name] {
			return "conflicting parameter \"%s\""
		}
		m.headKey[name] = true
		m.addHead(name, e, true)
	case len(key) > 2 && key[len(key)-2:] == ".*":
		name := key[:len(key)-2]
		if m.tailKey[name] {
			return "conflicting parameter \"%s\""
		}
		m.tailKey[name] = true
		if m.tail == nil {
			m.tail = &node{}
		}
		n := m.tail
		for _, l := range strings.Split(name, ".") {
			n = n.child(l)
		}
		n.val = e
	case stars > 0:
		return "invalid hostname or wildcard \"%s\""
	default:
		if _, dup := m.exact[key]; dup {
			return "conflicting parameter \"%s\""
		}
		m.exact[key] = e
	}
	m.nkeys++
	return ""
}

func (m *matcher) addHead(name string, e *entry, wildOnly bool) {
	if m.head == nil {
		m.head = &node{}
	}
	n := m.head
	labels := strings.Split(name, ".")
	for i := len(labels) - 1; i >= 0; i-- {
		n = n.child(labels[i])
	}
	n.val, n.wildOnly = e, wildOnly
}

// configured adds the server names and inherits the regexes, once every
// server is read (nginx does it when merging).
func configured(rt *httpd.Runtime) error {
	for _, m := range Module.MainConf(rt).(*mainConf).all {
		if err := m.resolve(); err != nil {
			return err
		}
	}
	return nil
}

func (m *matcher) resolve() error {
	if m.done {
		return nil
	}
	m.done = true
	if m.parent != nil {
		if err := m.parent.resolve(); err != nil {
			return err
		}
	}
	if m.serverNames && m.srv != nil {
		exact, wildStart, wildEnd, regexes := m.srv.Names()
		if len(exact)+len(wildStart)+len(wildEnd)+len(regexes) == 0 {
			exact = []string{""} // nginx's default server_name ""
		}
		for _, n := range exact {
			if msg := m.add(n, ""); msg != "" {
				return conf.Errorf(m.d, msg, n)
			}
		}
		for _, n := range wildStart { // ".example.com": "*.example.com"
			if msg := m.add("*"+n, ""); msg != "" {
				return conf.Errorf(m.d, msg, "*"+n)
			}
		}
		for _, n := range wildEnd { // "www.example.": "www.example.*"
			if msg := m.add(n+"*", ""); msg != "" {
				return conf.Errorf(m.d, msg, n+"*")
			}
		}
		for _, re := range regexes {
			cre, err := httpd.CompileRegex("(?i)" + re.String())
			if err != nil {
				return conf.Errorf(m.d, "%s", err)
			}
			m.snRegex = append(m.snRegex, cre)
		}
	}
	if (m.none || m.blocked) && m.nkeys == 0 {
		return conf.Errorf(nil, "the \"none\" or \"blocked\" referers are specified "+
			"in the \"valid_referers\" directive without any valid referer")
	}
	// nginx merges the regex lists even when the level has its own
	// valid_referers
	if p := m.parent; p != nil {
		if !m.regexSet {
			m.regex = p.regex
		}
		if m.snRegex == nil {
			m.snRegex = p.snRegex
		}
	}
	for k, e := range m.exact {
		if e == nil {
			delete(m.exact, k)
		}
	}
	m.always = len(m.exact) == 0 && m.head == nil && m.tail == nil &&
		len(m.regex) == 0 && len(m.snRegex) == 0
	m.headKey, m.tailKey = nil, nil
	return nil
}

// invalidReferer is $invalid_referer.
func invalidReferer(r *httpd.Request) (string, bool) {
	m := Module.Conf(r.Loc()).(*locConf).m
	if m == nil || m.always || m.valid(r.Header().Peek("Referer")) {
		return "", true
	}
	return "1", true
}

func (m *matcher) valid(ref []byte) bool {
	if ref == nil {
		return m.none
	}
	switch {
	case len(ref) >= len("http://i.ru") && hasPrefixFold(ref, "http://"):
		ref = ref[7:]
	case len(ref) >= len("http://i.ru") && hasPrefixFold(ref, "https://"):
		ref = ref[8:]
	default:
		return m.blocked
	}
	var buf [256]byte
	n := 0
	for ; n < len(ref) && ref[n] != '/' && ref[n] != ':'; n++ {
		if n == len(buf) {
			return false
		}
		c := ref[n]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
	}
	host := buf[:n]
	if e := m.find(host); e != nil {
		if e.uri == "" {
			return true
		}
		p := ref[n:]
		for len(p) > 0 && p[0] != '/' {
			p = p[1:]
		}
		return len(p) >= len(e.uri) && string(p[:len(e.uri)]) == e.uri
	}
	// the regexes are caseless: the host as sent matches as its lowered
	// copy would, and buf stays on the stack
	for _, re := range m.snRegex {
		if re.Match(ref[:n]) {
			return true
		}
	}
	for _, re := range m.regex {
		if re.Match(ref) {
			return true
		}
	}
	return false
}

// find is ngx_hash_find_combined: the exact name, then the longest
// leading wildcard, then the longest trailing one.
func (m *matcher) find(host []byte) *entry {
	if e := m.exact[string(host)]; e != nil {
		return e
	}
	if len(host) == 0 {
		return nil
	}
	if m.head != nil {
		var best *entry
		n, end := m.head, len(host)
		for end >= 0 {
			i := end - 1
			for i >= 0 && host[i] != '.' {
				i--
			}
			n = n.next[string(host[i+1:end])]
			if n == nil {
				break
			}
			if n.val != nil && (i >= 0 || !n.wildOnly) {
				best = n.val
			}
			end = i
		}
		if best != nil {
			return best
		}
	}
	if m.tail != nil {
		var best *entry
		n, start := m.tail, 0
		for {
			i := start
			for i < len(host) && host[i] != '.' {
				i++
			}
			if i == len(host) {
				break
			}
			n = n.next[string(host[start:i])]
			if n == nil {
				break
			}
			if n.val != nil {
				best = n.val
			}
			start = i + 1
		}
		return best
	}
	return nil
}

func hasPrefixFold(b []byte, p string) bool {
	for i := 0; i < len(p); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}
