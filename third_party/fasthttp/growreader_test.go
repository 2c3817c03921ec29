package fasthttp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// With InitialReadBufferSize a connection reads into a small buffer; a
// header that does not fit moves to a ReadBufferSize buffer with the bytes
// already read (a pipelined request after it included), and a header
// larger than ReadBufferSize still gets 431.
func TestServerInitialReadBufferGrows(t *testing.T) {
	t.Parallel()
	s := &Server{
		Handler: func(ctx *RequestCtx) {
			fmt.Fprintf(ctx, "%s %d %s", ctx.Path(), len(ctx.Request.Header.Peek("X-Big")), ctx.PostBody())
		},
		InitialReadBufferSize: 64,
		ReadBufferSize:        4096,
		ReduceMemoryUsage:     true,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go s.Serve(ln) //nolint:errcheck

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := strings.Repeat("b", 1000)
	// small, grown, pipelined small after a grown one with a body, then
	// small again on the (now large) reader
	wire := "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /2 HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n" +
		"POST /3 HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\nContent-Length: 4\r\n\r\nbody" +
		"GET /4 HTTP/1.1\r\nHost: a\r\n\r\n"
	if _, err := c.Write([]byte(wire)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, want := range []string{"/1 0 ", "/2 1000 ", "/3 1000 body", "/4 0 "} {
		var resp Response
		if err := resp.Read(br); err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if resp.StatusCode() != 200 || string(resp.Body()) != want {
			t.Fatalf("want %q, got %d %q", want, resp.StatusCode(), resp.Body())
		}
	}

	c2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("b", 5000) + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	var resp Response
	if err := resp.Read(bufio.NewReader(c2)); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if resp.StatusCode() != StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a header above ReadBufferSize: %d", resp.StatusCode())
	}
}

// The pools keep the two sizes apart.
func TestReleaseReaderBySize(t *testing.T) {
	s := &Server{InitialReadBufferSize: 64, ReadBufferSize: 4096}
	for range 10 {
		releaseReader(s, bufio.NewReaderSize(nil, 4096))
		releaseReader(s, bufio.NewReaderSize(nil, 64))
	}
	for v := s.readerPool.Get(); v != nil; v = s.readerPool.Get() {
		if n := v.(*bufio.Reader).Size(); n != 64 {
			t.Fatalf("a %d-byte reader in the initial pool", n)
		}
	}
	for v := s.largeReaders.Get(); v != nil; v = s.largeReaders.Get() {
		if n := v.(*bufio.Reader).Size(); n != 4096 {
			t.Fatalf("a %d-byte reader in the large pool", n)
		}
	}
}
