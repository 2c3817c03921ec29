package socket

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// newVM makes a VM with an out(...) global that records its arguments
// (tostring'ed, space separated) one line per call.
func newVM(t testing.TB) (*luabindings.VM, *strings.Builder) {
	vm := luabindings.NewVM(0, 1, t.TempDir(), func(int, string) {})
	var sb strings.Builder
	vm.L.SetGlobal("out", vm.L.NewFunction(outFunc(&sb)))
	t.Cleanup(vm.Close)
	return vm, &sb
}

// outFunc records its arguments (tostring'ed, space separated) as a line.
func outFunc(sb *strings.Builder) lua.LGFunction {
	return func(L *lua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
		}
		sb.WriteString(strings.Join(parts, " ") + "\n")
		return 0
	}
}

func run(t testing.TB, code string) string {
	t.Helper()
	vm, sb := newVM(t)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatalf("lua error: %v", err)
	}
	CloseAll(c)
	return sb.String()
}

// serve starts a TCP server running handle for every connection.
func serve(t testing.TB, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

func check(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestReceivePatterns(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		if line != "hello\n" {
			fmt.Fprintf(c, "bad request %q\n", line)
			return
		}
		// split writes: the client must reassemble
		c.Write([]byte("first li"))
		time.Sleep(20 * time.Millisecond)
		c.Write([]byte("ne\r\nsecond\nthi\rrd\r\n0123456789rest of"))
		time.Sleep(20 * time.Millisecond)
		c.Write([]byte(" it"))
	})
	got := run(t, `
		local sock = ngx.socket.tcp()
		out(sock:connect("127.0.0.1", `+portOf(addr)+`))
		out(sock:send({"hel", {"l", "o"}, "\n"}))
		out(sock:receive())
		out(sock:receive("*l"))
		out(sock:receive("*l"))
		out(sock:receive(4))
		out(sock:receive("6"))
		out(sock:receive(0))
		out(sock:receive("*a"))
		out(sock:receive())
		out(sock:send("x"))
		out(sock:close())
	`)
	check(t, got, `1
6
first line
second
third
0123
456789
`+"\n"+`rest of it
nil closed `+`
1
1
`)
	// after the peer's end only the reading direction is closed, as in
	// lua-nginx-module: the write still goes out and close() succeeds
}

func TestPartialAndTimeout(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		c.Write([]byte("abc"))
		time.Sleep(300 * time.Millisecond)
		c.Write([]byte("def\nxy"))
	})
	got := run(t, `
		local sock = ngx.socket.tcp()
		sock:settimeouts(1000, 1000, 100)
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		out(sock:receive(10))
		sock:settimeout(1000)
		out(sock:receive())
		out(sock:receive(5))
		out(sock:getreusedtimes())
	`)
	// a failed read closes only the reading side: the connection (and
	// its reuse count) stays until close()
	check(t, got, "nil timeout abc\ndef\nnil closed xy\n0\n")
}

