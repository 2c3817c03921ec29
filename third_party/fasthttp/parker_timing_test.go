//go:build linux

package fasthttp

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// One keep-alive connection, one request at a time, as a client that
// waits for each response: "plain" is upstream's loop, "park-50ms" is
// ParkIdleConns as goresty sets it (a busy connection is never parked),
// "park-always" parks between every two requests.
func BenchmarkServerKeepaliveParking(b *testing.B) {
	for _, bc := range []struct {
		name  string
		park  bool
		after time.Duration
	}{{"plain", false, 0}, {"park-50ms", true, 50 * time.Millisecond}, {"park-always", true, 0}} {
		b.Run(bc.name, func(b *testing.B) {
			s := &Server{
				Handler:           func(ctx *RequestCtx) { ctx.WriteString("ok") }, //nolint:errcheck
				ReduceMemoryUsage: true,
				StreamRequestBody: true,
				ParkIdleConns:     bc.park,
				ParkIdleAfter:     bc.after,
				IdleTimeout:       time.Minute,
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go s.Serve(ln)     //nolint:errcheck
			defer s.Shutdown() //nolint:errcheck
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
			var resp Response
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if err := resp.Read(br); err != nil {
					b.Fatal(err)
				}
				if _, err := io.Discard.Write(resp.Body()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
