package ngxhttp_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// abortCase is a request whose client closes the connection once the
// handler logged "handler waiting".
type abortCase struct {
	name  string
	loc   string
	path  string
	req   string   // the raw request (a GET of path by default)
	log   []string // in the error log after the close
	nolog []string
	// status is what the access log (format "$uri $status") records
	status string
}

// TestClientAbort: lua_check_client_abort notices a client that closes
// its connection while the handler runs (nginx's read event handler):
// without ngx.on_abort the handler is stopped and the request ends with
// 499 (log_by_lua still runs); with one, the callback runs as a light
// thread and its ngx.exit ends the whole handler.
func TestClientAbort(t *testing.T) {
	cases := []abortCase{
		{
			name: "no on_abort: stopped, 499",
			loc: `location = /stop {
				lua_check_client_abort on;
				content_by_lua_block {
					ngx.log(ngx.NOTICE, "handler waiting")
					ngx.sleep(30)
					ngx.log(ngx.NOTICE, "main handler done")
				}
				log_by_lua_block { ngx.log(ngx.NOTICE, "log phase ran") }
			}`,
			path:   "/stop",
			log:    []string{"client prematurely closed connection", "log phase ran"},
			nolog:  []string{"main handler done", "[error]"},
			status: "499",
		},
		{
			name: "on_abort exits with 499 and stops the entry thread",
			loc: `location = /cb499 {
				lua_check_client_abort on;
				content_by_lua_block {
					local ok, err = ngx.on_abort(function()
						ngx.log(ngx.NOTICE, "on abort called")
						ngx.exit(499)
					end)
					if not ok then error(err) end
					ngx.log(ngx.NOTICE, "handler waiting")
					ngx.sleep(30)
					ngx.log(ngx.NOTICE, "main handler done")
				}
			}`,
			path:   "/cb499",
			log:    []string{"client prematurely closed connection", "on abort called"},
			nolog:  []string{"main handler done", "[error]"},
			status: "499",
		},
		{
			name: "on_abort ignoring the abort: the handler goes on",
			loc: `location = /ignore {
				lua_check_client_abort on;
				content_by_lua_block {
					ngx.on_abort(function()
						ngx.log(ngx.NOTICE, "on abort called")
					end)
					ngx.log(ngx.NOTICE, "handler waiting")
					ngx.sleep(1)
					ngx.log(ngx.NOTICE, "main handler done")
				}
			}`,
			path:  "/ignore",
			log:   []string{"client prematurely closed connection", "on abort called", "main handler done"},
			nolog: []string{"[error]"},
		},
		{
			name: "on_abort waits on a light thread the entry thread also waits on",
			loc: `location = /uthread {
				lua_check_client_abort on;
				content_by_lua_block {
					ngx.on_abort(function()
						ngx.log(ngx.NOTICE, "on abort called")
						ngx.exit(444)
					end)
					local t = ngx.thread.spawn(function()
						ngx.sleep(30)
						ngx.log(ngx.NOTICE, "user thread done")
					end)
					ngx.log(ngx.NOTICE, "handler waiting")
					ngx.thread.wait(t)
					ngx.log(ngx.NOTICE, "main handler done")
				}
			}`,
			path:   "/uthread",
			log:    []string{"on abort called"},
			nolog:  []string{"main handler done", "user thread done", "[error]"},
			status: "444",
		},
		{
			name: "rewrite phase: stopped, 499",
			loc: `location = /rewrite {
				lua_check_client_abort on;
				rewrite_by_lua_block {
					ngx.log(ngx.NOTICE, "handler waiting")
					ngx.sleep(30)
					ngx.log(ngx.NOTICE, "main handler done")
				}
				content_by_lua_block { ngx.log(ngx.NOTICE, "content ran") }
			}`,
			path:   "/rewrite",
			log:    []string{"client prematurely closed connection"},
			nolog:  []string{"main handler done", "content ran", "[error]"},
			status: "499",
		},
		{
			name: "body socket: a client gone before its declared length is client aborted",
			loc: `location = /body {
				content_by_lua_block {
					local sock = ngx.req.socket()
					ngx.log(ngx.NOTICE, "handler waiting")
					local res, err, part = sock:receive("*a")
					if not res then
						ngx.log(ngx.NOTICE, "failed to receive: ", err, ": ", part)
						return
					end
					ngx.log(ngx.NOTICE, "received all")
				}
			}`,
			path:  "/body",
			req:   "POST /body HTTP/1.0\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nhello",
			log:   []string{"failed to receive: client aborted: hello"},
			nolog: []string{"received all", "[error]"},
		},
	}
	var b strings.Builder
	for _, c := range cases {
		b.WriteString(c.loc + "\n")
	}
	s := startConf(t, `log_format st '$uri $status';
access_log logs/access.log st;
server {
    listen 127.0.0.1:PORT;
`+b.String()+`
}`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			off := s.logSize()
			conn, err := net.Dial("tcp", s.base)
			if err != nil {
				t.Fatal(err)
			}
			req := c.req
			if req == "" {
				req = "GET " + c.path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
			}
			io.WriteString(conn, req)
			got := s.waitLog(off, []string{"handler waiting"}, 20*time.Second)
			if !strings.Contains(got, "handler waiting") {
				conn.Close()
				t.Fatalf("the handler did not start:\n%s", got)
			}
			conn.Close()
			got = s.waitLog(off, c.log, 20*time.Second)
			for _, w := range c.log {
				if !strings.Contains(got, w) {
					t.Errorf("error log lacks %q:\n%s", w, got)
				}
			}
			if c.status != "" {
				line := waitAccess(s, c.path)
				if line != c.path+" "+c.status {
					t.Errorf("access log: %q, want status %s", line, c.status)
				}
			}
			got = s.logSince(off)
			for _, w := range c.nolog {
				if strings.Contains(got, w) {
					t.Errorf("error log has %q:\n%s", w, got)
				}
			}
		})
	}
}

