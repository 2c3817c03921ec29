package fasthttp

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// With StreamBodyNoWait the handler runs once the header is in, before
// the client sends more than the first bytes of its body, and reads the
// rest through the stream; the next request on the connection follows.
// The handler tells the client when it runs; the client sends the rest
// only then, so without the option the exchange would wait for 8 KiB.
func TestServerStreamBodyNoWait(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, head, first, rest string
		body                    string
	}{
		{"length", "Content-Length: 20000\r\n", "0123456789", strings.Repeat("x", 19990), "0123456789" + strings.Repeat("x", 19990)},
		{"chunked", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n", "hello world"},
		{"continue", "Content-Length: 20000\r\nExpect: 100-continue\r\n", "", "0123456789" + strings.Repeat("x", 19990), "0123456789" + strings.Repeat("x", 19990)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := make(chan struct{}, 2)
			s := &Server{
				Handler: func(ctx *RequestCtx) {
					called <- struct{}{}
					st := ctx.RequestBodyStream()
					if st == nil {
						return
					}
					b, err := io.ReadAll(st)
					if err != nil {
						ctx.SetStatusCode(500)
						return
					}
					ctx.WriteString(string(b)) //nolint:errcheck
				},
				StreamRequestBody: true,
				StreamBodyNoWait:  true,
				ReadTimeout:       time.Minute,
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go s.Serve(ln)     //nolint:errcheck
			defer s.Shutdown() //nolint:errcheck
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(time.Minute)) //nolint:errcheck
			br := bufio.NewReader(c)
			if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: a\r\n"+tc.head+"\r\n"+tc.first); err != nil {
				t.Fatal(err)
			}
			if tc.name == "continue" {
				line, err := br.ReadString('\n')
				if err != nil || !strings.Contains(line, "100 Continue") {
					t.Fatalf("%q %v", line, err)
				}
				if _, err := br.ReadString('\n'); err != nil {
					t.Fatal(err)
				}
			}
			<-called
			if _, err := io.WriteString(c, tc.rest+"GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			var resp Response
			if err := resp.Read(br); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 200 || string(resp.Body()) != tc.body {
				t.Fatalf("%d %d bytes", resp.StatusCode(), len(resp.Body()))
			}
			<-called
			resp.Reset()
			if err := resp.Read(br); err != nil || resp.StatusCode() != 200 {
				t.Fatalf("second request: %v %d", err, resp.StatusCode())
			}
		})
	}
}