func TestReceiveUntil(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		c.Write([]byte("alpha--sep--beta--se"))
		time.Sleep(10 * time.Millisecond)
		c.Write([]byte("p--ga-mm--s-a--sep--hello, world! -agentzh\r\n--abcedhb blah--end--tail"))
	})
	got := run(t, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		local r = sock:receiveuntil("--sep--")
		out(r())
		out(r())
		out(r())
		local r2 = sock:receiveuntil("\r\n--abcedhb")
		while true do
			local data, err, partial = r2(4)
			if not data then
				out("done", err, partial)
				break
			end
			out("chunk", "[" .. data .. "]")
		end
		local r3 = sock:receiveuntil("--end--", {inclusive = true})
		out(r3())
		out(sock:receiveany(2))
		out(sock:receiveany(100))
		out(r3())
		out(sock:receiveuntil(""))
		out(pcall(sock.receiveuntil, sock, "x", {inclusive = 1}))
	`)
	check(t, got, `alpha
beta
ga-mm--s-a
chunk [hell]
chunk [o, w]
chunk [orld]
chunk [! -a]
chunk [gent]
chunk [zh]
done nil nil
 blah--end--
ta
il
nil closed 
nil pattern is empty
false bad "inclusive" option value type: number
`)
}

func TestReceiveUntilPartial(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		c.Write([]byte("data\r\n-"))
		time.Sleep(200 * time.Millisecond)
		c.Write([]byte("-b more"))
	})
	got := run(t, `
		local sock = ngx.socket.tcp()
		sock:settimeout(100)
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		local r = sock:receiveuntil("\r\n--b")
		out(r())
		sock:settimeout(1000)
		out(r())
		out(r())
	`)
	// the timeout returns the data before the partly matched delimiter,
	// which is kept for the next call
	check(t, got, "nil timeout data\n\nnil closed  more\n")
}

func TestErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := portOf(ln.Addr().String())
	ln.Close()
	addr := serve(t, func(c net.Conn) { time.Sleep(50 * time.Millisecond) })
	got := run(t, `
		local sock = ngx.socket.tcp()
		out(sock:connect("127.0.0.1", `+refused+`))
		out(sock:connect("127.0.0.1"))
		out(sock:connect("127.0.0.1", 70000))
		out(sock:receive())
		out(sock:send("x"))
		out(sock:close())
		out(sock:setkeepalive())
		out(sock:connect("nonexistent.invalid", 80))
		out(ngx.socket.connect("127.0.0.1", `+refused+`))
		local s2 = assert(ngx.socket.connect("127.0.0.1", `+portOf(addr)+`))
		out(pcall(s2.receive, s2, "*z"))
		out(pcall(s2.receive, s2, "abc"))
		out(pcall(s2.receive, s2, -1))
		out(pcall(s2.receive, s2, {}))
		out(pcall(s2.send, s2, {1, {true}}))
		out(pcall(s2.send, s2, {a = 1}))
		out(pcall(s2.send, s2, print))
		out(pcall(s2.receiveany, s2, 0))
		out(s2:send({1, 2.5, "x"}))
		out(s2:send(""))
		out(s2:send(true))
		out(pcall(ngx.socket.tcp, 1))
		out(pcall(s2.settimeout, s2, 2^31))
		out(s2:receive("*a"))
	`)
	check(t, got, `nil connection refused
nil missing the port number
nil bad port number: 70000
nil closed
nil closed
nil closed
nil closed
nil nonexistent.invalid could not be resolved (3: Host not found)
nil connection refused
false bad argument #2 to '?' (bad pattern argument)
false bad argument #2 to '?' (bad pattern argument: abc)
false bad argument #2 to '?' (bad number argument)
false bad argument #2 to '?' (bad argument)
false bad argument #2 to '?' (bad data type boolean found)
false bad argument #2 to '?' (non-array table found)
false bad argument #2 to '?' (string, number, boolean, nil, or array table expected, got function)
false bad argument #2 to '?' (bad max argument)
5
0
4
false expecting zero arguments, but got 1
false bad timeout value
nil connection reset by peer 
`)
}

func TestPhases(t *testing.T) {
	vm, _ := newVM(t)
	for _, ph := range []luabindings.Phase{luabindings.PhaseLog, luabindings.PhaseHeaderFilter,
		luabindings.PhaseBodyFilter, luabindings.PhaseSet, luabindings.PhaseInitWorker, luabindings.PhaseInit} {
		c := &luabindings.Ctx{VM: vm, Phase: ph}
		for _, code := range []string{"ngx.socket.tcp()", "ngx.socket.udp()", "ngx.socket.connect('127.0.0.1', 1)"} {
			err := vm.DoString(c, "t", code)
			if err == nil || !strings.Contains(err.Error(), "API disabled in the context of "+ph.Directive()) {
				t.Fatalf("%s in %s: %v", code, ph, err)
			}
		}
	}
	for _, ph := range []luabindings.Phase{luabindings.PhaseRewrite, luabindings.PhaseAccess, luabindings.PhaseTimer} {
		c := &luabindings.Ctx{VM: vm, Phase: ph}
		if err := vm.DoString(c, "t", "assert(ngx.socket.tcp())"); err != nil {
			t.Fatal(err)
		}
	}
	// a socket belongs to the entity that made it
	c1 := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	c2 := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c1, "t", "S = ngx.socket.tcp()"); err != nil {
		t.Fatal(err)
	}
	if err := vm.DoString(c2, "t", "S:settimeout(10)"); err == nil || !strings.Contains(err.Error(), "bad request") {
		t.Fatalf("shared socket: %v", err)
	}
}

func TestKeepalive(t *testing.T) {
	var mu sync.Mutex
	accepted := 0
	addr := serve(t, func(c net.Conn) {
		mu.Lock()
		accepted++
		mu.Unlock()
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "extra\n" {
				c.Write([]byte("one\n"))
				time.Sleep(20 * time.Millisecond)
				c.Write([]byte("two\n"))
				continue
			}
			c.Write([]byte("echo " + line))
		}
	})
	port := portOf(addr)
	got := run(t, `
		for i = 1, 3 do
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", `+port+`))
			out(i, sock:getreusedtimes(), sock:send("ping\n"), sock:receive())
			out(sock:setkeepalive(10000, 5))
			out(sock:getreusedtimes())
			out(sock:close())
		end
		-- unread data in buffer / dubious state
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+port+`))
		out("reused", sock:getreusedtimes())
		sock:send("extra\n")
		out(sock:receive(2))
		out(sock:setkeepalive())
		sock:receive()
		ngx_sleep(0.05)
		out(sock:setkeepalive())
		out(sock:receive())
		-- custom pool names
		local s1 = ngx.socket.tcp()
		assert(s1:connect("127.0.0.1", `+port+`, {pool = "mine"}))
		out("mine", s1:getreusedtimes())
		out(s1:setkeepalive(0))
		assert(s1:connect("127.0.0.1", `+port+`, {pool = "mine"}))
		out("mine", s1:getreusedtimes())
		s1:close()
		local s3 = ngx.socket.tcp()
		out(pcall(s3.connect, s3, "127.0.0.1", `+port+`, {pool_size = 0}))
		out(pcall(s3.connect, s3, "127.0.0.1", `+port+`, {pool = {}}))
	`)
	check(t, got, `1 0 5 echo ping
1
nil closed
nil closed
2 1 5 echo ping
1
nil closed
nil closed
3 2 5 echo ping
1
nil closed
nil closed
reused 3
on
nil unread data in buffer
nil connection in dubious state
nil closed
mine 0
1
mine 1
false bad argument #4 to '?' (bad "pool_size" option value: 0)
false bad argument #4 to '?' (bad "pool" option type: table)
`)
	// one connection for the default pool, one for "mine"
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if accepted != 2 {
		t.Fatalf("accepted %d connections, want 2", accepted)
	}
}

