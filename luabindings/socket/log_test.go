package socket

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/luabindings"
)

// logSink collects error log lines (request and background ones).
type logSink struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func newLogSink() *logSink { return &logSink{added: make(chan struct{}, 1)} }

func (l *logSink) log(level int, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	l.mu.Unlock()
	select {
	case l.added <- struct{}{}:
	default:
	}
}

func (l *logSink) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// waitFor waits until a line containing sub is logged.
func (l *logSink) waitFor(t *testing.T, sub string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !l.has(sub) {
		select {
		case <-l.added:
		case <-deadline:
			t.Fatalf("no log line with %q in:\n%s", sub, strings.Join(l.lines, "\n"))
		}
	}
}

// runLogged runs code on a VM whose socket settings are cfg (Debug and
// BgLog wired to the returned sink).
func runLogged(t *testing.T, cfg Config, code string) (string, *logSink) {
	t.Helper()
	sink := newLogSink()
	vm := luabindings.NewVM(0, 1, t.TempDir(), sink.log)
	t.Cleanup(vm.Close)
	var sb strings.Builder
	vm.L.SetGlobal("out", vm.L.NewFunction(outFunc(&sb)))
	cfg.BgLog = sink.log
	vm.Services[ServiceKey] = &cfg
	c := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent}
	if err := vm.DoString(c, "t", code); err != nil {
		t.Fatalf("lua error: %v", err)
	}
	CloseAll(c)
	return sb.String(), sink
}

func debugConfig() Config {
	cfg := DefaultConfig
	cfg.Debug = true
	return cfg
}

// The keepalive pool's debug lines, as lua-nginx-module prints them: pool
// creation with its size, reuse, the idle timeout, the close handler when
// the peer closes a parked connection, and the pool freed with its last
// connection.
func TestKeepaliveDebugLines(t *testing.T) {
	closeIt := make(chan struct{})
	addr := serve(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "bye\n" {
				<-closeIt
				return
			}
			c.Write([]byte("ok\n"))
		}
	})
	port := portOf(addr)
	got, sink := runLogged(t, debugConfig(), `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+port+`, {pool = "dbg", pool_size = 7}))
		sock:send("hi\n")
		out(sock:receive())
		out(sock:setkeepalive(123))
		assert(sock:connect("127.0.0.1", `+port+`, {pool = "dbg"}))
		out(sock:getreusedtimes())
		sock:send("bye\n")
		out(sock:setkeepalive(0))
	`)
	check(t, got, "ok\n1\n1\n1\n")
	for _, want := range []string{
		"lua tcp socket connection pool size: 7, backlog: -1",
		`lua tcp socket keepalive create connection pool for key "dbg"`,
		"lua tcp socket connect timeout: 60000",
		"lua tcp socket keepalive timeout: 123 ms",
		"lua tcp socket get keepalive peer: using connection",
		"lua tcp socket keepalive timeout: unlimited",
		"lua tcp socket read timeout: 60000",
		"lua tcp socket send timeout: 60000",
		"lua reuse socket upstream ctx",
	} {
		if !sink.has(want) {
			t.Errorf("no log line with %q", want)
		}
	}
	// the peer closes the parked connection: the close handler drops
	// it and, with it, the pool
	close(closeIt)
	sink.waitFor(t, "lua tcp socket keepalive close handler: fd:")
	sink.waitFor(t, `lua tcp socket keepalive: free connection pool for "dbg"`)
	if lookupPool("dbg") != nil {
		t.Fatal("pool still listed after its last connection closed")
	}
}

// The idle timeout closes a parked connection with "max idle timeout";
// a freed pool is created anew with the size asked for then.
func TestKeepaliveIdleTimeoutFreesPool(t *testing.T) {
	addr := serve(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n') })
	port := portOf(addr)
	_, sink := runLogged(t, debugConfig(), `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+port+`, {pool = "idle", pool_size = 3}))
		assert(sock:setkeepalive(10))
	`)
	sink.waitFor(t, "lua tcp socket keepalive max idle timeout")
	sink.waitFor(t, `lua tcp socket keepalive: free connection pool for "idle"`)
	_, sink = runLogged(t, debugConfig(), `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+port+`, {pool = "idle", pool_size = 4}))
		sock:close()
	`)
	if !sink.has("lua tcp socket connection pool size: 4, backlog: -1") {
		t.Fatal("the pool was not created again with the new size")
	}
}

// Without Debug no debug line is built or written.
func TestNoDebugLinesByDefault(t *testing.T) {
	addr := serve(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n') })
	_, sink := runLogged(t, DefaultConfig, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		sock:send("x")
		sock:close()
	`)
	if len(sink.lines) != 0 {
		t.Fatalf("lines logged: %q", sink.lines)
	}
}

// Error lines: nginx's connect() failure text with errno, "attempt to send
// data on a closed socket: u:..", and lua_socket_log_errors off.
func TestErrorLines(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := portOf(ln.Addr().String())
	ln.Close()
	code := `
		local sock = ngx.socket.tcp()
		out(sock:connect("127.0.0.1", ` + port + `))
		out(sock:send("x"))
	`
	got, sink := runLogged(t, DefaultConfig, code)
	check(t, got, "nil connection refused\nnil closed\n")
	for _, want := range []string{"connect() failed (111: Connection refused)", "attempt to send data on a closed socket: u:"} {
		if !sink.has(want) {
			t.Errorf("no log line with %q in %q", want, sink.lines)
		}
	}
	quiet := DefaultConfig
	quiet.LogErrors = false
	got, sink = runLogged(t, quiet, code)
	check(t, got, "nil connection refused\nnil closed\n")
	if len(sink.lines) != 0 {
		t.Fatalf("lua_socket_log_errors off still logs %q", sink.lines)
	}
}

