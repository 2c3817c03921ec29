package securelink_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

func sign(s string) string {
	sum := md5.Sum([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestSecureLink(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /s/ {
        secure_link $arg_md5,$arg_expires;
        secure_link_md5 "$secure_link_expires$uri secret";
        if ($secure_link = "") { return 403; }
        if ($secure_link = "0") { return 410; }
        return 200 "ok $secure_link $secure_link_expires\n";
    }
    location /n/ {
        secure_link $arg_md5;
        secure_link_md5 "$uri secret";
        return 200 "[$secure_link] [$secure_link_expires]\n";
    }
    location /p/ {
        secure_link_secret word;
        if ($secure_link = "") { return 403; }
        return 200 "link $secure_link\n";
    }
}`)
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	old := md5.Sum([]byte("file.txt?a=1word"))
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/s/f?md5=" + sign(future+"/s/f secret") + "&expires=" + future, 200, "ok 1 " + future + "\n"},
		{"/s/f?md5=" + sign(future+"/s/f secret") + "==&expires=" + future, 200, "ok 1 " + future + "\n"},
		{"/s/f?md5=" + sign(past+"/s/f secret") + "&expires=" + past, 410, ""},
		{"/s/f?md5=" + sign(future+"/s/g secret") + "&expires=" + future, 403, ""},
		{"/s/f?md5=" + sign(future+"/s/f secret") + "&expires=x", 403, ""},
		{"/s/f?md5=" + sign(future+"/s/f secret") + "&expires=0", 403, ""},
		{"/s/f?md5=" + sign(future+"/s/f secret"), 403, ""},
		{"/s/f?md5=short&expires=" + future, 403, ""},
		{"/n/f?md5=" + sign("/n/f secret"), 200, "[1] []\n"},
		{"/n/f?md5=" + sign("/n/x secret"), 200, "[] []\n"},
		{"/p/" + hex.EncodeToString(old[:]) + "/file.txt?a=1", 200, "link file.txt?a=1\n"},
		{"/p/" + hex.EncodeToString(old[:]) + "/file.txt", 403, ""},
		{"/p/" + hex.EncodeToString(old[:]), 403, ""},
		{"/p/xyz/file.txt?a=1", 403, ""},
	} {
		st, _, body := s.Get(t, c.path)
		if st != c.status || (c.body != "" && body != c.body) {
			t.Errorf("%s: got %d %q, want %d %q", c.path, st, body, c.status, c.body)
		}
	}
}