func init() {
	// ngx.sleep belongs to another package; tests use a local stand-in.
	luabindings.Register("zz_test_sleep", func(vm *luabindings.VM, ngx *lua.LTable) {
		vm.L.SetGlobal("ngx_sleep", vm.L.NewFunction(func(L *lua.LState) int {
			d := time.Duration(float64(L.CheckNumber(1)) * float64(time.Second))
			vm.Unlocked(func() { time.Sleep(d) })
			return 0
		}))
	})
}

func TestIdleTimeoutAndLRU(t *testing.T) {
	addr := serve(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n') })
	port := portOf(addr)
	key := "127.0.0.1:" + port
	run(t, `
		local socks = {}
		for i = 1, 4 do
			socks[i] = ngx.socket.tcp()
			assert(socks[i]:connect("127.0.0.1", `+port+`))
		end
		for i = 1, 4 do assert(socks[i]:setkeepalive(100, 2)) end
	`)
	if n := IdleConns(key); n != 2 {
		t.Fatalf("idle = %d, want 2 (pool size)", n)
	}
	time.Sleep(250 * time.Millisecond)
	if n := IdleConns(key); n != 0 {
		t.Fatalf("idle = %d after the idle timeout", n)
	}
}

func TestBacklog(t *testing.T) {
	addr := serve(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n') })
	port := portOf(addr)
	got := run(t, `
		local opts = {pool = "bl", pool_size = 1, backlog = 0}
		local s1 = ngx.socket.tcp()
		out(s1:connect("127.0.0.1", `+port+`, opts))
		local s2 = ngx.socket.tcp()
		out(s2:connect("127.0.0.1", `+port+`, opts))
		s1:close()
		out(s2:connect("127.0.0.1", `+port+`, opts))
		local opts2 = {pool = "bl2", pool_size = 1, backlog = 1}
		local s4 = ngx.socket.tcp()
		out(s4:connect("127.0.0.1", `+port+`, opts2))
		local s3 = ngx.socket.tcp()
		s3:settimeout(50)
		out(s3:connect("127.0.0.1", `+port+`, opts2))
	`)
	check(t, got, "1\nnil too many waiting connect operations\n1\n1\nnil timeout\n")
}

func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		l, _ := bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("unix " + l))
		c.Close()
	}()
	got := run(t, `
		local sock = ngx.socket.tcp()
		out(sock:connect("unix:`+path+`"))
		out(sock:send("hi\n"))
		out(sock:receive("*a"))
		out(sock:connect("unix:`+path+`.missing"))
	`)
	check(t, got, "1\n3\nunix hi\n\nnil no such file or directory\n")
}

func TestUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) != "quiet" {
				pc.WriteTo(append([]byte("re:"), buf[:n]...), from)
			}
		}
	}()
	got := run(t, `
		local u = ngx.socket.udp()
		out(u:send("x"))
		out(u:setpeername("127.0.0.1", `+portOf(pc.LocalAddr().String())+`))
		out(u:send({"ab", 1}))
		out(u:receive())
		out(u:send("hello"))
		out(u:receive(4))
		u:settimeout(50)
		u:send("quiet")
		out(u:receive())
		out(u:close())
		out(u:close())
	`)
	check(t, got, "nil closed\n1\n1\nre:ab1\n1\nre:h\nnil timeout\n1\nnil closed\n")
}

func TestSSLHandshake(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secure"))
	}))
	defer srv.Close()
	port := portOf(srv.Listener.Addr().String())
	code := `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", ` + port + `))
		local sess, err = sock:sslhandshake(nil, "example.com", true)
		out(type(sess), err)
		if not sess then
			assert(sock:connect("127.0.0.1", ` + port + `))
			out(sock:sslhandshake(false, "example.com", false))
		end
		out(sock:sslhandshake(false))
		sock:send("GET / HTTP/1.0\r\n\r\n")
		out(sock:receive())
		local body = sock:receive("*a")
		out(body:sub(-6))
	`
	got := run(t, code)
	check(t, got, "nil 20: unable to get local issuer certificate\ntrue\ntrue\nHTTP/1.0 200 OK\nsecure\n")

	// with the test CA trusted (and the name in the certificate)
	vm, sb := newVM(t)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	cfg := DefaultConfig
	cfg.RootCAs = roots
	vm.Services[ServiceKey] = &cfg
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatal(err)
	}
	check(t, sb.String(), "cdata nil\ntrue\nHTTP/1.0 200 OK\nsecure\n")
	sb.Reset()
	if err := vm.DoString(c, "t", `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+port+`))
		out(sock:sslhandshake(nil, "wrong.host", true))
	`); err != nil {
		t.Fatal(err)
	}
	check(t, sb.String(), "nil certificate host mismatch\n")
}

// 200 requests on one VM each wait 100 ms for the server: they must overlap.
func TestConcurrentRequests(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		l, _ := br.ReadString('\n')
		time.Sleep(100 * time.Millisecond)
		c.Write([]byte("done " + l))
	})
	vm, _ := newVM(t)
	if err := vm.DoString(&luabindings.Ctx{VM: vm, Phase: luabindings.PhaseInit}, "init", `
		count = 0
		function handler(i)
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
			assert(sock:send(i .. "\n"))
			local ok, line = pcall(sock.receive, sock)
			assert(line == "done " .. i, line)
			count = count + 1
			sock:close()
			return line
		end
	`); err != nil {
		t.Fatal(err)
	}
	fn := vm.L.GetGlobal("handler").(*lua.LFunction)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
			rets, err := vm.Exec(c, fn, lua.LNumber(i))
			if err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprintf("done %d", i); len(rets) != 1 || rets[0].String() != want {
				errs <- fmt.Errorf("request %d got %v", i, rets)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	vm.Lock(&luabindings.Ctx{VM: vm})
	n := vm.L.GetGlobal("count")
	vm.Unlock()
	if n.String() != "200" {
		t.Fatalf("count = %v", n)
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// A pooled connect + send + receive line + setkeepalive, as a Redis GET does.
func BenchmarkRoundTrip(b *testing.B) {
	addr := serve(b, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			c.Write([]byte(l))
		}
	})
	vm, _ := newVM(b)
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", `
		function bench(n)
			for i = 1, n do
				local sock = ngx.socket.tcp()
				assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
				sock:send({"PING", "\r\n"})
				assert(sock:receive() == "PING")
				sock:setkeepalive()
			end
		end`); err != nil {
		b.Fatal(err)
	}
	fn := vm.L.GetGlobal("bench").(*lua.LFunction)
	b.ResetTimer()
	if _, err := vm.Exec(c, fn, lua.LNumber(b.N)); err != nil {
		b.Fatal(err)
	}
}

// receive('*a') up to the peer's end leaves the socket open: a second
// '*a' gets "", a line read "closed", close() returns 1 and only then is
// the socket closed (lua-nginx-module's finalize_read_part).
func TestPeerClosedHalfOpen(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		c.Write([]byte("all of it"))
	})
	got := run(t, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		out(sock:receive("*a"))
		out(sock:receive("*a"))
		out(sock:receive())
		out(sock:receive("*a"))
		out(sock:close())
		out(sock:close())
	`)
	check(t, got, "all of it\n\nnil closed \nnil closed\n1\nnil closed\n")
}
