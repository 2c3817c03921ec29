package ngxhttp_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// ngx.say / ngx.print / ngx.eof / ngx.flush / ngx.status.
var outputCases = []hcase{
	{name: "say formats scalars, ngx.null and nested arrays",
		loc: `location = /say/fmt { content_by_lua_block {
			ngx.say(nil, true, false, ngx.null, 1, 3.5, -0.25, 1e20, 2^53, {"a", {"b", 2, {ngx.null}}}, "")
		} }`,
		path: "/say/fmt", status: 200, want: "niltruefalsenull13.5-0.251e+209.007199254741e+15ab2null\n"},
	{name: "print writes no newline, say without arguments writes one",
		loc:  `location = /say/print { content_by_lua_block { ngx.print("a", 1) ngx.say() ngx.print() ngx.print("b") } }`,
		path: "/say/print", status: 200, want: "a1\nb"},
	{name: "say and print return 1",
		loc: `location = /say/ret { content_by_lua_block {
			local a = ngx.print("")
			local b = ngx.say("x")
			ngx.say(a, " ", b, " ", select("#", ngx.print("")))
		} }`,
		path: "/say/ret", status: 200, want: "x\n1 1 1\n"},
	{name: "say rejects hash tables",
		loc: `location = /say/hash { content_by_lua_block {
			local ok, err = pcall(ngx.say, {a = 1})
			ngx.say(ok, " ", err)
		} }`,
		path: "/say/hash", status: 200, want: "false bad argument #1 to '?' (non-array table found)\n"},
	{name: "say writes a table with holes up to its largest key, a hole as nil",
		loc: `location = /say/holes { content_by_lua_block {
			ngx.say({"hello", nil, true, false, 32.5, 56}, "|", {[1] = "a", [3] = "c"}, "|", {{"x", nil, "y"}, "--"})
		} }`,
		path: "/say/holes", status: 200, want: "helloniltruefalse32.556|anilc|xnily--\n"},
	{name: "say rejects a function inside a table by its type",
		loc: `location = /say/badelem { content_by_lua_block {
			local ok, err = pcall(ngx.say, "x", {1, 3, print})
			ngx.say(ok, " ", err)
		} }`,
		path: "/say/badelem", status: 200, want: "false bad argument #2 to '?' (bad data type function found)\n"},
	{name: "print rejects functions in tables and userdata-like values",
		loc: `location = /say/func { content_by_lua_block {
			local ok, err = pcall(ngx.print, "x", print)
			ngx.say(ok, " ", err)
		} }`,
		path: "/say/func", status: 200,
		want: "false bad argument #2 to '?' (string, number, boolean, nil, ngx.null, or array table expected, but got function)\n"},
	{name: "say after eof returns nil and seen eof",
		loc: `location = /say/eof { content_by_lua_block {
			ngx.say("before")
			local ok = ngx.eof()
			local a, b = ngx.say("late")
			local c, d = ngx.print("late")
			local e, f = ngx.eof()
			ngx.log(ngx.ERR, "after eof: ", tostring(ok), " ", tostring(a), " ", b, " ", tostring(c), " ", d, " ", tostring(e), " ", f)
		} }`,
		path: "/say/eof", status: 200, want: "before\n",
		log: []string{"after eof: 1 nil seen eof nil seen eof nil seen eof"}},
	{name: "flush returns 1 and headers are then sent",
		loc: `location = /say/flush { content_by_lua_block {
			ngx.say(ngx.headers_sent)
			local ok = ngx.flush(true)
			ngx.say(ok, " ", ngx.headers_sent)
		} }`,
		path: "/say/flush", status: 200, want: "false\n1 true\n"},
	{name: "ngx.status is 0 until the header goes out, then 200",
		loc: `location = /status/read { content_by_lua_block {
			local before = ngx.status
			ngx.say(before)
			ngx.say(ngx.status)
		} }`,
		path: "/status/read", status: 200, want: "0\n200\n"},
	{name: "ngx.status set before output",
		loc:  `location = /status/set { content_by_lua_block { ngx.status = 201 ngx.say(ngx.status) } }`,
		path: "/status/set", status: 201, want: "201\n"},
	{name: "ngx.status set in rewrite is kept by content",
		loc: `location = /status/rewrite {
			rewrite_by_lua_block { ngx.status = 202 }
			content_by_lua_block { ngx.say(ngx.status) }
		}`,
		path: "/status/rewrite", status: 202, want: "202\n"},
	{name: "ngx.status set after the header is sent logs an error",
		loc: `location = /status/late { content_by_lua_block {
			ngx.say("a")
			ngx.flush(true)
			ngx.status = 404
			ngx.say(ngx.status)
		} }`,
		path: "/status/late", status: 200, want: "a\n200\n",
		log: []string{"attempt to set ngx.status after sending out response headers"}},
	{name: "ngx.status in log_by_lua reads the sent status",
		loc: `location = /status/log {
			content_by_lua_block { ngx.exit(403) }
			log_by_lua_block { ngx.log(ngx.WARN, "logged status ", ngx.status) }
		}`,
		path: "/status/log", status: 403, want: "*", log: []string{"logged status 403"}},
	{name: "say in header_filter is disabled",
		loc: `location = /say/hf {
			content_by_lua_block { ngx.say("body") }
			header_filter_by_lua_block {
				local ok, err = pcall(ngx.say, "x")
				ngx.header["X-Err"] = err
			}
		}`,
		path: "/say/hf", status: 200, want: "body\n",
		hdr: map[string]string{"X-Err": "API disabled in the context of header_filter_by_lua*"}},
	{name: "say in log_by_lua is disabled",
		loc: `location = /say/log {
			content_by_lua_block { ngx.say("body") }
			log_by_lua_block {
				local ok, err = pcall(ngx.say, "x")
				ngx.log(ngx.ERR, "log say: ", err)
			}
		}`,
		path: "/say/log", status: 200, want: "body\n",
		log: []string{"log say: API disabled in the context of log_by_lua*"}},
	{name: "flush and eof in body_filter are disabled",
		loc: `location = /say/bf {
			content_by_lua_block { ngx.say("body") }
			body_filter_by_lua_block {
				if ngx.arg[2] then
					local ok, err = pcall(ngx.flush)
					ngx.log(ngx.ERR, "bf: ", err)
				end
			}
		}`,
		path: "/say/bf", status: 200, want: "body\n",
		log: []string{"bf: API disabled in the context of body_filter_by_lua*"}},
	{name: "HEAD gets the header and no body",
		loc:    `location = /say/head { content_by_lua_block { ngx.header["X-H"] = "1" ngx.say("body") } }`,
		method: "HEAD", path: "/say/head", status: 200, want: "", hdr: map[string]string{"X-H": "1"}},
	{name: "HEAD: output after the header is refused with \"header only\"",
		loc: `location = /say/headonly { content_by_lua_block {
			ngx.send_headers()
			local ok, err = ngx.say("x")
			local ok2, err2 = ngx.flush()
			ngx.log(ngx.WARN, "say: ", err, ", flush: ", err2)
		} }`,
		method: "HEAD", path: "/say/headonly", status: 200, want: "",
		log: []string{"say: header only, flush: header only"}},
}

