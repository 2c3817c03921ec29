package proxy_test

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
	"github.com/valyala/fasthttp"
)

// BenchmarkProxyRoundTrip: one request through proxy_pass to a keep-alive
// upstream (an in-process fasthttp server answering a 323-byte JSON body,
// as the shared bench's upstream), over one client keep-alive connection.
// allocs/op counts the proxy and the upstream server together; the
// client side does not allocate.
func BenchmarkProxyRoundTrip(b *testing.B) {
	body := `[{"id":1,"name":"alice","email":"alice@example.com","active":true},` +
		`{"id":2,"name":"bob","email":"bob@example.com","active":false},` +
		`{"id":3,"name":"carol","email":"carol@example.com","active":true},` +
		`{"id":4,"name":"dave","email":"dave@example.com","active":true}]`
	up := &fasthttp.Server{Handler: func(fc *fasthttp.RequestCtx) {
		fc.SetContentType("application/json")
		fc.SetBodyString(body)
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go up.Serve(ln)
	defer up.Shutdown()
	s := httpdtest.Start(b, strings.ReplaceAll(`
upstream backend { server UP; keepalive 64; }
server {
    listen 127.0.0.1:PORT;
    keepalive_requests 1000000000;
    location / {
        proxy_pass http://backend;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
}`, "UP", ln.Addr().String()), "")
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := []byte("GET /rest/users?select=id,name HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	br := bufio.NewReaderSize(conn, 4096)
	round := func() {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		if n, err := readResponse(br); err != nil || n != len(body) {
			b.Fatalf("response body %d bytes, %v", n, err)
		}
	}
	round()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
}

var clHeader = []byte("content-length:")

// readResponse reads one 200 response with a Content-Length and returns
// the body length.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return 0, &net.AddrError{Err: "unexpected status line", Addr: string(line)}
	}
	cl := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > len(clHeader) && bytes.EqualFold(line[:len(clHeader)], clHeader) {
			cl, _ = strconv.Atoi(string(bytes.TrimSpace(line[len(clHeader):])))
		}
	}
	if cl < 0 {
		return 0, &net.AddrError{Err: "no Content-Length"}
	}
	return br.Discard(cl)
}
