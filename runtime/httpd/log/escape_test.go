package logmodule_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// log_format escape=default|json|none, against nginx's own escaping
// (NGX_REFERENCE=/usr/sbin/nginx runs the same case on nginx).
func TestLogFormatEscape(t *testing.T) {
	s := httpdtest.Start(t, `
    log_format dflt '$v|$http_x_t|$http_absent|$status';
    log_format js escape=json '{"v":"$v","h":"$http_x_t","m":"$http_absent","s":$status}';
    log_format raw escape=none '$v|$http_absent|$status';
    server {
        listen 127.0.0.1:PORT;
        location / {
            set $v "";
            content_by_lua_block { ngx.var.v = "q\"b\\s\1\n\t\127\195\169" ngx.exit(204) }
            access_log logs/dflt.log dflt;
            access_log logs/js.log js;
            access_log logs/raw.log raw;
        }
    }`, os.Getenv("NGX_REFERENCE"))
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nX-T: a\"\\\t\xc3\xa9\r\nConnection: close\r\n\r\n"))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	c.Close()
	want := map[string]string{
		"dflt.log": `q\x22b\x5Cs\x01\x0A\x09\x7F\xC3\xA9|a\x22\x5C\x09\xC3\xA9|-|204` + "\n",
		"js.log":   `{"v":"q\"b\\s\u0001\n\t` + "\x7f\xc3\xa9" + `","h":"a\"\\\t` + "\xc3\xa9" + `","m":"","s":204}` + "\n",
		"raw.log":  "q\"b\\s\x01\n\t\x7f\xc3\xa9||204\n",
	}
	for name, w := range want {
		var got string
		// the log line is written after the response: wait for it
		for i := 0; i < 500 && !strings.HasSuffix(got, "\n"); i++ {
			b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs", name))
			got = string(b)
			if !strings.HasSuffix(got, "\n") {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if got != w {
			t.Errorf("%s:\n got %q\nwant %q", name, got, w)
		}
	}
}

func TestLogFormatEscapeBad(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte("events {}\nhttp {\n  log_format x escape=xml '$status';\n}\n"), 0o644)
	_, err := httpd.Load(dir, "conf/nginx.conf")
	want := `unknown log format escaping "xml" in ` + filepath.Join(dir, "conf/nginx.conf") + ":3"
	if err == nil || err.Error() != want {
		t.Fatalf("%v, want %s", err, want)
	}
}
