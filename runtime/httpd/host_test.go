package httpd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// The Host header as nginx 1.22's ngx_http_validate_host and
// ngx_http_process_host take it: the port and one trailing dot dropped,
// lower case, IPv6 literals kept whole; "." and ".." segments, path
// separators, spaces and control bytes, an empty name, a second Host
// header and an HTTP/1.1 request without one are 400. Run on goresty and,
// with NGX_REFERENCE set, on nginx.
func TestHostAsNginx(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT default_server;
    server_name dflt;
    location / { return 200 "$host|$server_name\n"; }
}
server {
    listen 127.0.0.1:PORT;
    server_name a.example [::1] é.example;
    location / { return 200 "$host|$server_name\n"; }
}`, os.Getenv("NGX_REFERENCE"))
	cases := []struct {
		name, head string // head: the header lines after the request line
		status     int
		body       string
	}{
		{"plain", "Host: a.example", 200, "a.example|a.example"},
		{"upper case", "Host: A.EXAMPLE", 200, "a.example|a.example"},
		{"trailing dot", "Host: a.example.", 200, "a.example|a.example"},
		{"port", "Host: a.example:8080", 200, "a.example|a.example"},
		{"trailing dot and port", "Host: A.Example.:8080", 200, "a.example|a.example"},
		{"empty port", "Host: a.example:", 200, "a.example|a.example"},
		{"two colons", "Host: a.example:b:c", 200, "a.example|a.example"},
		{"dot in the port", "Host: a.example:8.0.", 200, "a.example|a.example"},
		{"leading dot", "Host: .a.example", 200, ".a.example|dflt"},
		// a dot in the port is the last dot seen: the name keeps its own
		{"trailing dot kept by a dot in the port", "Host: a.example.:80.", 200, "a.example.|dflt"},
		{"only a dot, dot in the port", "Host: .:00.0", 200, ".|dflt"},
		{"IPv6 literal", "Host: [::1]", 200, "[::1]|a.example"},
		{"IPv6 literal and port", "Host: [::1]:80", 200, "[::1]|a.example"},
		{"IPv6 literal upper case", "Host: [::A]:80", 200, "[::a]|dflt"},
		{"IPv6 literal unclosed", "Host: [::1", 200, "[::1|dflt"},
		{"IPv6 literal then bytes", "Host: [::1]x", 200, "[::1]|a.example"},
		{"bracket not first", "Host: a[::1]:80", 200, "a[|dflt"},
		{"UTF-8", "Host: \xc3\xa9.example", 200, "\xc3\xa9.example|a.example"},
		{"underscore", "Host: a_b", 200, "a_b|dflt"},
		{"trailing spaces", "Host: a.example   ", 200, "a.example|a.example"},
		{"other headers duplicated", "Host: a.example\r\nX-A: 1\r\nX-A: 2", 200, "a.example|a.example"},
		{"empty", "Host: ", 400, ""},
		{"empty, no space", "Host:", 400, ""},
		{"only a port", "Host: :80", 400, ""},
		{"only a dot", "Host: .", 400, ""},
		{"two dots", "Host: ..", 400, ""},
		{"dot dot inside", "Host: a..example", 400, ""},
		{"dot dot at the end", "Host: a.example..", 400, ""},
		{"dot dot in the port", "Host: a.example:..", 400, ""},
		{"dot dot in a literal", "Host: [::1..]", 400, ""},
		{"slash", "Host: a/b", 400, ""},
		{"space inside", "Host: a b", 400, ""},
		{"tab inside", "Host: a\tb", 400, ""},
		{"DEL", "Host: a\x7f", 400, ""},
		{"control byte", "Host: a\x01b", 400, ""},
		{"NUL", "Host: a\x00b", 400, ""},
		{"duplicate", "Host: a.example\r\nHost: a.example", 400, ""},
		{"duplicate, other case", "Host: a.example\r\nhost: b", 400, ""},
		{"duplicate, second empty", "Host: a.example\r\nHost: ", 400, ""},
		{"none on HTTP/1.1", "X-A: b", 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := "GET / HTTP/1.1\r\n" + c.head + "\r\n\r\n"
			resp, body, conn := s.Exchange(t, raw)
			conn.Close()
			if resp.StatusCode != c.status || (c.status == 200 && body != c.body+"\n") {
				t.Fatalf("%q: got %d %q, want %d %q", raw, resp.StatusCode, body, c.status, c.body)
			}
			if c.status == 400 && !resp.Close {
				t.Fatalf("%q: connection kept after a 400", raw)
			}
		})
	}
	// HTTP/1.0 needs no Host; an empty one is still refused
	for _, c := range []struct {
		raw    string
		status int
		body   string
	}{
		{"GET / HTTP/1.0\r\n\r\n", 200, "dflt|dflt\n"},
		{"GET / HTTP/1.0\r\nHost: \r\n\r\n", 400, ""},
		{"GET / HTTP/1.0\r\nHost: A.example.\r\n\r\n", 200, "a.example|a.example\n"},
		// the request line's host wins, validated the same way; the Host
		// header is still checked
		{"GET http://A.Example.:99/ HTTP/1.1\r\nHost: b\r\n\r\n", 200, "a.example|a.example\n"},
		{"GET http://a.example/ HTTP/1.1\r\nHost: ..\r\n\r\n", 400, ""},
		{"GET http://../ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400, ""},
		{"GET http://a..b/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400, ""},
		{"GET http://[::1]:80/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 200, "[::1]|a.example\n"},
		{"GET http://A.example?x HTTP/1.1\r\nHost: b\r\n\r\n", 200, "a.example|a.example\n"},
		{"GET ftp://a.example/ HTTP/1.1\r\nHost: b\r\n\r\n", 200, "a.example|a.example\n"},
		{"GET web+x://a.example/ HTTP/1.1\r\nHost: b\r\n\r\n", 200, "a.example|a.example\n"},
		{"GET http://a_b/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400, ""},
		{"GET http://a.example:8x/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400, ""},
		{"GET http://[::1/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400, ""},
		{"GET http://[::1]x/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400, ""},
		{"GET http://a.example/ HTTP/1.1\r\n\r\n", 400, ""},
	} {
		resp, body, conn := s.Exchange(t, c.raw)
		conn.Close()
		if resp.StatusCode != c.status || (c.status == 200 && body != c.body) {
			t.Errorf("%q: got %d %q, want %d %q", c.raw, resp.StatusCode, body, c.status, c.body)
		}
	}
	log := s.ErrorLog()
	for _, want := range []string{
		"client sent invalid host header while reading client request headers",
		"client sent duplicate host header: \"Host: a.example\", previous value: \"Host: a.example\" while reading client request headers",
		"client sent HTTP/1.1 request without \"Host\" header while reading client request headers",
		"client sent invalid host in request line while reading client request line",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q", want)
		}
	}
}

// Headers nginx takes once: a second one is a 400 (Content-Length,
// Transfer-Encoding, Expect, Authorization, the conditionals), as are a
// Content-Length that is not a number and Transfer-Encoding on HTTP/1.0.
func TestUniqueRequestHeaders(t *testing.T) {
	s := httpdtest.Start(t, `
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "ok\n"; }
}`, os.Getenv("NGX_REFERENCE"))
	for _, name := range []string{"If-Modified-Since", "If-Unmodified-Since", "If-Match", "If-None-Match",
		"Content-Length", "Content-Range", "If-Range", "Transfer-Encoding", "Expect", "Authorization"} {
		v := "x"
		switch name {
		case "Content-Length":
			v = "0"
		case "Transfer-Encoding":
			v = "chunked"
		case "Expect":
			v = "100-continue"
		}
		raw := "POST / HTTP/1.1\r\nHost: a\r\n" + name + ": " + v + "\r\n" + strings.ToLower(name) + ": " + v + "\r\n\r\n"
		if name == "Transfer-Encoding" {
			raw += "0\r\n\r\n"
		}
		resp, _, conn := s.Exchange(t, raw)
		conn.Close()
		if resp.StatusCode != 400 || !resp.Close {
			t.Errorf("duplicate %s: %d close=%v", name, resp.StatusCode, resp.Close)
		}
	}
	for _, c := range []struct {
		raw    string
		status int
	}{
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400},
		{"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nCookie: a\r\nCookie: b\r\nAccept: x\r\nAccept: y\r\n\r\n", 200},
	} {
		resp, _, conn := s.Exchange(t, c.raw)
		conn.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%q: %d, want %d", c.raw, resp.StatusCode, c.status)
		}
	}
	log := s.ErrorLog()
	for _, want := range []string{
		// nginx shows both values; goresty shows none (Authorization is one of these)
		"client sent duplicate header line: \"if-match: ",
		"client sent invalid \"Content-Length\" header while reading client request headers",
		"client sent HTTP/1.0 request with \"Transfer-Encoding\" header while reading client request headers",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q:\n%s", want, log)
		}
	}
}
