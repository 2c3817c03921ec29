package ngxhttp_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"

	_ "github.com/goresty/goresty/luabindings/all"
)

// rsServer is a goresty serving an http{} body (PORT replaced by the
// port); NGX_REFERENCE=/usr/sbin/nginx runs the cases against nginx.
type rsServer struct {
	addr string
	dir  string
}

func rsStart(t *testing.T, httpConf string) *rsServer {
	t.Helper()
	hs := httpdtest.Start(t, httpConf, os.Getenv("NGX_REFERENCE"))
	return &rsServer{addr: hs.Addr, dir: hs.Prefix}
}

func (s *rsServer) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "logs/error.log"))
	return string(b)
}

// waitLog waits until the error log holds want.
func (s *rsServer) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.errorLog(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("error log lacks %q:\n%s", want, s.errorLog())
}

// raw sends a request and returns everything the server sends until it
// closes the connection.
func (s *rsServer) raw(t *testing.T, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading response: %v (got %q)", err, b)
	}
	return string(b)
}

// body is the response body, de-chunked (nginx streams what goresty
// sends with a length).
func body(resp string) string {
	i := strings.Index(resp, "\r\n\r\n")
	if i < 0 {
		return ""
	}
	head, b := resp[:i], resp[i+4:]
	if !strings.Contains(head, "\r\nTransfer-Encoding: chunked") {
		return b
	}
	var out strings.Builder
	for {
		j := strings.Index(b, "\r\n")
		if j < 0 {
			return out.String() + "<bad chunk>"
		}
		var n int
		fmt.Sscanf(b[:j], "%x", &n)
		if n == 0 || j+2+n > len(b) {
			return out.String()
		}
		out.WriteString(b[j+2 : j+2+n])
		b = b[j+2+n:]
		b = strings.TrimPrefix(b, "\r\n")
	}
}

// ---- a minimal RFC 6455 client ----

type wsClient struct {
	c  net.Conn
	br *bufio.Reader
}

func wsDial(t *testing.T, addr, path string) (*wsClient, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n", path, key)
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("handshake: %v after %q", err, head.String())
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	want := "Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
	if !strings.Contains(head.String(), want) {
		t.Fatalf("handshake response lacks %q:\n%s", want, head.String())
	}
	return &wsClient{c: c, br: br}, head.String()
}