// waitAccess returns the access log line of uri once written.
func waitAccess(s *server, uri string) string {
	for i := 0; i < 2000; i++ {
		b, _ := os.ReadFile(filepath.Join(s.prefix, "logs/access.log"))
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, uri+" ") {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}

// TestClientAbortPipelined: a request pipelined behind the running one
// is data, not a close: it is neither taken as an abort nor lost (nginx
// peeks one byte and leaves it).
func TestClientAbortPipelined(t *testing.T) {
	s := startConf(t, `server {
    listen 127.0.0.1:PORT;
    location = /slow {
        lua_check_client_abort on;
        content_by_lua_block { ngx.sleep(0.2) ngx.say("slow") }
    }
    location = /fast { content_by_lua_block { ngx.say("fast") } }
}`)
	conn, err := net.Dial("tcp", s.base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	b, _ := io.ReadAll(bufio.NewReader(conn))
	out := string(b)
	if !strings.Contains(out, "slow\n") || !strings.Contains(out, "fast\n") || strings.Count(out, "HTTP/1.1 200") != 2 {
		t.Fatalf("pipelined responses:\n%s", out)
	}
	if l := s.logSince(0); strings.Contains(l, "prematurely") {
		t.Fatalf("taken as an abort:\n%s", l)
	}
}

// TestSayToDepartedClient: without lua_check_client_abort the handler runs
// on after its client left; output to the closed connection fails as
// nginx's output filter does (nil, "nginx output filter error") instead of
// being taken silently.
func TestSayToDepartedClient(t *testing.T) {
	s := startConf(t, `lua_shared_dict flags 1m;
server {
    listen 127.0.0.1:PORT;
    location = /departed { content_by_lua_block {
        ngx.say("first")
        ngx.flush(true)
        ngx.log(ngx.NOTICE, "handler waiting")
        for _ = 1, 3000 do -- hang guard only: the test says when the client is gone
            if ngx.shared.flags:get("gone") then break end
            ngx.sleep(0.01)
        end
        local chunk = string.rep("x", 65536)
        for i = 1, 100 do
            local ok, err = ngx.say(chunk)
            if not ok then ngx.log(ngx.NOTICE, "output failed: say: ", err) return end
            ok, err = ngx.flush(true)
            if not ok then ngx.log(ngx.NOTICE, "output failed: flush: ", err) return end
        end
        ngx.log(ngx.NOTICE, "all said")
    } }
    location = /gone { content_by_lua_block { ngx.shared.flags:set("gone", true) } }
}`)
	off := s.logSize()
	conn, err := net.Dial("tcp", s.base)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET /departed HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if got := s.waitLog(off, []string{"handler waiting"}, 20*time.Second); !strings.Contains(got, "handler waiting") {
		conn.Close()
		t.Fatalf("the handler did not start:\n%s", got)
	}
	conn.Close() // unread bytes: the close is a reset
	s.do(t, "GET", "/gone", nil, "", false)
	got := s.waitLog(off, []string{"output failed"}, 20*time.Second)
	if !strings.Contains(got, "output failed") || strings.Contains(got, "all said") {
		t.Fatalf("output to a departed client:\n%s", got)
	}
	if !strings.Contains(got, ": nginx output filter error") {
		t.Errorf("error text:\n%s", got)
	}
}
