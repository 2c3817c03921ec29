//lint:file-ignore SA1019 x/net/http2.Transport speaks h2c with prior knowledge to the server under test

package http2_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
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
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
	"golang.org/x/net/http2"
)

// h2cClient speaks HTTP/2 with prior knowledge over plain TCP.
func h2cClient() *http.Client {
	return &http.Client{Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}}
}

func do(t *testing.T, c *http.Client, method, url string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, string(b)
}

const h2Locations = `
    client_max_body_size 10m;
    client_body_buffer_size 4m;
    location /lua {
        content_by_lua_block {
            ngx.say("h2=", ngx.var.http2, " sp=", ngx.var.server_protocol, " v=", ngx.req.http_version(),
                " host=", ngx.var.http_host, " x=", ngx.var.http_x_foo, " m=", ngx.req.get_method(),
                " args=", ngx.var.args, " cr=", ngx.var.connection_requests)
        }
    }
    location /conn { return 200 "$connection"; }
    location /ret { return 200 "hello"; }
    location /notfound { return 404; }
    location /sock { content_by_lua_block { local ok, err = pcall(ngx.req.socket) ngx.say(ok, " ", err)
        ok, err = pcall(ngx.req.socket, true) ngx.say(ok, " ", err) } }
    location /raw { content_by_lua_block { ngx.say(pcall(ngx.req.raw_header)) } }
    location /body {
        content_by_lua_block {
            ngx.req.read_body()
            local b = ngx.req.get_body_data() or ""
            ngx.say(#b, " ", ngx.md5(b))
        }
    }
    location /big { content_by_lua_block { ngx.print(string.rep("0123456789abcdef", 65536)) } }
    location /hop {
        content_by_lua_block {
            ngx.header["Keep-Alive"] = "timeout=5"
            ngx.header["Upgrade"] = "h2c"
            ngx.header["X-Kept"] = "yes"
            ngx.say("hop")
        }
    }
    location /stream {
        content_by_lua_block {
            ngx.print("first|")
            ngx.flush(true)
            local d = ngx.shared.h2
            for i = 1, 1000 do
                if d:get("go") then break end
                ngx.sleep(0.01)
            end
            ngx.print("second")
        }
    }
    location /go { content_by_lua_block { ngx.shared.h2:set("go", true) ngx.say("ok") } }
`