// luaL_argerror's numbering: a method call does not count self; a call
// through pcall(sock.method, sock, ...) names the function '?'.
func TestArgErrorNumbering(t *testing.T) {
	addr := serve(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n') })
	got := run(t, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		out(pcall(function() return sock:send({"a", true}) end))
		out(pcall(sock.send, sock, {"a", true}))
		out(pcall(function() return sock:receiveany(0) end))
		out(pcall(sock.receiveany, sock, 0))
	`)
	check(t, got, `false t:4: bad argument #1 to 'send' (bad data type boolean found)
false bad argument #2 to '?' (bad data type boolean found)
false t:6: bad argument #1 to 'receiveany' (bad max argument)
false bad argument #2 to '?' (bad max argument)
`)
}

// A datagram unix socket gets an (autobound) address the peer can answer
// to; udp bind() and tcp bind() set the local address; udp debug lines.
func TestUDPUnixAnswerAndBind(t *testing.T) {
	path := t.TempDir() + "/dgram.sock"
	pc, err := net.ListenPacket("unixgram", path)
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
			if from != nil {
				pc.WriteTo(append([]byte("re:"), buf[:n]...), from)
			}
		}
	}()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	go func() {
		buf := make([]byte, 1024)
		for {
			_, from, err := udp.ReadFrom(buf)
			if err != nil {
				return
			}
			udp.WriteTo([]byte(from.(*net.UDPAddr).IP.String()), from)
		}
	}()
	tcp := serve(t, func(c net.Conn) { c.Write([]byte(c.RemoteAddr().(*net.TCPAddr).IP.String() + "\n")) })
	got, sink := runLogged(t, debugConfig(), `
		local u = ngx.socket.udp()
		out(u:setpeername("unix:`+path+`"))
		out(u:send("hi"))
		out(u:receive())
		out(u:setpeername("unix:`+path+`"))
		out(u:bind("127.0.0.2"))
		out(u:setpeername("127.0.0.1", `+portOf(udp.LocalAddr().String())+`))
		out(u:send("who"))
		out(u:receive(100))
		out(u:bind("nonsense"))
		local s = ngx.socket.tcp()
		out(s:bind("127.0.0.3"))
		out(s:connect("127.0.0.1", `+portOf(tcp)+`))
		out(s:receive())
	`)
	check(t, got, "1\n1\nre:hi\n1\n1\n1\n1\n127.0.0.2\nnil bad address\ntrue\n1\n127.0.0.3\n")
	for _, want := range []string{
		"lua udp socket receive buffer size: 65536",
		"lua udp socket receive buffer size: 100",
		"lua udp socket reconnect without shutting down",
		"lua reuse socket upstream ctx",
		"lua udp socket bind ip: 127.0.0.2",
		"lua tcp socket bind ip: 127.0.0.3",
	} {
		if !sink.has(want) {
			t.Errorf("no log line with %q", want)
		}
	}
}

// lua_socket_buffer_size 1: every pattern still works, a byte per recv.
func TestTinyBuffer(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		c.Write([]byte("line one\r\nhello--abc world--abc tail"))
	})
	cfg := DefaultConfig
	cfg.BufferSize = 1
	got, _ := runLogged(t, cfg, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		out(sock:receive())
		local r = sock:receiveuntil("--abc")
		out(r())
		out(r())
		out(sock:receive(2))
		out(sock:receive("*a"))
	`)
	check(t, got, "line one\nhello\n world\n t\nail\n")
}

// The entities of one request (its light threads share Req) share its
// sockets; another request's entity gets "bad request".
func TestSocketSharedByRequestThreads(t *testing.T) {
	addr := serve(t, func(c net.Conn) { c.Write([]byte("hi\n")) })
	vm, sb := newVM(t)
	req := fakeReq{}
	parent := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent, Req: req}
	if err := vm.DoString(parent, "t", `sock = ngx.socket.tcp() out(sock:connect("127.0.0.1", `+portOf(addr)+`))`); err != nil {
		t.Fatal(err)
	}
	thread := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent, Req: req}
	if err := vm.DoString(thread, "t", `out(sock:receive())`); err != nil {
		t.Fatal(err)
	}
	other := &luabindings.Ctx{VM: vm, Phase: luabindings.PhaseContent, Req: fakeReq{n: 1}}
	if err := vm.DoString(other, "t", `out(pcall(sock.receive, sock))`); err != nil {
		t.Fatal(err)
	}
	CloseAll(parent)
	check(t, sb.String(), "1\nhi\nfalse bad request\n")
}

type fakeReq struct{ n int }

func (fakeReq) Var(string) (string, bool) { return "", false }

// A receiveuntil chunk that ends inside a partial match leaves the
// matched bytes in the buffer, where receive() finds them (as nginx).
func TestUntilPartialMatchStaysBuffered(t *testing.T) {
	addr := serve(t, func(c net.Conn) { c.Write([]byte("ab1ab1\n")) })
	got := run(t, `
		local sock = ngx.socket.tcp()
		assert(sock:connect("127.0.0.1", `+portOf(addr)+`))
		local reader = sock:receiveuntil("ab1ab2")
		out(reader(2))
		out(sock:receive(3))
		out(sock:receive())
	`)
	check(t, got, "ab1\nab1\n\n")
}
