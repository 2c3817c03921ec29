package restyhttp

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// responseSeeds are upstream answers as servers send them (RFC 9112's
// examples, PostgREST, nginx error pages, chunked with trailers) and the
// hostile ones of the hardening issue.
var responseSeeds = []string{
	"HTTP/1.1 200 OK\r\nDate: Mon, 27 Jul 2009 12:28:53 GMT\r\nServer: Apache\r\nLast-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\nETag: \"34aa387-d-1568eb00\"\r\nAccept-Ranges: bytes\r\nContent-Length: 51\r\nVary: Accept-Encoding\r\nContent-Type: text/plain\r\n\r\nHello World! My content includes a trailing CRLF.\r\n",
	"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Range: 0-0/*\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n[{\"id\":1,\"a\":2}]\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Expires\r\n\r\n7\r\nMozilla\r\n9;ext=1\r\nDeveloper\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n",
	"HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 153\r\nConnection: close\r\n\r\n<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
	"HTTP/1.0 200 OK\r\n\r\nbody until close",
	"HTTP/1.1 204 No Content\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nset-cookie: c=3\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 107374182400\r\n\r\nabc",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nabc",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc",
	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
	"HTTP/1.1 200\r\n\r\n", "HTTP/1.1\r\n\r\n", "HTTP/x.y abc\r\n\r\n", "HTTP/1.1 2", "\r\n\r\n", "",
	"HTTP/1.1 200 OK\nX: y\n : z\nNo-Colon\n\nbody",
}

const fuzzProbe = `
local port, method, maxchunk, version, expect = ...
local http = require "resty.http"
local httpc = http.new()
httpc:set_timeouts(2000, 2000, 2000)
assert(httpc:connect("127.0.0.1", port))
local params = {method = method, path = "/", version = version}
if expect then
	params.body = "x"
	params.headers = {["Expect"] = "100-continue"}
end
local res, err = httpc:request(params)
if not res then
	httpc:close()
	return -1
end
local total = 0
local reader = res.body_reader
if reader then
	for _ = 1, 100000 do
		local chunk, err = reader(maxchunk > 0 and maxchunk or nil)
		if not chunk then break end
		total = total + #chunk
	end
end
if res.trailer_reader then pcall(res.read_trailers, res) end
httpc:close()
return total
`

// FuzzResponse feeds arbitrary upstream bytes through resty.http's status
// line, header, Content-Length, chunked and trailer reading (and the 100
// Continue path). It must not panic or raise a Lua error, never return
// more body than was sent, and never allocate what a length merely
// declares: the bytes allocated per response are bounded by the bytes
// received, not by Content-Length or a chunk size.
func FuzzResponse(f *testing.F) {
	for i, s := range responseSeeds {
		f.Add([]byte(s), uint8(i))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	payloads := make(chan []byte)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p := <-payloads
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				req := make([]byte, 0, 1024)
				buf := make([]byte, 1024)
				for !bytes.Contains(req, []byte("\r\n\r\n")) {
					n, err := c.Read(buf)
					req = append(req, buf[:n]...)
					if err != nil {
						return
					}
				}
				c.Write(p)
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	port := lua.LNumber(ln.Addr().(*net.TCPAddr).Port)
	vm := luabindings.NewVM(0, 1, f.TempDir(), nil)
	f.Cleanup(vm.Close)
	probe, err := vm.L.LoadString(fuzzProbe)
	if err != nil {
		f.Fatal(err)
	}
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	methods := []string{"GET", "HEAD", "POST"}
	f.Fuzz(func(t *testing.T, resp []byte, sel uint8) {
		if len(resp) > 1<<16 {
			return
		}
		method := lua.LString(methods[int(sel)%3])
		maxchunk := lua.LNumber([]int{0, 1, 7, 8192}[int(sel>>2)%4])
		version := lua.LNumber(1.1)
		if sel&0x10 != 0 {
			version = 1.0
		}
		expect := lua.LBool(sel&0x20 != 0 && method == "POST")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		go func() { payloads <- resp }()
		rets, err := vm.Exec(c, probe, port, method, maxchunk, version, expect)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("%q: %v", resp, err)
		}
		if n := int(lua.LVAsNumber(rets[0])); n > len(resp) {
			t.Fatalf("%q: %d body bytes read", resp, n)
		}
		// generous: buffers grow by doubling, Lua tables and strings per
		// header line, the goroutines of the test server
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20+uint64(64*len(resp)) {
			t.Fatalf("%q: %d bytes allocated for %d bytes received", resp, alloc, len(resp))
		}
	})
}

// TestDeclaredLengthNotAllocated: a Content-Length or chunk size of
// 100 GB followed by three bytes costs what three bytes cost.
func TestDeclaredLengthNotAllocated(t *testing.T) {
	for _, resp := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 107374182400\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1900000000\r\nabc",
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			c.Read(make([]byte, 4096))
			io.WriteString(c, resp)
		}()
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got := run(t, `
			local http = require "resty.http"
			local httpc = http.new()
			assert(httpc:connect("127.0.0.1", `+port+`))
			local res = assert(httpc:request{path = "/"})
			out(res:read_body())`)
		runtime.ReadMemStats(&after)
		ln.Close()
		// lua-resty-http drops the partial piece of a failed receive
		if got != "nil closed \n" {
			t.Errorf("%q: got %q", resp, got)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("%q: %d bytes allocated", resp, alloc)
		}
	}
}
