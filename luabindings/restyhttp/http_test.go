package restyhttp

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
	_ "github.com/goresty/goresty/luabindings/socket"
	lua "github.com/yuin/gopher-lua"
)

func run(t *testing.T, code string) string {
	t.Helper()
	vm := luabindings.NewVM(0, 1, t.TempDir(), nil)
	defer vm.Close()
	var sb strings.Builder
	vm.L.SetGlobal("out", vm.L.NewFunction(func(L *lua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
		}
		sb.WriteString(strings.Join(parts, " ") + "\n")
		return 0
	}))
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatalf("lua: %v", err)
	}
	return sb.String()
}

func check(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRequest(t *testing.T) {
	var conns int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/form":
			r.ParseForm()
			w.Header().Set("X-Echo", r.Header.Get("X-Req"))
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			fmt.Fprintf(w, "%s %s name=%s q=%s ua=%s", r.Method, r.Header.Get("Content-Type"), r.PostForm.Get("name"),
				r.URL.Query().Get("q"), strings.SplitN(r.UserAgent(), " ", 2)[0])
		case "/chunked":
			fl := w.(http.Flusher)
			for _, p := range []string{"one,", "two,", "three"} {
				io.WriteString(w, p)
				fl.Flush()
			}
		case "/slow":
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, "late")
		case "/empty":
			w.WriteHeader(204)
		default:
			io.WriteString(w, "path="+r.URL.RequestURI()+" host="+r.Host)
		}
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			atomic.AddInt32(&conns, 1)
		}
	}
	srv.Start()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	got := run(t, `
		local http = require "resty.http"
		local httpc = http.new()
		out(httpc:connect("127.0.0.1", `+port+`))
		local res, err = httpc:request{
			method = "post", path = "/form", query = {q = "a b"},
			headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["x-req"] = "hdr"},
			body = "name=goresty",
		}
		out(res.status, res.reason, res.has_body)
		out(res.headers["x-echo"], res.headers["X-ECHO"], type(res.headers["set-cookie"]), table.concat(res.headers["Set-Cookie"], ";"))
		out(res.headers["content-length"])
		out(res:read_body())
		out(httpc:set_keepalive())
		out(httpc:connect("127.0.0.1", `+port+`))
		out("reused", httpc:get_reused_times())
		res = assert(httpc:request{path = "/chunked"})
		out(res.headers["Transfer-Encoding"], http.transfer_encoding_is_chunked(res.headers))
		local reader = res.body_reader
		repeat
			local chunk, err = reader(3)
			if chunk then out("chunk", chunk) end
		until not chunk
		out(reader())
		res = assert(httpc:request{method = "HEAD", path = "/"})
		out(res.has_body, res:read_body())
		res = assert(httpc:request{path = "/empty"})
		out(res.status, res.has_body)
		out(httpc:request{method = "POST", path = "/form"})
		out(httpc:request{method = "POST", path = "/form", body = function() end})
		httpc:close()
		out(httpc:close())

		local res, err = http.new():request_uri("http://127.0.0.1:`+port+`/x/y?a=1", {query = "b=2"})
		out(res.status, res.body)
		res = http.new():request_uri("http://127.0.0.1:`+port+`/form", {method = "POST", body = "name=x", headers = {["Content-Type"] = "application/x-www-form-urlencoded"}})
		out(res.body)

		local h2 = http.new()
		h2:set_timeouts(1000, 1000, 100)
		out(h2:request_uri("http://127.0.0.1:`+port+`/slow"))
	`)
	check(t, got, `1
200 OK true
hdr hdr table a=1;b=2
82
POST application/x-www-form-urlencoded name=goresty q=a b ua=lua-resty-http/0.17.2
1
1
reused 1
chunked true
chunk one
chunk ,
chunk two
chunk ,
chunk thr
chunk ee
nil can't resume a dead coroutine
false 
204 false
nil Request body is nil but POST method expects a body. Use an empty string "" if you want to send an empty body.
nil Request body is a function but a length or chunked encoding is not specified
nil closed
200 path=/x/y?b=2 host=127.0.0.1:`+port+`
POST application/x-www-form-urlencoded name=x q= ua=lua-resty-http/0.17.2
nil timeout
`)
	if n := atomic.LoadInt32(&conns); n > 3 {
		t.Fatalf("%d connections: keepalive not reused", n)
	}
}

func TestErrorsAndParse(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, refused, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	got := run(t, `
		local http = require "resty.http"
		local httpc = http.new()
		out(httpc:request_uri("http://127.0.0.1:`+refused+`/"))
		out(httpc:connect{scheme = "http", host = "127.0.0.1", port = `+refused+`})
		out(httpc:connect{host = "127.0.0.1", port = 80})
		out(httpc:request_uri("ftp://x/"))
		local p = httpc:parse_uri("https://example.com/a/b?x=1")
		out(p[1], p[2], p[3], p[4], p[5])
		p = httpc:parse_uri("http://[::1]:8080", false)
		out(p[1], p[2], p[3], p[4], p[5])
		out(httpc:parse_uri("//example.com/"))
		out(http.close({}))
	`)
	check(t, got, `nil connection refused
nil connection refused
nil 'scheme' is required when providing a port
nil bad uri: ftp://x/
https example.com 443 /a/b?x=1 nil
http [::1] 8080 / 
nil schemaless URIs require a request context: //example.com/
nil not initialized
`)
}

func TestHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "tls "+r.Host)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	got := run(t, `
		local http = require "resty.http"
		out(http.new():request_uri("https://127.0.0.1:`+port+`/"))
		local res = http.new():request_uri("https://127.0.0.1:`+port+`/", {ssl_verify = false})
		out(res.status, res.body)
	`)
	check(t, got, "nil 20: unable to get local issuer certificate\n200 tls 127.0.0.1:"+port+"\n")
}
