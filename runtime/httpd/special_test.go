package httpd_test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// TestMsiePadding: msie_padding (on by default) pads nginx's built-in 4xx
// and 5xx pages for MSIE and Chrome. NGX_REFERENCE=/usr/sbin/nginx runs
// the same cases on nginx.
func TestMsiePadding(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /nf { return 404; }
    location /err { return 502; }
    location /moved { return 302 /x; }
    location /off { msie_padding off; return 404; }
}`)
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	const msie = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)"
	const opera = "Opera/9.80 (compatible; MSIE 8.0)"
	pad := strings.Repeat("<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n", 6)
	for _, c := range []struct {
		path, ua string
		padded   bool
	}{
		{"/nf", chrome, true},
		{"/err", chrome, true},
		{"/nf", msie, true},
		{"/nf", "MSIE 8.", false}, // too short after "MSIE "
		{"/nf", firefox, false},
		{"/nf", opera, false},
		{"/nf", "", false},
		{"/moved", chrome, false},
		{"/off", chrome, false},
	} {
		var hs []string
		if c.ua != "" {
			hs = append(hs, "User-Agent: "+c.ua)
		}
		_, h, body := s.Get(t, c.path, hs...)
		if got := strings.HasSuffix(body, "</html>\r\n"+pad); got != c.padded {
			t.Errorf("%s %q: padded %v, want %v: %q", c.path, c.ua, got, c.padded, body)
		}
		if cl := h.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
			t.Errorf("%s %q: Content-Length %s for %d bytes", c.path, c.ua, cl, len(body))
		}
	}
}

// TestChunkedTransferEncodingOff: a body of unknown length goes out
// without chunked framing and the connection closes after it (nginx
// sends "Connection: close"); with it on (the default) it is chunked.
func TestChunkedTransferEncodingOff(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    location /on { content_by_lua_block { ngx.say("hello") } }
    location /off {
        chunked_transfer_encoding off;
        content_by_lua_block { ngx.say("hello") }
    }
    location /offflush {
        chunked_transfer_encoding off;
        content_by_lua_block { ngx.say("a") ngx.flush(true) ngx.say("b") }
    }
    location /offlen {
        chunked_transfer_encoding off;
        return 200 "fixed\n";
    }
}`)
	for _, c := range []struct {
		path, te, conn, body string
		length               int64
	}{
		{"/on", "chunked", "keep-alive", "hello\n", -1},
		{"/off", "", "close", "hello\n", -1},
		{"/offflush", "", "close", "a\nb\n", -1},
		{"/offlen", "", "keep-alive", "fixed\n", 6},
	} {
		resp, body, _ := s.Exchange(t, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		te := strings.Join(resp.TransferEncoding, ",")
		conn := resp.Header.Get("Connection")
		if resp.Close {
			conn = "close" // net/http takes it out of the header
		}
		if te != c.te || conn != c.conn || body != c.body || resp.ContentLength != c.length {
			t.Errorf("%s: TE %q Connection %q length %d body %q, want %q %q %d %q", c.path, te, conn,
				resp.ContentLength, body, c.te, c.conn, c.length, c.body)
		}
	}
}

// TestIgnoreInvalidHeaders: a client header whose name has a byte other
// than a letter, digit or "-" ("_" with underscores_in_headers on) is
// left out of the request unless ignore_invalid_headers is off. (A name
// with a byte HTTP does not allow in a token, such as "@", is a 400 here:
// the HTTP parser refuses it.)
func TestIgnoreInvalidHeaders(t *testing.T) {
	ports := freePorts(t, 2)
	handler := `location / { content_by_lua_block {
        local ks = {}
        for k in pairs(ngx.req.get_headers()) do ks[#ks + 1] = k end
        table.sort(ks)
        ngx.say(table.concat(ks, ","))
    } }`
	// set at the http level, inherited by the servers
	s := httpdtest.StartEnv(t, fmt.Sprintf(`
underscores_in_headers off;
ignore_invalid_headers on;
server { listen 127.0.0.1:PORT; %s }
server { listen 127.0.0.1:%d; ignore_invalid_headers off; %s }
server { listen 127.0.0.1:%d; underscores_in_headers on; %s }`, handler, ports[0], handler, ports[1], handler))
	raw := "GET / HTTP/1.1\r\nHost: x\r\nX_Under: 1\r\nX.Dot: 2\r\nX-Ok: 3\r\nX~T: 4\r\nConnection: close\r\n\r\n"
	for _, c := range []struct {
		addr, want string
	}{
		{s.Addr, "connection,host,x-ok\n"},
		{fmt.Sprintf("127.0.0.1:%d", ports[0]), "connection,host,x-ok,x.dot,x_under,x~t\n"},
		{fmt.Sprintf("127.0.0.1:%d", ports[1]), "connection,host,x-ok,x_under\n"},
	} {
		other := &httpdtest.Server{Addr: c.addr}
		if _, body, _ := other.Exchange(t, raw); body != c.want {
			t.Errorf("%s: %q, want %q\n%s", c.addr, body, c.want, s.ErrorLog())
		}
	}
}

