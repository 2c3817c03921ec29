package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// upstream is a scripted HTTP upstream on a real socket: it reads each
// request head (and a body of a declared length) and lets the test's
// function answer on the raw connection, so that framing, timing and
// faults are the test's to choose.
type upstream struct {
	ln     net.Listener
	port   string
	conns  atomic.Int64
	mu     sync.Mutex
	heads  []string
	bodies []string
	// closed gets a value when a connection's peer (the proxy) closed it
	closed chan struct{}
}

// answer answers one request on c; it returns false to close c.
type answer func(c net.Conn, head string, body []byte) bool

func startUpstream(t *testing.T, fn answer) *upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{ln: ln, closed: make(chan struct{}, 16)}
	_, u.port, _ = net.SplitHostPort(ln.Addr().String())
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.conns.Add(1)
			go u.serve(c, fn)
		}
	}()
	return u
}

func (u *upstream) serve(c net.Conn, fn answer) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		head, err := readHead(br)
		if err != nil {
			if err == io.EOF {
				u.closed <- struct{}{}
			}
			return
		}
		var body []byte
		if n := headerValue(head, "Content-Length"); n != "" {
			k, _ := strconv.Atoi(n)
			body = make([]byte, k)
			io.ReadFull(br, body)
		}
		u.mu.Lock()
		u.heads = append(u.heads, head)
		u.bodies = append(u.bodies, string(body))
		u.mu.Unlock()
		if !fn(c, head, body) {
			return
		}
	}
}

func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		b.WriteString(l)
		if l == "\r\n" {
			return b.String(), nil
		}
	}
}

func headerValue(head, name string) string {
	for _, l := range strings.Split(head, "\r\n")[1:] {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// lastHead is the last request head the upstream read.
func (u *upstream) lastHead() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.heads) == 0 {
		return ""
	}
	return u.heads[len(u.heads)-1]
}

// reply writes a complete response with a Content-Length.
func reply(c net.Conn, body string, extra ...string) bool {
	h := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	io.WriteString(c, h+"\r\n"+body)
	return true
}

// rawTry is rawGet that also reports a response cut before its header
// ended (resp nil, err set).
func rawTry(t *testing.T, addr, raw string) (*http.Response, string, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // hang guard
	io.WriteString(c, raw)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// rawGet sends raw on a new connection and reads the response; err is
// what reading the body ended with (nil: read whole by its framing).
func rawGet(t *testing.T, addr, raw string) (*http.Response, string, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // hang guard
	io.WriteString(c, raw)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	for err == nil && resp.StatusCode == 100 {
		resp, err = http.ReadResponse(br, nil)
	}
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// waitFor polls cond (a hang guard, not a time limit of the behaviour).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waiting for %s", what)
}
