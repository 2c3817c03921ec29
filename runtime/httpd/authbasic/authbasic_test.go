package authbasic_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The password file holds one user per scheme nginx reads; every
// password is "password" but the {SSHA} user's, "secret".
const htpasswd = `# comment
des:abJnggxhB/yWI
md5:$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/
apr:$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/
sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=
ssha:{SSHA}+RFhsab2AfzZ0VfEdyknXtUT06RhYmNk
plain:{PLAIN}password:a comment
sha256:$5$rounds=5000$saltsalt$gOjOtoMpVhru2uyjeJSEc/JaLQWOXMNmlOnj6T4AtC.
sha512:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/
crlf:{PLAIN}password` + "\r" + `
locked:!
`

func basic(userpass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestAuthBasic(t *testing.T) {
	s := httpdtest.StartEnv(t, `
log_format u '$uri $status "$remote_user"';
server {
    listen 127.0.0.1:PORT;
    access_log logs/access.log u;
    auth_basic "Restricted $host";
    auth_basic_user_file htpasswd;
    location / { return 200 "in $remote_user\n"; }
    location /static { }
    location /open { auth_basic off; }
    location /offvar { auth_basic $arg_realm; }
    location /missing { auth_basic_user_file nope; }
    location /ip {
        allow 192.0.2.1;
        deny all;
    }
}`)
	os.WriteFile(filepath.Join(s.Prefix, "conf/htpasswd"), []byte(htpasswd), 0o644)
	os.MkdirAll(filepath.Join(s.Prefix, "html/static"), 0o755)
	for _, d := range []string{"static", "open", "offvar", "missing", "ip"} {
		os.MkdirAll(filepath.Join(s.Prefix, "html", d), 0o755)
		os.WriteFile(filepath.Join(s.Prefix, "html", d, "index.html"), []byte(d+"\n"), 0o644)
	}
	host := strings.TrimPrefix(s.Addr, "127.0.0.1:")
	for _, c := range []struct {
		path, auth string
		status     int
		body       string
	}{
		{"/static/", basic("des:password"), 200, "static\n"},
		{"/static/", basic("md5:password"), 200, "static\n"},
		{"/static/", basic("apr:password"), 200, "static\n"},
		{"/static/", basic("sha:password"), 200, "static\n"},
		{"/static/", basic("ssha:secret"), 200, "static\n"},
		{"/static/", basic("plain:password"), 200, "static\n"},
		{"/static/", basic("sha256:password"), 200, "static\n"},
		{"/static/", basic("sha512:password"), 200, "static\n"},
		{"/static/", basic("crlf:password"), 200, "static\n"},
		{"/static/", basic("des:passwordX"), 200, "static\n"}, // DES reads 8 characters
		{"/static/", basic("des:wrong"), 401, ""},
		{"/static/", basic("md5:wrong"), 401, ""},
		{"/static/", basic("sha:wrong"), 401, ""},
		{"/static/", basic("locked:!"), 401, ""},
		{"/static/", basic("nobody:password"), 401, ""},
		{"/static/", basic("# comment:x"), 401, ""},
		{"/static/", basic(":password"), 401, ""},
		{"/static/", basic("plain"), 401, ""},
		{"/static/", "Authorization: Bearer x", 401, ""},
		{"/static/", "Authorization: basic " + base64.RawStdEncoding.EncodeToString([]byte("plain:password")), 200, "static\n"},
		{"/static/", "Authorization: Basic !!!", 401, ""},
		{"/static/", "", 401, ""},
		{"/open/", "", 200, "open\n"},
		{"/offvar/?realm=off", "", 200, "offvar\n"},
		{"/offvar/?realm=on", "", 401, ""},
		{"/missing/", basic("plain:password"), 403, ""},
		{"/missing/", "", 401, ""},
		{"/ip/", basic("plain:password"), 403, ""},
		// "return" runs in the rewrite phase, before access checks
		{"/", "", 200, "in \n"},
	} {
		var hs []string
		if c.auth != "" {
			hs = append(hs, c.auth)
		}
		st, h, body := s.Get(t, c.path, hs...)
		if st != c.status || (c.body != "" && body != c.body) {
			t.Errorf("%s %q: got %d %q, want %d %q", c.path, c.auth, st, body, c.status, c.body)
		}
		if st == 401 {
			want := `Basic realm="Restricted 127.0.0.1"`
			if c.path == "/offvar/?realm=on" {
				want = `Basic realm="on"`
			}
			if got := h.Get("WWW-Authenticate"); got != want {
				t.Errorf("%s: WWW-Authenticate %q, want %q", c.path, got, want)
			}
		}
	}
	log := s.ErrorLog()
	file := filepath.Join(s.Prefix, "conf/htpasswd")
	for _, re := range []string{
		`\[error\] \d+#\d+: \*\d+ user "des": password mismatch, client: 127\.0\.0\.1, server: , request: "GET /static/ HTTP/1\.1", host: "127\.0\.0\.1:` + host + `"`,
		`\[error\] .* user "nobody" was not found in "` + regexp.QuoteMeta(file) + `", client`,
		`\[info\] .* no user/password was provided for basic authentication, client`,
		`\[error\] .* open\(\) "` + regexp.QuoteMeta(filepath.Join(s.Prefix, "conf/nope")) + `" failed \(2: No such file or directory\), client`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("no line %s:\n%s", re, log)
		}
	}
	al := s.AccessLog()
	for _, want := range []string{`/static/index.html 200 "plain"`, `/static/ 401 "nobody"`, `/static/ 401 "-"`} {
		if !strings.Contains(al, want) {
			t.Errorf("access log lacks %s:\n%s", want, al)
		}
	}
}