func TestH2C(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Up", "1")
		fmt.Fprintf(w, "up %s %s len=%d proto=%s", r.Method, r.URL.RequestURI(), len(b), r.Proto)
	}))
	defer up.Close()
	s := httpdtest.StartEnv(t, `
    lua_shared_dict h2 1m;
    log_format h2 "$request $status $http2 $server_protocol $body_bytes_sent";
    server {
        listen 127.0.0.1:PORT http2;
        access_log logs/h2.log h2;
        location /up/ { proxy_pass `+up.URL+`/; }
`+h2Locations+`
    }`)
	c := h2cClient()
	base := "http://" + s.Addr

	resp, body := do(t, c, "GET", base+"/lua?a=1", nil, "X-Foo", "bar")
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("proto %s status %d", resp.Proto, resp.StatusCode)
	}
	want := "h2=h2c sp=HTTP/2.0 v=2 host=" + s.Addr + " x=bar m=GET args=a=1 cr=1\n"
	if body != want {
		t.Fatalf("lua: %q, want %q", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Fatalf("content-type %q", ct)
	}
	if resp.ContentLength != -1 || resp.Header.Get("Date") == "" || resp.Header.Get("Server") == "" {
		t.Fatalf("lua output header: length %d, %v", resp.ContentLength, resp.Header)
	}
	// a second stream of the same connection
	_, body = do(t, c, "GET", base+"/lua", nil)
	if !strings.HasSuffix(body, " cr=2\n") {
		t.Fatalf("second request on the connection: %q", body)
	}
	_, c1 := do(t, c, "GET", base+"/conn", nil)
	_, c2 := do(t, c, "GET", base+"/conn", nil)
	if c1 != c2 {
		t.Fatalf("$connection differs on one connection: %q %q", c1, c2)
	}

	resp, body = do(t, c, "GET", base+"/ret", nil)
	if body != "hello" || resp.ContentLength != 5 {
		t.Fatalf("return: %q length %d", body, resp.ContentLength)
	}
	resp, body = do(t, c, "HEAD", base+"/ret", nil)
	if body != "" || resp.ContentLength != 5 {
		t.Fatalf("HEAD: %q length %d", body, resp.ContentLength)
	}
	resp, body = do(t, c, "GET", base+"/notfound", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, "<center><h1>404 Not Found</h1></center>") {
		t.Fatalf("404: %d %q", resp.StatusCode, body)
	}

	_, body = do(t, c, "GET", base+"/sock", nil)
	if body != "false http v2 not supported yet\nfalse http v2 not supported yet\n" {
		t.Fatalf("ngx.req.socket: %q", body)
	}
	_, body = do(t, c, "GET", base+"/raw", nil)
	if body != "falsehttp2 requests not supported yet\n" {
		t.Fatalf("ngx.req.raw_header: %q", body)
	}

	// large bodies both ways: declared and unknown length
	big := bytes.Repeat([]byte("abcdefgh"), 300<<10/8)
	sum := fmt.Sprintf("%x", md5sum(big))
	_, body = do(t, c, "POST", base+"/body", bytes.NewReader(big))
	if body != strconv.Itoa(len(big))+" "+sum+"\n" {
		t.Fatalf("request body: %q", body)
	}
	_, body = do(t, c, "POST", base+"/body", io.MultiReader(bytes.NewReader(big[:1000]), bytes.NewReader(big[1000:])))
	if body != strconv.Itoa(len(big))+" "+sum+"\n" {
		t.Fatalf("request body of unknown length: %q", body)
	}
	_, body = do(t, c, "GET", base+"/big", nil)
	if len(body) != 1<<20 || body[:16] != "0123456789abcdef" {
		t.Fatalf("large response: %d bytes", len(body))
	}

	resp, body = do(t, c, "GET", base+"/hop", nil)
	if body != "hop\n" || resp.Header.Get("X-Kept") != "yes" {
		t.Fatalf("hop: %q %v", body, resp.Header)
	}
	for _, h := range []string{"Connection", "Keep-Alive", "Upgrade", "Transfer-Encoding"} {
		if v, ok := resp.Header[h]; ok {
			t.Fatalf("hop-by-hop %s: %q on HTTP/2", h, v)
		}
	}

	resp, body = do(t, c, "POST", base+"/up/p?q=1", bytes.NewReader(big))
	if body != "up POST /p?q=1 len="+strconv.Itoa(len(big))+" proto=HTTP/1.0" || resp.Header.Get("X-Up") != "1" {
		t.Fatalf("proxy_pass: %q %v", body, resp.Header)
	}

	// the first part arrives while the handler still runs
	resp, err := c.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('|')
	if err != nil || first != "first|" {
		t.Fatalf("streamed part: %q %v", first, err)
	}
	if _, body = do(t, c, "GET", base+"/go", nil); body != "ok\n" {
		t.Fatalf("go: %q", body)
	}
	rest, _ := io.ReadAll(br)
	resp.Body.Close()
	if string(rest) != "second" {
		t.Fatalf("streamed rest: %q", rest)
	}

	waitFor(t, func() bool {
		return strings.Contains(readFile(s.Prefix, "logs/h2.log"), "GET /stream HTTP/2.0 200 h2c HTTP/2.0 12")
	},
		func() string { return readFile(s.Prefix, "logs/h2.log") })
	if log := readFile(s.Prefix, "logs/h2.log"); !strings.Contains(log, "GET /ret HTTP/2.0 200 h2c HTTP/2.0 5\n") {
		t.Fatalf("access log:\n%s", log)
	}
}

func md5sum(b []byte) []byte {
	h := md5.New()
	h.Write(b)
	return h.Sum(nil)
}

func readFile(prefix, name string) string {
	b, _ := os.ReadFile(filepath.Join(prefix, name))
	return string(b)
}

// waitFor polls cond (the access log is written after the response).
func waitFor(t *testing.T, cond func() bool, show func() string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("condition not met:\n%s", show())
}

func TestH2TLSAndHTTP1(t *testing.T) {
	cert, key := httpdtest.SelfSigned(t, t.TempDir())
	s := httpdtest.StartEnv(t, fmt.Sprintf(`
    lua_shared_dict h2 1m;
    server {
        listen 127.0.0.1:PORT ssl http2;
        ssl_certificate %s;
        ssl_certificate_key %s;
        location /ssl { return 200 "$http2 $server_protocol $https $ssl_protocol"; }
`+h2Locations+`
    }`, cert, key))
	base := "https://" + s.Addr
	h2c := &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, body := do(t, h2c, "GET", base+"/lua", nil)
	if resp.ProtoMajor != 2 || !strings.HasPrefix(body, "h2=h2 sp=HTTP/2.0 v=2 ") {
		t.Fatalf("h2 over TLS: %s %q", resp.Proto, body)
	}
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("ALPN: %+v", resp.TLS)
	}
	_, body = do(t, h2c, "GET", base+"/ssl", nil)
	if !strings.HasPrefix(body, "h2 HTTP/2.0 on TLSv1.") {
		t.Fatalf("ssl variables on h2: %q", body)
	}
	big := bytes.Repeat([]byte("z"), 200<<10)
	_, body = do(t, h2c, "POST", base+"/body", bytes.NewReader(big))
	if body != fmt.Sprintf("%d %x\n", len(big), md5sum(big)) {
		t.Fatalf("body over h2 TLS: %q", body)
	}
	// HTTP/1.1 on the same port through ALPN
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}},
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	resp, body = do(t, h1, "GET", base+"/lua", nil)
	if resp.ProtoMajor != 1 || !strings.HasPrefix(body, "h2= sp=HTTP/1.1 v=1.1 ") {
		t.Fatalf("HTTP/1.1 on an http2 port: %s %q", resp.Proto, body)
	}
	if resp.TLS == nil || resp.TLS.NegotiatedProtocol != "http/1.1" {
		t.Fatalf("ALPN for HTTP/1.1: %+v", resp.TLS)
	}
}

