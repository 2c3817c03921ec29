// Package authbasic is ngx_http_auth_basic_module: HTTP Basic
// authentication against a password file in htpasswd's format.
package authbasic

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
	"github.com/goresty/goresty/runtime/httpd"
)

const hSLL = conf.HTTP | conf.Server | conf.Location | conf.LimitExcept

// Module is the auth_basic module.
var Module = &httpd.Module{}

func init() {
	*Module = httpd.Module{
		Name: "auth_basic",
		Commands: []httpd.Command{
			httpd.Directive(setAuthBasic, conf.Spec{Name: "auth_basic", Ctx: hSLL, Args: conf.Take1}),
			httpd.Directive(setAuthBasicUserFile, conf.Spec{Name: "auth_basic_user_file", Ctx: hSLL, Args: conf.Take1}),
		},
		CreateLocConf: func() any { return &locConf{} },
		MergeLocConf:  mergeLocConf,
		Hooks:         func(h *httpd.Hooks) { h.Phase(httpd.AccessPhase, handler) },
	}
}

type locConf struct {
	realm, userFile       *httpd.Value
	realmSet, userFileSet bool
	rt                    *httpd.Runtime
}

func mergeLocConf(parent, child any) {
	p, c := parent.(*locConf), child.(*locConf)
	if !c.realmSet {
		c.realm, c.realmSet = p.realm, p.realmSet
	}
	if !c.userFileSet {
		c.userFile, c.userFileSet, c.rt = p.userFile, p.userFileSet, p.rt
	}
}

func setAuthBasic(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.realmSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.realm, c.realmSet = b.Value(d.Args[0]), true
	return nil
}

func setAuthBasicUserFile(b *httpd.Builder, d *conf.Directive) error {
	c := Module.Conf(b.Loc()).(*locConf)
	if c.userFileSet {
		return conf.Errorf(d, "\"%s\" directive is duplicate", d.Name)
	}
	c.userFile, c.userFileSet, c.rt = b.Value(d.Args[0]), true, b.Runtime()
	return nil
}

// handler is ngx_http_auth_basic_handler.
func handler(r *httpd.Request) httpd.Status {
	c := Module.Conf(r.Loc()).(*locConf)
	if c.realm == nil || c.userFile == nil || !r.IsMain() {
		return httpd.Declined
	}
	realm := c.realm.Eval(r)
	if realm == "off" {
		return httpd.Declined
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		r.Logf(httpd.LogInfo, "no user/password was provided for basic authentication")
		return unauthorized(r, realm)
	}
	path := c.rt.ConfPath(c.userFile.Eval(r))
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.Logf(httpd.LogErr, "open() \"%s\" failed %s", path, conf.ErrnoText(err))
			r.Finalize(403)
			return httpd.Done
		}
		r.Logf(errlog.Crit, "open() \"%s\" failed %s", path, conf.ErrnoText(err))
		r.Finalize(500)
		return httpd.Done
	}
	defer f.Close()
	hash, found, err := lookup(f, user)
	if err != nil {
		r.Logf(errlog.Crit, "pread() \"%s\" failed %s", path, conf.ErrnoText(err))
		r.Finalize(500)
		return httpd.Done
	}
	if !found {
		r.Logf(httpd.LogErr, "user \"%s\" was not found in \"%s\"", user, path)
		return unauthorized(r, realm)
	}
	match, err := matches(pass, hash)
	if err != nil {
		r.Logf(errlog.Crit, "%s", err.Error())
		r.Finalize(500)
		return httpd.Done
	}
	if !match {
		r.Logf(httpd.LogErr, "user \"%s\": password mismatch", user)
		return unauthorized(r, realm)
	}
	return httpd.Granted
}

// lookup finds the user's line: "user:hash[:anything]"; lines starting
// with '#' or CR are skipped, as nginx's reader does.
func lookup(f *os.File, user string) (string, bool, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '\r' {
			continue
		}
		if len(line) <= len(user) || line[:len(user)] != user || line[len(user)] != ':' {
			continue
		}
		pw := line[len(user)+1:]
		if i := strings.IndexAny(pw, "\r:"); i >= 0 {
			pw = pw[:i]
		}
		return pw, true, nil
	}
	if err := sc.Err(); err != nil {
		return "", false, err
	}
	return "", false, nil
}

// unauthorized is ngx_http_auth_basic_set_realm: 401 with the challenge.
func unauthorized(r *httpd.Request, realm string) httpd.Status {
	r.AddHeader("WWW-Authenticate", "Basic realm=\""+realm+"\"")
	return httpd.Unauthorized
}
