package gzip_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestGzip(t *testing.T) {
	body := strings.Repeat("compress me ", 100)
	s := httpdtest.StartEnv(t, `
gzip on;
gzip_types application/json;
gzip_vary on;
server {
    listen 127.0.0.1:PORT;
    location /json { default_type application/json; return 200 "`+body+`"; }
    location /plain { default_type text/plain; return 200 "`+body+`"; }
    location /short { default_type application/json; return 200 "{}"; }
    location /off { gzip off; default_type application/json; return 200 "`+body+`"; }
    location /missing { default_type application/json; return 404; }
}`)
	code, h, b := s.Get(t, "/json", "Accept-Encoding: gzip")
	if code != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("/json: %d %q", code, h)
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(b)))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != body {
		t.Errorf("decompressed body: %q", plain)
	}
	if _, h, _ := s.Get(t, "/json"); h.Get("Content-Encoding") != "" || h.Get("Vary") != "Accept-Encoding" {
		t.Errorf("no Accept-Encoding: %q", h)
	}
	for _, p := range []string{"/plain", "/short", "/off"} {
		if _, h, b := s.Get(t, p, "Accept-Encoding: gzip"); h.Get("Content-Encoding") != "" || len(b) < 2 {
			t.Errorf("%s compressed: %q", p, h)
		}
	}
	if code, h, _ := s.Get(t, "/missing", "Accept-Encoding: gzip"); code != 404 || h.Get("Content-Encoding") != "gzip" {
		t.Errorf("404 page (text/html) is compressed: %d %q", code, h)
	}
}

// A compressed file keeps a weak form of its ETag and loses Accept-Ranges,
// a small body is really compressed, and $gzip_ratio reports the ratio.
func TestGzipETagRangesSmall(t *testing.T) {
	s := httpdtest.StartEnv(t, `
gzip on; gzip_types text/plain; gzip_min_length 1;
log_format r "$gzip_ratio";
server {
    listen 127.0.0.1:PORT; root html; default_type text/plain;
    access_log logs/access.log r;
    location /small { return 200 "abababababababababababababababababababababababababababababababab"; }
}`)
	os.MkdirAll(filepath.Join(s.Prefix, "html"), 0o755)
	os.WriteFile(filepath.Join(s.Prefix, "html/f.txt"), []byte(strings.Repeat("x", 2000)), 0o644)
	_, plain, _ := s.Get(t, "/f.txt")
	etag := plain.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || plain.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("uncompressed: %q", plain)
	}
	_, h, b := s.Get(t, "/f.txt", "Accept-Encoding: gzip")
	if h.Get("Content-Encoding") != "gzip" || h.Get("ETag") != "W/"+etag || h.Get("Accept-Ranges") != "" {
		t.Errorf("compressed file: %q", h)
	}
	if got := gunzip(t, b); got != strings.Repeat("x", 2000) {
		t.Errorf("body: %q", got)
	}
	_, h, b = s.Get(t, "/small", "Accept-Encoding: gzip")
	if h.Get("Content-Encoding") != "gzip" || len(b) >= 64 || gunzip(t, b) != strings.Repeat("ab", 32) {
		t.Errorf("small body: %d bytes %q", len(b), b)
	}
	log := strings.Fields(s.AccessLog())
	if len(log) != 3 || log[0] != "-" || !strings.HasPrefix(log[1], "4") || log[2] < "2" {
		t.Errorf("$gzip_ratio: %q", log)
	}
}

