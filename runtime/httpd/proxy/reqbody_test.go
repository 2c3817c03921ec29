package proxy_test

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// proxy_request_buffering off: the upstream gets the first part of the
// body before the client has sent the rest; a chunked body goes on
// chunked over HTTP/1.1.
func TestRequestBufferingOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type seen struct{ head, first string }
	firstPart := make(chan seen, 1)
	rest := make(chan string, 1)
	firstSize := make(chan int, 1) // how much of the body the client sends first
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second)) // hang guard
				br := bufio.NewReader(c)
				head, err := readHead(br)
				if err != nil {
					return
				}
				buf := make([]byte, <-firstSize)
				if _, err := io.ReadFull(br, buf); err != nil {
					return
				}
				firstPart <- seen{head, string(buf)}
				all, _ := readAllUntil(br, head)
				rest <- all
				reply(c, "done")
			}(c)
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    proxy_request_buffering off;
    proxy_http_version 1.1;
    location / { proxy_pass http://127.0.0.1:`+port+`; }
}`)
	for _, c := range []struct {
		head, part1, part2, wantFirst, wantRest, te string
	}{
		// the first bytes go upstream at once, before the rest arrives
		{"POST /len HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 10\r\n\r\n",
			"first", "secnd", "first", "secnd", ""},
		{"POST /len HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(bigFirst+5) + "\r\n\r\n",
			strings.Repeat("f", bigFirst), "secnd", strings.Repeat("f", bigFirst), "secnd", ""},
		{"POST /chunked HTTP/1.1\r\nHost: h\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nfirst\r\n", "5\r\nsecnd\r\n0\r\n\r\n",
			"5\r\nfirst\r\n", "5\r\nsecnd\r\n0\r\n\r\n", "chunked"},
	} {
		firstSize <- len(c.wantFirst)
		conn, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(conn, c.head+c.part1)
		select {
		case got := <-firstPart:
			if got.first[:5] != c.wantFirst[:5] || len(got.first) != len(c.wantFirst) || headerValue(got.head, "Transfer-Encoding") != c.te {
				t.Errorf("first part upstream: %q, head %q", got.first, got.head)
			}
		case <-time.After(20 * time.Second): // hang guard
			t.Fatalf("%s: the upstream got nothing before the body was complete", c.head[:10])
		}
		io.WriteString(conn, c.part2)
		if got := <-rest; got != c.wantRest {
			t.Errorf("rest upstream: %q", got)
		}
		b, _ := io.ReadAll(conn)
		if !strings.HasSuffix(string(b), "done") {
			t.Errorf("answer %q", b)
		}
		conn.Close()
	}
}

const bigFirst = 9000

// readAllUntil reads the rest of a body: 5 bytes for a length, up to the
// last chunk for a chunked one.
func readAllUntil(br *bufio.Reader, head string) (string, error) {
	if !strings.Contains(head, "chunked") {
		b := make([]byte, 5)
		_, err := io.ReadFull(br, b)
		return string(b), err
	}
	var sb strings.Builder
	for !strings.HasSuffix(sb.String(), "0\r\n\r\n") {
		l, err := br.ReadString('\n')
		sb.WriteString(l)
		if err != nil {
			return sb.String(), err
		}
	}
	return sb.String(), nil
}
