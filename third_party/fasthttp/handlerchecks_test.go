package fasthttp

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// With HandlerChecksHeader the heads nginx judges differently from
// fasthttp reach HeaderReceived and the handler: a second Host (the
// first kept), no Host on HTTP/1.1, a second Transfer-Encoding,
// Transfer-Encoding on HTTP/1.0, and a Host or target that is not a URL
// host Go accepts. Without it they stay parse errors.
func TestServerHandlerChecksHeader(t *testing.T) {
	t.Parallel()
	heads := []struct{ wire, host string }{
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "a"},
		{"GET / HTTP/1.1\r\nX: y\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", "a:b:c"},
		{"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "[::1"},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "a"},
		{"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "a"},
	}
	for _, checks := range []bool{true, false} {
		var seen []string
		s := &Server{
			Handler: func(ctx *RequestCtx) {
				ctx.WriteString("host " + string(ctx.Request.Header.Host())) //nolint:errcheck
			},
			HeaderReceived: func(h *RequestHeader) RequestConfig {
				seen = append(seen, string(h.Host()))
				return RequestConfig{}
			},
			HandlerChecksHeader: checks,
			ReadTimeout:         time.Minute,
		}
		for _, hd := range heads {
			c, sc := net.Pipe()
			go s.ServeConn(sc)                              //nolint:errcheck
			c.SetDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
			go io.WriteString(c, hd.wire)                   //nolint:errcheck
			var resp Response
			err := resp.Read(bufio.NewReader(c))
			c.Close()
			if err != nil {
				t.Fatalf("%q: %v", hd.wire, err)
			}
			if checks && (resp.StatusCode() != 200 || string(resp.Body()) != "host "+hd.host) {
				t.Fatalf("%q: %d %q", hd.wire, resp.StatusCode(), resp.Body())
			}
			if !checks && resp.StatusCode() != 400 {
				t.Fatalf("without HandlerChecksHeader, %q: %d", hd.wire, resp.StatusCode())
			}
		}
		if checks && len(seen) != len(heads) {
			t.Fatalf("HeaderReceived saw %q", seen)
		}
	}
}