func TestOutput(t *testing.T) {
	s := startServer(t, "", "", outputCases)
	runCases(t, s, outputCases)
}

// ngx.flush(true) puts what was said on the wire before the handler
// goes on: the handler waits for the client to have read the first line
// (told through /go), which can only happen if it was flushed.
func TestFlushStreams(t *testing.T) {
	s := startServer(t, "lua_shared_dict flags 1m;", `location = /stream { content_by_lua_block {
		ngx.say("first")
		ngx.flush(true)
		for _ = 1, 3000 do
			if ngx.shared.flags:get("go") then break end
			ngx.sleep(0.01)
		end
		ngx.say("second")
	} }
	location = /go { content_by_lua_block { ngx.shared.flags:set("go", true) } }`, nil)
	conn, err := net.Dial("tcp", s.base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	br := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(30 * time.Second)) // a hang guard only
	var got []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, got)
		}
		got = append(got, line)
		if line == "first\n" {
			break
		}
	}
	if resp, err := http.Get("http://" + s.base + "/go"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	head := strings.Join(got, "")
	if !strings.Contains(strings.ToLower(head), "transfer-encoding: chunked") {
		t.Errorf("streamed response is not chunked:\n%s", head)
	}
	rest := make([]byte, 0, 64)
	buf := make([]byte, 64)
	for {
		n, err := br.Read(buf)
		rest = append(rest, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !strings.Contains(string(rest), "second\n") {
		t.Errorf("rest %q lacks the second line", rest)
	}
}

// Output a handler builds up without ngx.flush still goes to the client
// while the handler runs, as nginx's output chain sends it: the client
// reads the first 128 KiB of a 256 KiB answer before the handler, waiting
// for the client to say so (through /bigread), ends it. The answer is
// chunked and whole.
func TestLargeOutputStreamsWithoutFlush(t *testing.T) {
	s := startServer(t, "lua_shared_dict flags 1m;", `location = /big { content_by_lua_block {
		local chunk = string.rep("x", 1023)
		for _ = 1, 256 do ngx.say(chunk) end
		for _ = 1, 3000 do -- hang guard only: the client says when it read
			if ngx.shared.flags:get("bigread") then break end
			ngx.sleep(0.01)
		end
		ngx.say("end")
	} }
	location = /bigread { content_by_lua_block { ngx.shared.flags:set("bigread", true) } }`, nil)
	conn, err := net.Dial("tcp", s.base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	conn.SetDeadline(time.Now().Add(20 * time.Second)) // a hang guard, below the handler's own
	var raw []byte
	buf := make([]byte, 32<<10)
	for len(raw) < 128<<10 {
		n, err := conn.Read(buf)
		raw = append(raw, buf[:n]...)
		if err != nil {
			t.Fatalf("read before the handler ended: %v after %d bytes", err, len(raw))
		}
	}
	resp, err := http.Get("http://" + s.base + "/bigread")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rest, _ := io.ReadAll(conn)
	raw = append(raw, rest...)
	r, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(raw))), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || len(r.TransferEncoding) == 0 || len(body) != 256*1024+4 || !strings.HasSuffix(string(body), "x\nend\n") {
		t.Errorf("answer: %v %v %d bytes", err, r.TransferEncoding, len(body))
	}
}

// lua_http10_buffering (on by default): once Lua has written part of an
// HTTP/1.0 response, ngx.flush is a no-op returning nil, "buffering" and
// the response goes out whole with its Content-Length; with it off, or on
// HTTP/1.1, ngx.flush streams. The debug lines are lua-nginx-module's.
func TestHTTP10Buffering(t *testing.T) {
	s := httpdtest.StartLevel(t, `server { listen 127.0.0.1:PORT;
		location /t {
			content_by_lua_block {
				ngx.say("hello, world")
				local ok, err = ngx.flush(true)
				ngx.say("flush: ", tostring(ok), " ", tostring(err))
			}
		}
		location /off {
			lua_http10_buffering off;
			content_by_lua_block {
				ngx.say("hello, world")
				local ok, err = ngx.flush(true)
				ngx.say("flush: ", tostring(ok), " ", tostring(err))
			}
		}
	}`, os.Getenv("NGX_REFERENCE"), "debug")
	get := func(path, proto string) (*http.Response, string) {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second)) // hang guard
		c.Write([]byte("GET " + path + " " + proto + "\r\nHost: x\r\nConnection: close\r\n\r\n"))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/t", "HTTP/1.0")
	if want := "hello, world\nflush: nil buffering\n"; body != want || resp.Header.Get("Content-Length") != "34" {
		t.Errorf("HTTP/1.0: %q (Content-Length %q), want %q with its length", body, resp.Header.Get("Content-Length"), want)
	}
	s.WaitErrorLog(t, "lua buffering output bufs for the HTTP 1.0 request", "lua http 1.0 buffering makes ngx.flush() a no-op")
	for _, c := range [][2]string{{"/t", "HTTP/1.1"}, {"/off", "HTTP/1.0"}} {
		resp, body := get(c[0], c[1])
		if want := "hello, world\nflush: 1 nil\n"; body != want || resp.Header.Get("Content-Length") != "" {
			t.Errorf("%s %s: %q (Content-Length %q), want %q streamed", c[0], c[1], body, resp.Header.Get("Content-Length"), want)
		}
	}
}
