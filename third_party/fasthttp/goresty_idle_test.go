package fasthttp

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// SetIdleTimeout replaces the server's idle timeout for the wait after
// the response that set it: the connection closes although the server's
// IdleTimeout is an hour. The test waits for the close, not for a time.
func TestSetIdleTimeoutPerResponse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		IdleTimeout: time.Hour,
		Handler: func(ctx *RequestCtx) {
			if string(ctx.Path()) == "/short" {
				ctx.SetIdleTimeout(time.Millisecond)
			}
			ctx.WriteString("ok")
		},
	}
	go s.Serve(ln)
	defer s.Shutdown()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var resp Response
	// a plain request first: the connection stays for the next one
	for _, p := range []string{"/plain", "/short"} {
		if _, err := c.Write([]byte("GET " + p + " HTTP/1.1\r\nHost: a\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := resp.Read(br); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if string(resp.Body()) != "ok" || resp.ConnectionClose() {
			t.Fatalf("%s: %q close=%v", p, resp.Body(), resp.ConnectionClose())
		}
	}
	if n, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after /short: %v %v, want EOF (closed by the idle timeout)", n, err)
	}
}

// A handler that writes its response to the connection itself keeps the
// connection (ResponseWrittenByHandler), and with FlushPipelined the
// responses of pipelined requests stay in order.
func TestResponseWrittenByHandlerPipelined(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Handler: func(ctx *RequestCtx) {
			switch string(ctx.Path()) {
			case "/self", "/self-close":
				ctx.Hijack(func(net.Conn) {}) // undone below
				ctx.HijackSetNoResponse(true)
				if err := ctx.FlushPipelined(); err != nil {
					t.Error(err)
				}
				ctx.Conn().Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nself"))
				ctx.ResponseWrittenByHandler()
				if string(ctx.Path()) == "/self-close" {
					ctx.SetConnectionClose()
				}
			default:
				ctx.WriteString(string(ctx.Path()))
			}
		},
	}
	go s.Serve(ln)
	defer s.Shutdown()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var req string
	for _, p := range []string{"/a", "/self", "/b", "/self", "/c", "/self-close", "/d"} {
		req += "GET " + p + " HTTP/1.1\r\nHost: x\r\n\r\n"
	}
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var resp Response
	for _, want := range []string{"/a", "self", "/b", "self", "/c", "self"} {
		if err := resp.Read(br); err != nil {
			t.Fatalf("want %s: %v", want, err)
		}
		if string(resp.Body()) != want {
			t.Fatalf("body %q, want %q", resp.Body(), want)
		}
	}
	if b, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after /self-close: %q %v, want EOF", b, err)
	}
}