// nginx's gzip filter removes the length: a compressed answer goes to an
// HTTP/1.1 client chunked (keep-alive kept), $body_bytes_sent counts the
// chunk framing, and a HEAD answer has neither length nor chunking.
func TestGzipFraming(t *testing.T) {
	s := httpdtest.StartEnv(t, `
gzip on; gzip_types text/plain;
log_format b "$request_method $body_bytes_sent";
server {
    listen 127.0.0.1:PORT; root html; default_type text/plain;
    access_log logs/access.log b;
}`)
	os.MkdirAll(filepath.Join(s.Prefix, "html"), 0o755)
	os.WriteFile(filepath.Join(s.Prefix, "html/f.txt"), []byte(strings.Repeat("x", 2000)), 0o644)
	resp, b, c := s.Exchange(t, "GET /f.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Length") != "" ||
		fmt.Sprint(resp.TransferEncoding) != "[chunked]" || resp.Close || gunzip(t, b) != strings.Repeat("x", 2000) {
		t.Errorf("HTTP/1.1: %q %v close=%v", resp.Header, resp.TransferEncoding, resp.Close)
	}
	io.WriteString(c, "HEAD /f.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
	raw, _ := io.ReadAll(c)
	head, rest, _ := strings.Cut(string(raw), "\r\n\r\n")
	lh := strings.ToLower(head)
	if !strings.Contains(lh, "content-encoding: gzip") || strings.Contains(lh, "content-length") ||
		strings.Contains(lh, "transfer-encoding") || rest != "" {
		t.Errorf("HEAD on the same connection: %q %q", head, rest)
	}
	// the bytes of the chunked body on the wire
	c2, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	io.WriteString(c2, "GET /f.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
	raw, _ = io.ReadAll(c2)
	_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	want := fmt.Sprintf("GET %d HEAD 0 GET %d", len(body), len(body))
	if got := strings.Join(strings.Fields(s.AccessLog()), " "); got != want {
		t.Errorf("$body_bytes_sent: %q, want %q", got, want)
	}
}

func gunzip(t *testing.T, b string) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// gzip_static answers FILE.gz for FILE to a client that takes gzip, typed
// by FILE's name, with the .gz file's length, ETag and Last-Modified and
// no Accept-Ranges; "always" answers it to every client; gzip_vary names
// Accept-Encoding whenever a .gz exists.
func TestGzipStatic(t *testing.T) {
	s := httpdtest.StartEnv(t, `
gzip_vary on;
types { text/css css; }
server {
    listen 127.0.0.1:PORT; root html;
    location /s/ { gzip_static on; }
    location /a/ { gzip_static always; }
}`)
	html := filepath.Join(s.Prefix, "html")
	for _, d := range []string{"s", "a"} {
		os.MkdirAll(filepath.Join(html, d), 0o755)
		os.WriteFile(filepath.Join(html, d, "x.css"), []byte("plain body\n"), 0o644)
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte("zipped body\n"))
		zw.Close()
		os.WriteFile(filepath.Join(html, d, "x.css.gz"), b.Bytes(), 0o644)
		os.WriteFile(filepath.Join(html, d, "only.css.gz"), b.Bytes(), 0o644)
	}
	gz, _ := os.Stat(filepath.Join(html, "s/x.css.gz"))
	code, h, body := s.Get(t, "/s/x.css", "Accept-Encoding: gzip, br")
	if code != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Content-Type") != "text/css" ||
		h.Get("Content-Length") != strconv.FormatInt(gz.Size(), 10) || h.Get("Vary") != "Accept-Encoding" ||
		h.Get("Accept-Ranges") != "" || !strings.HasSuffix(h.Get("ETag"), fmt.Sprintf(`-%x"`, gz.Size())) ||
		gunzip(t, body) != "zipped body\n" {
		t.Errorf("gzip_static on, gzip accepted: %d %q", code, h)
	}
	code, h, body = s.Get(t, "/s/x.css", "Accept-Encoding: gzip;q=0")
	if code != 200 || h.Get("Content-Encoding") != "" || body != "plain body\n" || h.Get("Vary") != "Accept-Encoding" {
		t.Errorf("gzip_static on, gzip refused: %d %q %q", code, h, body)
	}
	if code, h, body := s.Get(t, "/s/only.css", "Accept-Encoding: gzip"); code != 200 || gunzip(t, body) != "zipped body\n" || h.Get("Content-Type") != "text/css" {
		t.Errorf("only the .gz: %d %q", code, h)
	}
	if code, h, body := s.Get(t, "/a/x.css"); code != 200 || h.Get("Content-Encoding") != "gzip" || gunzip(t, body) != "zipped body\n" || h.Get("Vary") != "" {
		t.Errorf("gzip_static always: %d %q", code, h)
	}
}

// gunzip decompresses a gzip answer (a .gz file from gzip_static always,
// an upstream's gzip body) for a client that does not take gzip; one that
// does gets it as it is.
func TestGunzip(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 40000) // 640 KB: the upstream body arrives in pieces
	var zbig bytes.Buffer
	zw := gzip.NewWriter(&zbig)
	zw.Write([]byte(big))
	zw.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("ETag", `"up"`)
		w.Write(zbig.Bytes())
	}))
	defer up.Close()
	s := httpdtest.StartEnv(t, `
gunzip on; gzip_vary on;
server {
    listen 127.0.0.1:PORT; root html;
    location /a/ { gzip_static always; }
    location /up { proxy_pass `+up.URL+`; }
}`)
	os.MkdirAll(filepath.Join(s.Prefix, "html/a"), 0o755)
	var b bytes.Buffer
	zw = gzip.NewWriter(&b)
	zw.Write([]byte("zipped body\n"))
	zw.Close()
	os.WriteFile(filepath.Join(s.Prefix, "html/a/x.txt.gz"), b.Bytes(), 0o644)
	if code, h, body := s.Get(t, "/a/x.txt"); code != 200 || h.Get("Content-Encoding") != "" || body != "zipped body\n" ||
		h.Get("Vary") != "Accept-Encoding" || !strings.HasPrefix(h.Get("ETag"), `W/"`) {
		t.Errorf("static, no gzip: %d %q %q", code, h, body)
	}
	if code, h, body := s.Get(t, "/a/x.txt", "Accept-Encoding: gzip"); code != 200 || h.Get("Content-Encoding") != "gzip" || gunzip(t, body) != "zipped body\n" {
		t.Errorf("static, gzip: %d %q", code, h)
	}
	if code, h, body := s.Get(t, "/up"); code != 200 || h.Get("Content-Encoding") != "" || body != big || h.Get("ETag") != `W/"up"` {
		t.Errorf("upstream, no gzip: %d %q %d bytes", code, h, len(body))
	}
	if code, h, body := s.Get(t, "/up", "Accept-Encoding: gzip"); code != 200 || h.Get("Content-Encoding") != "gzip" || gunzip(t, body) != big {
		t.Errorf("upstream, gzip: %d %q", code, h)
	}
}
