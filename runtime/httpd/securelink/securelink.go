// Package securelink is ngx_http_secure_link_module: $secure_link checks
// a link's MD5 signature (and expiry).
package securelink

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSL = conf.HTTP | conf.Server | conf.Location

// Module is the secure_link module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "secure_link",
		Commands: []httpd.Command{
			httpd.Directive(setSecureLink, conf.Spec{Name: "secure_link", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setSecureLinkMD5, conf.Spec{Name: "secure_link_md5", Ctx: hSL, Args: conf.Take1}),
			httpd.Directive(setSecureLinkSecret, conf.Spec{Name: "secure_link_secret", Ctx: conf.Location, Args: conf.Take1}),
		},
		Variables: []httpd.Variable{
			{Name: "secure_link", Get: secureLink},
			{Name: "secure_link_expires", Get: secureLinkExpires},
		},
		CreateLocConf: func() any { return &locConf{} },
		MergeLocConf:  mergeLocConf,
	}
}

type locConf struct {
	variable, md5 *httpd.Value
	secret        string
	secretSet     bool
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if c.secretSet {
		return
	}
	if c.variable == nil {
		c.variable = p.variable
	}
	if c.md5 == nil {
		c.md5 = p.md5
	}
	if c.variable == nil && c.md5 == nil {
		c.secret, c.secretSet = p.secret, p.secretSet
	}
}

func setSecureLink(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.variable != nil {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.variable = b.Value(d.Args[0])
	return nil
}

func setSecureLinkMD5(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.md5 != nil {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.md5 = b.Value(d.Args[0])
	return nil
}

func setSecureLinkSecret(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.secretSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.secret, c.secretSet = d.Args[0], true
	return nil
}

// reqCtx keeps the expiry text of the link checked.
type reqCtx struct{ expires string }

// secureLink is $secure_link: "1" for a good unexpired link, "0" for a
// good expired one, not found otherwise; with secure_link_secret, the
// link itself.
func secureLink(r *httpd.Request) (string, bool) {
	c := Module.Conf(r.Loc()).(*locConf)
	if c.secretSet {
		return oldVariable(r, c)
	}
	if c.variable == nil || c.md5 == nil {
		return "", false
	}
	val := c.variable.Eval(r)
	var expires int64
	if i := strings.IndexByte(val, ','); i >= 0 {
		exp := val[i+1:]
		val = val[:i]
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n <= 0 || exp[0] == '+' {
			return "", false
		}
		expires = n
		Module.SetReqCtx(r, &reqCtx{expires: exp})
	}
	if len(val) > 24 {
		return "", false
	}
	if i := strings.IndexByte(val, '='); i >= 0 {
		val = val[:i]
	}
	if len(val)%4 == 1 {
		return "", false
	}
	hash, err := base64.RawURLEncoding.DecodeString(val)
	if err != nil || len(hash) != 16 {
		return "", false
	}
	sum := md5.Sum([]byte(c.md5.Eval(r)))
	if subtle.ConstantTimeCompare(hash, sum[:]) != 1 {
		return "", false
	}
	if expires != 0 && expires < time.Now().Unix() {
		return "0", true
	}
	return "1", true
}

// oldVariable is secure_link_secret's: /prefix/MD5HEX/link, with
// MD5HEX = md5(link + secret), over the request line's URI.
func oldVariable(r *httpd.Request, c *locConf) (string, bool) {
	uri, _ := r.Var("request_uri")
	if len(uri) < 1 {
		return "", false
	}
	rest := uri[1:]
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "", false
	}
	rest = rest[i+1:]
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return "", false
	}
	hexsum, link := rest[:j], rest[j+1:]
	if len(hexsum) != 32 || link == "" {
		return "", false
	}
	want, err := hex.DecodeString(hexsum)
	if err != nil {
		return "", false
	}
	sum := md5.Sum([]byte(link + c.secret))
	if subtle.ConstantTimeCompare(want, sum[:]) != 1 {
		return "", false
	}
	return link, true
}

func secureLinkExpires(r *httpd.Request) (string, bool) {
	if c, _ := Module.ReqCtx(r).(*reqCtx); c != nil {
		return c.expires, true
	}
	return "", false
}