func (w *wsClient) send(t *testing.T, op byte, payload []byte) {
	t.Helper()
	var f []byte
	f = append(f, 0x80|op)
	switch n := len(payload); {
	case n <= 125:
		f = append(f, 0x80|byte(n))
	case n <= 65535:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f = append(f, mask[:]...)
	for i, b := range payload {
		f = append(f, b^mask[i%4])
	}
	if _, err := w.c.Write(f); err != nil {
		t.Fatal(err)
	}
}

// recv reads one frame; server frames must not be masked.
func (w *wsClient) recv(t *testing.T) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	if h[0]&0x80 == 0 {
		t.Fatalf("fragmented frame")
	}
	if h[1]&0x80 != 0 {
		t.Fatalf("server frame is masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(w.br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(w.br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(w.br, p); err != nil {
		t.Fatalf("frame payload: %v", err)
	}
	return h[0] & 0x0f, p
}

const wsConf = `
lua_package_path "/usr/share/lua/5.1/?.lua;;";
server {
    listen 127.0.0.1:PORT;
    location = /echo {
        content_by_lua_block {
            local server = require "nginx.websocket.server"
            local wb, err = server:new{ timeout = 5000, max_payload_len = 100000 }
            if not wb then
                ngx.log(ngx.ERR, "failed to new websocket: ", err)
                return ngx.exit(400)
            end
            while true do
                local data, typ, err = wb:recv_frame()
                if not data then
                    ngx.log(ngx.ERR, "failed to receive a frame: ", err)
                    return ngx.exit(444)
                end
                if typ == "close" then
                    wb:send_close(1000, "bye " .. tostring(err) .. " " .. data)
                    ngx.log(ngx.INFO, "websocket closed by the client")
                    return
                elseif typ == "ping" then
                    wb:send_pong(data)
                elseif typ == "text" then
                    if data == "ping me" then
                        wb:send_ping("from server")
                    else
                        wb:send_text("echo: " .. data)
                    end
                elseif typ == "pong" then
                    wb:send_text("got pong: " .. data)
                else
                    wb:send_binary(data)
                end
            end
        }
    }
    location = /timeout {
        content_by_lua_block {
            local server = require "nginx.websocket.server"
            local wb = assert(server:new{ timeout = 100 })
            local data, typ, err = wb:recv_frame()
            wb:send_text(tostring(data) .. " " .. tostring(typ) .. " " .. tostring(err))
        }
    }
    location = /late {
        content_by_lua_block {
            ngx.say("already")
            ngx.flush(true)
            local server = require "nginx.websocket.server"
            local wb, err = server:new()
            ngx.log(ngx.ERR, "late: ", wb, " ", err)
        }
    }
}
`

func needWebsocketLib(t *testing.T) {
	if _, err := os.Stat("/usr/share/lua/5.1/nginx/websocket/server.lua"); err != nil {
		t.Skip("Debian's lua-nginx-websocket is not installed (apt-get install lua-nginx-websocket)")
	}
}

// Debian's lua-resty-websocket server runs unchanged on ngx.req.socket(true).
func TestReqSocketWebSocketEcho(t *testing.T) {
	needWebsocketLib(t)
	s := rsStart(t, wsConf)
	w, head := wsDial(t, s.addr, "/echo")
	if !strings.HasPrefix(head, "HTTP/1.1 101 Switching Protocols\r\n") {
		t.Fatalf("status line: %q", head)
	}
	for _, want := range []string{"\r\nConnection: upgrade\r\n", "\r\nUpgrade: websocket\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("101 head lacks %q:\n%s", want, head)
		}
	}
	for _, bad := range []string{"Transfer-Encoding", "Content-Length", "Content-Type"} {
		if strings.Contains(head, bad) {
			t.Errorf("101 head has %s:\n%s", bad, head)
		}
	}
	w.send(t, 0x1, []byte("hello"))
	if op, p := w.recv(t); op != 0x1 || string(p) != "echo: hello" {
		t.Fatalf("echo: op %x %q", op, p)
	}
	// 16-bit and 64-bit payload lengths, masked in Lua through ffi buffers
	for _, n := range []int{300, 70000} {
		msg := bytes.Repeat([]byte("abcdefg"), n/7+1)[:n]
		w.send(t, 0x1, msg)
		if op, p := w.recv(t); op != 0x1 || string(p) != "echo: "+string(msg) {
			t.Fatalf("echo of %d bytes: op %x, %d bytes", n, op, len(p))
		}
	}
	bin := []byte{0, 1, 2, 0xff, 0x80, 0x7f}
	w.send(t, 0x2, bin)
	if op, p := w.recv(t); op != 0x2 || !bytes.Equal(p, bin) {
		t.Fatalf("binary: op %x %v", op, p)
	}
	w.send(t, 0x9, []byte("are you there"))
	if op, p := w.recv(t); op != 0xa || string(p) != "are you there" {
		t.Fatalf("pong: op %x %q", op, p)
	}
	w.send(t, 0x1, []byte("ping me"))
	op, p := w.recv(t)
	if op != 0x9 || string(p) != "from server" {
		t.Fatalf("server ping: op %x %q", op, p)
	}
	w.send(t, 0xa, p)
	if op, p := w.recv(t); op != 0x1 || string(p) != "got pong: from server" {
		t.Fatalf("after pong: op %x %q", op, p)
	}
	w.send(t, 0x8, append([]byte{0x03, 0xe8}, "done"...))
	op, p = w.recv(t)
	if op != 0x8 || len(p) < 2 || binary.BigEndian.Uint16(p) != 1000 || string(p[2:]) != "bye 1000 done" {
		t.Fatalf("close: op %x %q", op, p)
	}
	// the handler ended: the connection is closed
	if _, err := w.br.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed after the handler: %v", err)
	}
	s.waitLog(t, "websocket closed by the client")
	if strings.Contains(s.errorLog(), "[error]") {
		t.Fatalf("errors logged:\n%s", s.errorLog())
	}
}

