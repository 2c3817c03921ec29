package logmodule_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestAccessLog(t *testing.T) {
	s := httpdtest.StartEnv(t, `
log_format short '$request_method $uri $status $arg_x';
access_log logs/access.log short;
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "ok"; }
    location /quiet { access_log off; return 204; }
    location /cond { access_log logs/access.log short if=$arg_x; return 201; }
}`)
	s.Get(t, "/a?x=1")
	s.Get(t, "/quiet")
	s.Get(t, "/cond")
	s.Get(t, "/cond?x=0")
	s.Get(t, "/cond?x=y")
	want := "GET /a 200 1\nGET /cond 201 y\n"
	var got string
	for i := 0; i < 100; i++ {
		b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs/access.log"))
		if got = string(b); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("access.log:\n%s\nwant:\n%s", got, want)
}

// buffer= holds lines until the next one does not fit (a line longer than
// the buffer is written at once), flush= writes them after the time,
// gzip= writes each buffer as a gzip member; the combined format writes a
// missing Referer or User-Agent as "-" and an empty one as "".
func TestAccessLogBuffer(t *testing.T) {
	s := httpdtest.StartEnv(t, `
log_format l '$uri $status $arg_pad';
server {
    listen 127.0.0.1:PORT;
    location /b { access_log logs/b.log l buffer=100; return 200; }
    location /f { access_log logs/f.log l buffer=64k flush=100ms; return 200; }
    location /z { access_log logs/z.log l gzip=5 buffer=100; return 200; }
    location /c { access_log logs/c.log; return 200; }
}`)
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs", name))
		return string(b)
	}
	// the log phase runs after the answer left (nginx writes the line once
	// the response is sent): wait for the expected content, a hang guard only
	await := func(name, want string) string {
		got := read(name)
		for i := 0; i < 250 && got != want; i++ {
			time.Sleep(20 * time.Millisecond)
			got = read(name)
		}
		return got
	}
	pad := strings.Repeat("x", 50)
	s.Get(t, "/b?pad="+pad)
	if got := read("b.log"); got != "" {
		t.Errorf("a line that fits is held: %q", got)
	}
	s.Get(t, "/b?pad="+pad) // does not fit with the first: the first goes out
	if got := await("b.log", "/b 200 "+pad+"\n"); got != "/b 200 "+pad+"\n" {
		t.Errorf("buffer full: %q", got)
	}
	long := strings.Repeat("y", 150)
	s.Get(t, "/b?pad="+long) // flushes the second, then is written at once
	if want := "/b 200 " + pad + "\n/b 200 " + pad + "\n/b 200 " + long + "\n"; await("b.log", want) != want {
		t.Errorf("long line: %q", read("b.log"))
	}
	s.Get(t, "/z?pad="+pad)
	s.Get(t, "/z?pad="+pad)
	var z string
	for i := 0; i < 250 && z == ""; i++ { // hang guard only
		if z = read("z.log"); z == "" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	zr, err := gzip.NewReader(strings.NewReader(z))
	if err != nil {
		t.Fatalf("gzip= log: %v", err)
	}
	if b, _ := io.ReadAll(zr); string(b) != "/z 200 "+pad+"\n" {
		t.Errorf("gzip= log: %q", b)
	}
	s.Get(t, "/f")
	var got string
	for i := 0; i < 250 && got == ""; i++ { // hang guard only
		time.Sleep(20 * time.Millisecond)
		got = read("f.log")
	}
	if got != "/f 200 -\n" {
		t.Errorf("flush=: %q", got)
	}
	s.Exchange(t, "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	s.Exchange(t, "GET /c HTTP/1.1\r\nHost: x\r\nReferer: \r\nConnection: close\r\n\r\n")
	s.Exchange(t, "GET /c HTTP/1.1\r\nHost: x\r\nReferer: r\r\nUser-Agent: u\r\nConnection: close\r\n\r\n")
	var lines []string
	for i := 0; i < 250 && len(lines) < 3; i++ {
		lines = strings.Split(strings.TrimSpace(read("c.log")), "\n")
		time.Sleep(20 * time.Millisecond)
	}
	// (an empty User-Agent is "" in nginx; fasthttp cannot tell it from a missing one)
	for i, want := range []string{` 200 0 "-" "-"`, ` 200 0 "" "-"`, ` 200 0 "r" "u"`} {
		if i >= len(lines) || !strings.HasSuffix(lines[i], want) {
			t.Errorf("combined line %d: %q, want suffix %q", i, lines, want)
		}
	}
}