// TestH2Settings reads the server's first SETTINGS frame: the stream
// limit and the initial window come from http2_max_concurrent_streams
// and http2_body_preread_size; an HTTP/1 request on a cleartext http2
// port gets HTTP/2 frames, not an HTTP/1 answer (nginx 1.22 speaks only
// HTTP/2 there).
func TestH2Settings(t *testing.T) {
	s := httpdtest.StartEnv(t, `
    http2_max_concurrent_streams 7;
    server {
        listen 127.0.0.1:PORT http2;
        http2_body_preread_size 128k;
        http2_chunk_size 8k;
        http2_idle_timeout 3m;
        location / { return 200 "x"; }
    }`)
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(http2.ClientPreface))
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v", f)
	}
	if v, ok := sf.Value(http2.SettingMaxConcurrentStreams); !ok || v != 7 {
		t.Fatalf("max concurrent streams %d %v", v, ok)
	}
	if v, ok := sf.Value(http2.SettingInitialWindowSize); !ok || v != 128<<10 {
		t.Fatalf("initial window %d %v", v, ok)
	}
	if log := s.ErrorLog(); !strings.Contains(log, `the "http2_idle_timeout" directive is obsolete, use the "keepalive_timeout" directive instead in `) {
		t.Fatalf("error log:\n%s", log)
	}

	h1, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Close()
	h1.SetDeadline(time.Now().Add(10 * time.Second))
	h1.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	head := make([]byte, 9)
	if _, err := io.ReadFull(h1, head); err != nil {
		t.Fatal(err)
	}
	if head[3] != byte(http2.FrameSettings) {
		t.Fatalf("HTTP/1 on an h2c port got %q", hex.EncodeToString(head))
	}
	io.CopyN(io.Discard, h1, int64(head[0])<<16|int64(head[1])<<8|int64(head[2]))
	f, err = http2.NewFramer(nil, h1).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	for f.Header().Type == http2.FrameWindowUpdate { // nginx's connection window
		if f, err = http2.NewFramer(nil, h1).ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	if ga, ok := f.(*http2.GoAwayFrame); !ok || ga.ErrCode != http2.ErrCodeProtocol {
		t.Fatalf("after SETTINGS: %v", f)
	}
	waitFor(t, func() bool {
		return strings.Contains(s.ErrorLog(), "invalid connection preface while processing HTTP/2 connection, client: 127.0.0.1, server: ")
	},
		s.ErrorLog)
}

// After a reload the old configuration's HTTP/2 connections get a GOAWAY:
// a client moves to the new configuration without a failed request.
func TestH2Reload(t *testing.T) {
	if os.Getenv("NGX_REFERENCE") != "" {
		t.Skip("reloads the process in place")
	}
	conf := `server { listen 127.0.0.1:PORT http2; location / { return 200 "VERSION"; } }`
	s := httpdtest.Start(t, strings.ReplaceAll(conf, "VERSION", "v1"), "")
	c := h2cClient()
	if _, body := do(t, c, "GET", "http://"+s.Addr+"/", nil); body != "v1" {
		t.Fatalf("before: %q", body)
	}
	path := filepath.Join(s.Prefix, "conf/nginx.conf")
	old, _ := os.ReadFile(path)
	head, _, _ := strings.Cut(string(old), "http {\n")
	port := s.Addr[strings.LastIndexByte(s.Addr, ':')+1:]
	text := head + "http {\n" + strings.ReplaceAll(strings.ReplaceAll(conf, "VERSION", "v2"), "PORT", port) + "\n}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	next, err := httpd.Load(s.Prefix, "conf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Process.Reload(next); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		resp, body := do(t, c, "GET", "http://"+s.Addr+"/", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("during the reload: %d %q", resp.StatusCode, body)
		}
		if body == "v2" {
			break
		}
		if i == 1000 {
			t.Fatal("the client stayed on the old configuration")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
