//go:build linux

package fasthttp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func startParkingServer(t *testing.T, idle time.Duration) (*Server, string) {
	t.Helper()
	s := &Server{
		Handler: func(ctx *RequestCtx) {
			fmt.Fprintf(ctx, "conn %d request %d", ctx.ConnID(), ctx.ConnRequestNum())
		},
		ReduceMemoryUsage: true,
		StreamRequestBody: true,
		ParkIdleConns:     true,
		IdleTimeout:       idle,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Serve(ln) //nolint:errcheck
		close(done)
	}()
	t.Cleanup(func() {
		s.Shutdown() //nolint:errcheck
		<-done
	})
	return s, ln.Addr().String()
}

func parkedRequest(t *testing.T, c net.Conn, br *bufio.Reader) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck // hang guard
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	var resp Response
	if err := resp.Read(br); err != nil {
		t.Fatal(err)
	}
	return string(resp.Body())
}

// waitParked waits until n connections are parked (the loop only guards
// against a hang).
func waitParked(t *testing.T, s *Server, n int) {
	t.Helper()
	for i := 0; s.GetParkedConnectionsCount() != n; i++ {
		if i > 10000 {
			t.Fatalf("%d parked connections, want %d", s.GetParkedConnectionsCount(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// An idle keep-alive connection is parked without a goroutine and resumed
// where it stopped when its next request arrives: same connection, the
// request count goes on.
func TestServerParkIdleConns(t *testing.T) {
	s, addr := startParkingServer(t, time.Minute)
	conns := make([]net.Conn, 3)
	readers := make([]*bufio.Reader, 3)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i], readers[i] = c, bufio.NewReader(c)
		parkedRequest(t, c, readers[i])
	}
	waitParked(t, s, 3)
	for round := 2; round <= 4; round++ {
		for i, c := range conns {
			body := parkedRequest(t, c, readers[i])
			if !strings.HasSuffix(body, fmt.Sprintf(" request %d", round)) {
				t.Fatalf("connection %d round %d: %q", i, round, body)
			}
		}
		waitParked(t, s, 3)
	}
	if n := s.GetOpenConnectionsCount(); n != 3 {
		t.Fatalf("%d open connections, want 3", n)
	}
	// a client closing a parked connection ends it
	conns[0].Close()
	waitParked(t, s, 2)
	for i := 0; s.GetOpenConnectionsCount() != 2; i++ {
		if i > 10000 {
			t.Fatalf("%d open connections after a close, want 2", s.GetOpenConnectionsCount())
		}
		time.Sleep(time.Millisecond)
	}
}

// Pipelined requests are served from the buffer, not parked in between.
func TestServerParkIdleConnsPipelined(t *testing.T) {
	_, addr := startParkingServer(t, time.Minute)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))                           //nolint:errcheck // hang guard
	io.WriteString(c, strings.Repeat("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 5)) //nolint:errcheck
	br := bufio.NewReader(c)
	for i := 1; i <= 5; i++ {
		var resp Response
		if err := resp.Read(br); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(resp.Body()), fmt.Sprintf(" request %d", i)) {
			t.Fatalf("%d: %q", i, resp.Body())
		}
	}
}

// The idle timeout closes a parked connection.
func TestServerParkIdleTimeout(t *testing.T) {
	s, addr := startParkingServer(t, 50*time.Millisecond)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	parkedRequest(t, c, br)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("parked connection past the idle timeout: %v, want EOF", err)
	}
	waitParked(t, s, 0)
}

// Shutdown closes parked connections and returns.
func TestServerParkShutdown(t *testing.T) {
	s, addr := startParkingServer(t, time.Minute)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	parkedRequest(t, c, br)
	waitParked(t, s, 1)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second): // hang guard
		t.Fatal("Shutdown did not return with a parked connection")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("parked connection after Shutdown: %v, want EOF", err)
	}
}
