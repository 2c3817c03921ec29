package fasthttp

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// With EmptyLineEndsHeader an empty line ends the header block whatever
// the line ends are, however the bytes arrive; without it the block
// still needs a CRLFCRLF.
func TestRequestHeaderEmptyLineEnds(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 2, 3, 64} {
		for _, tc := range []struct {
			wire, host, rest string
		}{
			{"GET / HTTP/1.1\nHost: a\n\nrest", "a", "rest"},
			{"GET / HTTP/1.1\r\nHost: a\n\nrest", "a", "rest"},
			{"GET / HTTP/1.1\r\nHost: a\r\n\nrest", "a", "rest"},
			{"GET / HTTP/1.1\nHost: a\nX: y\n\r\nrest", "a", "rest"},
			{"GET / HTTP/1.0\n\nrest", "", "rest"},
			{"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest", "a", "rest"},
		} {
			br := bufio.NewReader(&fragmentReader{data: []byte(tc.wire), size: size})
			var h RequestHeader
			h.emptyLineEnds = true
			if err := h.Read(br); err != nil {
				t.Fatalf("%q in %d-byte reads: %v", tc.wire, size, err)
			}
			if string(h.Host()) != tc.host {
				t.Fatalf("%q: host %q", tc.wire, h.Host())
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != tc.rest {
				t.Fatalf("%q: left %q", tc.wire, rest)
			}
		}
	}
	var h RequestHeader
	if err := h.Read(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\nHost: a\n\n"))); err == nil {
		t.Fatal("a bare-LF block accepted without emptyLineEnds")
	}
}

// A request whose header ends in "\n\n" is answered without waiting for
// more bytes (the deadline only guards against a hang).
func TestServerEmptyLineEndsHeader(t *testing.T) {
	t.Parallel()
	s := &Server{
		Handler:             func(ctx *RequestCtx) { ctx.WriteString("host " + string(ctx.Host())) }, //nolint:errcheck
		EmptyLineEndsHeader: true,
		ReadTimeout:         time.Minute,
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
	c.SetDeadline(time.Now().Add(10 * time.Second))                             //nolint:errcheck
	io.WriteString(c, "GET / HTTP/1.1\nHost: a\n\nGET / HTTP/1.1\nHost: b\n\n") //nolint:errcheck
	br := bufio.NewReader(c)
	for _, want := range []string{"host a", "host b"} {
		var resp Response
		if err := resp.Read(br); err != nil {
			t.Fatal(err)
		}
		if string(resp.Body()) != want {
			t.Fatalf("%q, want %q", resp.Body(), want)
		}
	}
}
