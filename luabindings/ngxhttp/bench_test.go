package ngxhttp_test

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// Request-path benchmarks: one in-process server, one keep-alive
// connection, requests written and responses read without allocating on
// the client side, so allocs/op is the server's cost per request (plus
// the runtime's background work, which is small next to it).
const benchHTTP = `
server {
    listen 127.0.0.1:PORT;
    keepalive_requests 1000000000;
    location = /lua {
        content_by_lua_block { ngx.print("ok") }
    }
    location = /var {
        content_by_lua_block {
            local v = ngx.var
            local n = #v.uri + #v.host + #v.arg_id + #v.request_method + #v.http_user_agent
            ngx.print("ok")
        }
    }
    location = /headers {
        content_by_lua_block {
            local n = 0
            for k, v in pairs(ngx.req.get_headers()) do n = n + #k end
            ngx.print("ok")
        }
    }
    location = /uri_args {
        content_by_lua_block {
            local n = 0
            for k, v in pairs(ngx.req.get_uri_args()) do n = n + #k end
            ngx.print("ok")
        }
    }
}`

func benchGet(b *testing.B, path string) {
	s := httpdtest.Start(b, benchHTTP, "")
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := []byte("GET " + path + "?id=42&view=full&order=desc.created_at HTTP/1.1\r\nHost: bench.test\r\n" +
		"User-Agent: bench\r\nAccept: */*\r\n\r\n")
	br := bufio.NewReaderSize(conn, 4096)
	round := func() {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		if err := readResponse(br); err != nil {
			b.Fatal(err)
		}
	}
	round()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
}

var (
	clHeader      = []byte("content-length:")
	chunkedHeader = []byte("transfer-encoding: chunked")
	status200     = []byte("HTTP/1.1 200 ")
)

// readResponse reads one 200 response (Content-Length or chunked).
func readResponse(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, status200) {
		return &badStatus{string(line)}
	}
	cl, chunked := -1, false
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > len(clHeader) && bytes.EqualFold(line[:len(clHeader)], clHeader) {
			cl, _ = strconv.Atoi(string(bytes.TrimSpace(line[len(clHeader):])))
		} else if bytes.EqualFold(bytes.TrimSpace(line), chunkedHeader) {
			chunked = true
		}
	}
	if !chunked {
		_, err = br.Discard(cl)
		return err
	}
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return err
		}
		if _, err := br.Discard(int(n) + 2); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

type badStatus struct{ line string }

func (e *badStatus) Error() string { return "unexpected status line " + e.line }

// BenchmarkRequestToLua: request parse, phases, content_by_lua entry and
// the response, with Lua doing nothing else.
func BenchmarkRequestToLua(b *testing.B) { benchGet(b, "/lua") }

// BenchmarkVarRead: the same plus five ngx.var reads (uri, host, arg_id,
// request_method, http_user_agent).
func BenchmarkVarRead(b *testing.B) { benchGet(b, "/var") }

// BenchmarkGetURIArgs: the same plus ngx.req.get_uri_args() on three
// arguments, iterated.
func BenchmarkGetURIArgs(b *testing.B) { benchGet(b, "/uri_args") }

// BenchmarkGetHeaders: the same plus ngx.req.get_headers() on three
// request headers, iterated.
func BenchmarkGetHeaders(b *testing.B) { benchGet(b, "/headers") }
