//go:build linux

package httpd_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// A cosocket connect to a unix socket that fails logs nginx's
// ngx_event_connect_peer line: at crit for a missing file, at error for a
// socket nobody listens on (NGX_REFERENCE=/usr/sbin/nginx runs it on nginx).
func TestCosocketUnixConnectLogLevel(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.sock")
	refused := filepath.Join(dir, "refused.sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: refused}); err != nil {
		t.Fatal(err)
	}
	s := httpdtest.Start(t, `server { listen 127.0.0.1:PORT;
		location /t { content_by_lua_block {
			for _, p in ipairs({"`+missing+`", "`+refused+`"}) do
				local ok, err = ngx.socket.tcp():connect("unix:" .. p)
				ngx.say(tostring(ok), " ", err)
			end
		} } }`, os.Getenv("NGX_REFERENCE"))
	if _, _, body := s.Get(t, "/t"); body != "nil no such file or directory\nnil connection refused\n" {
		t.Errorf("body %q", body)
	}
	log := s.WaitErrorLog(t, "connect() to unix:"+missing+" failed (2: No such file or directory)",
		"connect() to unix:"+refused+" failed (111: Connection refused)")
	for _, l := range strings.Split(log, "\n") {
		switch {
		case strings.Contains(l, "unix:"+missing) && !strings.Contains(l, "[crit]"),
			strings.Contains(l, "unix:"+refused) && !strings.Contains(l, "[error]"):
			t.Errorf("wrong level: %s", l)
		}
	}
}