// Many websocket handlers block in recv_frame on one worker at once.
func TestReqSocketWebSocketConcurrent(t *testing.T) {
	needWebsocketLib(t)
	s := rsStart(t, wsConf)
	const n = 30
	clients := make([]*wsClient, n)
	for i := range clients {
		clients[i], _ = wsDial(t, s.addr, "/echo")
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i, w := range clients {
		wg.Add(1)
		go func(i int, w *wsClient) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				msg := fmt.Sprintf("client %d message %d", i, j)
				w.send(t, 0x1, []byte(msg))
				op, p := w.recv(t)
				if op != 0x1 || string(p) != "echo: "+msg {
					errs <- fmt.Sprintf("client %d: op %x %q", i, op, p)
					return
				}
			}
			w.send(t, 0x8, nil)
			if op, _ := w.recv(t); op != 0x8 {
				errs <- fmt.Sprintf("client %d: no close frame", i)
			}
		}(i, w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestReqSocketWebSocketTimeoutAndLate(t *testing.T) {
	needWebsocketLib(t)
	s := rsStart(t, wsConf)
	w, _ := wsDial(t, s.addr, "/timeout")
	// the frame's text says the read ended by its timeout (and the log
	// line below): no clock needed
	op, p := w.recv(t)
	if op != 0x1 || string(p) != "nil nil failed to receive the first 2 bytes: timeout" {
		t.Fatalf("timeout frame: op %x %q", op, p)
	}
	s.waitLog(t, "lua tcp socket read timed out")

	// the library refuses once the header went out
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /late HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a2V5\r\nSec-WebSocket-Version: 13\r\n\r\n")
	s.waitLog(t, "late: nil response header already sent")
}

const bodyConf = `
server {
    listen 127.0.0.1:PORT;
    location = /chunks {
        content_by_lua_block {
            local sock, err = ngx.req.socket()
            if not sock then
                ngx.say("failed to get the body socket: ", err)
                return
            end
            ngx.say("send: ", tostring(sock.send), ", close: ", tostring(sock.close))
            sock:settimeout(1000)
            while true do
                local data, err, partial = sock:receive(4)
                if not data then
                    ngx.say("err: ", err, ", partial: ", partial)
                    break
                end
                ngx.say("chunk: ", data)
            end
            ngx.say("again: ", tostring(sock:receive(1)))
            ngx.say("second socket: ", tostring(select(2, ngx.req.socket())))
            ngx.say("body data: ", tostring(ngx.req.get_body_data()))
        }
    }
    location = /lines {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            local line = sock:receive()
            ngx.say("line: ", line)
            local reader = sock:receiveuntil("--b")
            local part = reader()
            ngx.say("part: ", part)
            ngx.say("any: ", sock:receiveany(3))
            ngx.say("rest: ", sock:receive("*a"))
        }
    }
    location = /read_first {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(select(2, ngx.req.socket()))
        }
    }
    location = /discarded {
        content_by_lua_block {
            ngx.req.discard_body()
            ngx.say(select(2, ngx.req.socket()))
        }
    }
    location = /args {
        content_by_lua_block {
            ngx.req.socket(true, 2)
        }
    }
    location = /in_access {
        access_by_lua_block {
            local sock = assert(ngx.req.socket())
            ngx.ctx.first = sock:receive(3)
        }
        content_by_lua_block {
            ngx.say("access read: ", ngx.ctx.first)
        }
    }
    location = /filter {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            local ok, err = pcall(ngx.req.socket)
            ngx.header["X-Err"] = err
        }
    }
    location = /logphase {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local ok, err = pcall(ngx.req.socket, true)
            ngx.log(ngx.ERR, "log phase: ", err)
        }
    }
    location = /sub {
        content_by_lua_block {
            local res = ngx.location.capture("/subsock", { method = ngx.HTTP_POST, body = "xyz" })
            ngx.print(res.status, " ", res.body)
        }
    }
    location = /subsock {
        content_by_lua_block {
            local ok, err = pcall(ngx.req.socket)
            ngx.say(err)
        }
    }
    location = /thread {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            local th = ngx.thread.spawn(function()
                ngx.sleep(0.01)
                return sock:receive(5)
            end)
            ngx.say("thread read: ", select(2, ngx.thread.wait(th)))
        }
    }
}
`

// The body reader of ngx.req.socket(): the same strings as OpenResty.
func chunkedWant() string {
	if os.Getenv("NGX_REFERENCE") != "" {
		return "failed to get the body socket: chunked request bodies not supported yet\n"
	}
	return "send: nil, close: nil\nchunk: abcd\nchunk: efgh\nerr: closed, partial: i\nagain: nil\n" +
		"second socket: request body already exists\nbody data: nil\n"
}

func TestReqSocketBody(t *testing.T) {
	s := rsStart(t, bodyConf)
	post := func(path, extra, b string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s", path, extra, len(b), b)
	}
	cases := []struct{ name, req, want string }{
		{"chunks", post("/chunks", "", "0123456789"),
			"send: nil, close: nil\nchunk: 0123\nchunk: 4567\nerr: closed, partial: 89\nagain: nil\n" +
				"second socket: request body already exists\nbody data: nil\n"},
		{"no body", "POST /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			"failed to get the body socket: no body\n"},
		// goresty decodes a chunked body for the body socket (README,
		// "What differs"); lua-nginx-module refuses it
		{"chunked", "POST /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n6\r\ndefghi\r\n0\r\n\r\n",
			chunkedWant()},
		{"patterns", post("/lines", "", "first line\r\nsecond--bthird-part"),
			"line: first line\npart: second\nany: thi\nrest: rd-part\n"},
		{"read first", post("/read_first", "", "abc"), "request body already exists\n"},
		{"discarded", post("/discarded", "", "abc"), "no body\n"},
		{"access phase", post("/in_access", "", "abcdef"), "access read: abc\n"},
		{"subrequest", "GET /sub HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			"200 attempt to read the request body in a subrequest\n"},
		{"light thread", post("/thread", "", "hello world"), "thread read: hello\n"},
	}
	for _, c := range cases {
		resp := s.raw(t, c.req)
		if got := body(resp); got != c.want {
			t.Errorf("%s: got\n%q\nwant\n%q\n(response %q)", c.name, got, c.want, resp)
		}
	}
	resp := s.raw(t, "GET /args HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(resp, "HTTP/1.1 500") {
		t.Errorf("two arguments: %q", resp)
	}
	s.waitLog(t, "expecting zero arguments, but got 2")
	resp = s.raw(t, "GET /filter HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.Contains(resp, "X-Err: API disabled in the context of header_filter_by_lua*\r\n") {
		t.Errorf("header filter: %q", resp)
	}
	s.raw(t, "GET /logphase HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	s.waitLog(t, "log phase: API disabled in the context of log_by_lua*")
}

const rawConf = `
server {
    listen 127.0.0.1:PORT;
    location = /whole {
        content_by_lua_block {
            ngx.status = 101
            if ngx.var.arg_say then
                ngx.say("never sent")
            end
            local sock, err = ngx.req.socket(true)
            if not sock then
                ngx.log(ngx.ERR, "raw: ", err)
                return
            end
            local data = assert(sock:receive(5))
            assert(sock:send({"HTTP/1.1 200 OK\r\nContent-Length: ", #data + 4, "\r\n\r\nraw ", data}))
        }
    }
    location = /chunked {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            local chunks = {}
            while true do
                local size = tonumber(assert(sock:receive()), 16)
                if size == 0 then
                    assert(sock:receive() == "")
                    break
                end
                chunks[#chunks + 1] = assert(sock:receive(size))
                assert(sock:receive(2) == "\r\n")
            end
            local b = table.concat(chunks)
            sock:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #b .. "\r\n\r\n" .. b)
        }
    }
    location = /flushed {
        content_by_lua_block {
            ngx.say("hello")
            ngx.flush(true)
            local sock = assert(ngx.req.socket(true))
            local sock2, err = ngx.req.socket(true)
            ngx.log(ngx.ERR, "second raw socket: ", err)
            for _, f in ipairs{"say", "print", "flush", "eof"} do
                local ok, err
                if f == "say" or f == "print" then
                    ok, err = ngx[f]("x")
                else
                    ok, err = ngx[f]()
                end
                ngx.log(ngx.ERR, f, " after raw: ", ok, " ", err)
            end
            sock:send("raw tail")
        }
    }
    location = /echo_line {
        content_by_lua_block {
            ngx.status = 101
            ngx.header["Upgrade"] = "line"
            ngx.send_headers()
            ngx.flush(true)
            local sock = assert(ngx.req.socket(true))
            sock:settimeouts(1000, 1000, 1000)
            while true do
                local line, err = sock:receive()
                if not line then
                    ngx.log(ngx.ERR, "line reader: ", err)
                    return
                end
                if line == "quit" then return end
                sock:send(line:upper() .. "\n")
            end
        }
    }
    location = /send_headers_twice {
        content_by_lua_block {
            ngx.header["X-A"] = "1"
            local a = ngx.send_headers()
            local b = ngx.send_headers()
            ngx.header["X-B"] = "2"
            ngx.say(a, " ", b, " ", tostring(ngx.headers_sent))
        }
    }
}
`

// The raw socket: the Lua code owns the client connection.
func TestReqSocketRaw(t *testing.T) {
	s := rsStart(t, rawConf)
	// the handler answers itself, reading the body nobody read yet
	if got := s.raw(t, "POST /whole HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"); got != "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nraw hello" {
		t.Errorf("raw response: %q", got)
	}
	// output not flushed yet never goes out (nginx drops it too)
	if got := s.raw(t, "POST /whole?say=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nHELLO"); got != "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nraw HELLO" {
		t.Errorf("raw response after unflushed output: %q", got)
	}
	// HTTP/1.0 output still buffered: no raw socket, as OpenResty
	s.raw(t, "GET /whole?say=1 HTTP/1.0\r\nHost: x\r\n\r\n")
	s.waitLog(t, "raw: http 1.0 buffering")

	got := s.raw(t, "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhey, \r\nb\r\nhello world\r\n0\r\n\r\n")
	if got != "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nhey, hello world" {
		t.Errorf("chunked body through the raw socket: %q", got)
	}

	got = s.raw(t, "GET /flushed HTTP/1.1\r\nHost: x\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\n6\r\nhello\n\r\nraw tail") {
		t.Errorf("flushed output then raw: %q", got)
	}
	s.waitLog(t, "second raw socket: duplicate call")
	for _, f := range []string{"say", "print", "flush", "eof"} {
		s.waitLog(t, f+" after raw: nil raw request socket acquired")
	}

	// full duplex line protocol after a hand-made 101
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /echo_line HTTP/1.1\r\nHost: x\r\nUpgrade: line\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	h := head.String()
	if !strings.HasPrefix(h, "HTTP/1.1 101 Switching Protocols\r\n") || !strings.Contains(h, "Connection: upgrade\r\n") ||
		strings.Contains(h, "chunked") || !strings.Contains(h, "Upgrade: line\r\n") {
		t.Fatalf("101 head: %q", h)
	}
	for _, w := range []string{"abc", "hello there"} {
		fmt.Fprintf(c, "%s\r\n", w)
		line, err := br.ReadString('\n')
		if err != nil || line != strings.ToUpper(w)+"\n" {
			t.Fatalf("line echo: %q %v", line, err)
		}
	}
	fmt.Fprintf(c, "quit\n")
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after quit: %q %v", rest, err)
	}

	got = s.raw(t, "GET /send_headers_twice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.Contains(got, "X-A: 1\r\n") || strings.Contains(got, "X-B") || body(got) != "1 1 true\n" {
		t.Errorf("send_headers: %q", got)
	}
	if strings.Contains(s.errorLog(), "line reader") {
		t.Errorf("line reader failed:\n%s", s.errorLog())
	}
}