func freePorts(t *testing.T, n int) []int {
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	return ports
}

// TestHTTPVarUnderscoreHeader: $http_x_y names a client header
// lowercased with "-" as "_", so with underscores_in_headers on a header
// sent as "X_Y" is $http_x_y too (the first such header wins); with it
// off the header is left out.
func TestHTTPVarUnderscoreHeader(t *testing.T) {
	ports := freePorts(t, 1)
	handler := `location / { return 200 "[$http_x_y][$http_x_z][$http_x_a]\n"; }`
	s := httpdtest.StartEnv(t, fmt.Sprintf(`
server { listen 127.0.0.1:PORT; %s }
server { listen 127.0.0.1:%d; underscores_in_headers on; %s }`, handler, ports[0], handler))
	raw := "GET / HTTP/1.1\r\nHost: x\r\nX_Y: u\r\nX-Z: z\r\nX_A: 1\r\nX-A: 2\r\nConnection: close\r\n\r\n"
	for _, c := range []struct {
		addr, want string
	}{
		{s.Addr, "[][z][2]\n"},
		{fmt.Sprintf("127.0.0.1:%d", ports[0]), "[u][z][1]\n"},
	} {
		other := &httpdtest.Server{Addr: c.addr}
		if _, body, _ := other.Exchange(t, raw); body != c.want {
			t.Errorf("%s: %q, want %q\n%s", c.addr, body, c.want, s.ErrorLog())
		}
	}
}

// TestMsieRefresh: with msie_refresh on, a 301/302 to MSIE (not Opera)
// is a 200 text/html page with a meta refresh to the Location (escaped
// as nginx's NGX_ESCAPE_REFRESH) and no Location header; the redirect of
// an error_page to a URL too. Other browsers, and msie_refresh off, get
// the redirect.
func TestMsieRefresh(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server { listen 127.0.0.1:PORT;
    msie_refresh on;
    location /r { return 302 "http://example.com/a b'<c>|d%20é"; }
    location /e { error_page 404 http://example.com/nf; return 404; }
    location /off { msie_refresh off; return 301 http://example.com/o; }
}`)
	const msie = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)"
	for _, c := range []struct {
		path, ua, status, loc, body string
	}{
		{"/r", msie, "200", "", `<html><head><meta http-equiv="Refresh" content="0; URL=http://example.com/a%20b%27%3Cc%3E%7Cd%20%C3%A9"></head><body></body></html>` + "\r\n"},
		{"/e", msie, "200", "", `<html><head><meta http-equiv="Refresh" content="0; URL=http://example.com/nf"></head><body></body></html>` + "\r\n"},
		{"/r", msie + " Opera", "302", "http://example.com/a b'<c>|d%20é", ""},
		{"/r", "curl/8", "302", "http://example.com/a b'<c>|d%20é", ""},
		{"/off", msie, "301", "http://example.com/o", ""},
	} {
		resp, body, _ := s.Exchange(t, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\nUser-Agent: "+c.ua+"\r\nConnection: close\r\n\r\n")
		if strconv.Itoa(resp.StatusCode) != c.status {
			t.Errorf("%s %q: %d, want %s", c.path, c.ua, resp.StatusCode, c.status)
			continue
		}
		if loc := resp.Header.Get("Location"); loc != c.loc {
			t.Errorf("%s %q: Location %q, want %q", c.path, c.ua, loc, c.loc)
		}
		if c.status == "200" && (body != c.body || resp.Header.Get("Content-Type") != "text/html") {
			t.Errorf("%s %q: %v\n%q, want %q", c.path, c.ua, resp.Header, body, c.body)
		}
	}
}
