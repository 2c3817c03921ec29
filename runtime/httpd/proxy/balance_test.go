package proxy_test

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// named is an upstream answering every request with its name as the
// body, 200; a name starting with "e" answers the status the path asks
// for (/s503 is a 503).
func named(t *testing.T, name string) *upstream {
	return startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		code := "200"
		if m := statusPath.FindStringSubmatch(head); m != nil && name[0] == 'e' {
			code = m[1]
		}
		io.WriteString(c, "HTTP/1.1 "+code+" X\r\nContent-Length: "+strconv.Itoa(len(name))+"\r\nConnection: close\r\n\r\n"+name)
		return false
	})
}

var statusPath = regexp.MustCompile(`^\S+ \S*/s(\d{3})`)

// deadPort is a port nothing listens on (connections are refused).
func deadPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return p
}

type tryCase struct {
	path, method string
	status       int
	body, up     string // up: "$upstream_addr|$upstream_status"
}

func runTries(t *testing.T, s *httpdtest.Server, cases []tryCase) {
	t.Helper()
	for i, c := range cases {
		m := c.method
		if m == "" {
			m = "GET"
		}
		raw := m + " " + c.path + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
		if m == "POST" {
			raw += "Content-Length: 1\r\n\r\nx"
		} else {
			raw += "\r\n"
		}
		resp, body, _ := rawGet(t, s.Addr, raw)
		got := resp.Header.Get("X-Up")
		if resp.StatusCode != c.status || (c.body != "" && body != c.body) || (c.up != "" && got != c.up) {
			t.Errorf("%d %s %s: got %d %q [%s], want %d %q [%s]", i, m, c.path, resp.StatusCode, body, got, c.status, c.body, c.up)
		}
	}
}

// TestRoundRobin: nginx's smooth weighted round robin; a down server is
// never chosen, a backup one only when the primary ones failed.
// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestRoundRobin(t *testing.T) {
	a, b, c, d := named(t, "a"), named(t, "b"), named(t, "c"), named(t, "d")
	s := httpdtest.StartEnv(t, `
upstream wrr {
    server 127.0.0.1:`+a.port+` weight=2;
    server 127.0.0.1:`+b.port+`;
    server 127.0.0.1:`+c.port+` backup;
    server 127.0.0.1:`+d.port+` down;
}
upstream w3 {
    server 127.0.0.1:`+a.port+` weight=5;
    server 127.0.0.1:`+b.port+` weight=1;
    server 127.0.0.1:`+c.port+` weight=1;
}
server {
    listen 127.0.0.1:PORT;
    location /wrr { proxy_pass http://wrr; }
    location /w3 { proxy_pass http://w3; }
}`)
	var got []string
	for i := 0; i < 6; i++ {
		_, _, body := s.Get(t, "/wrr")
		got = append(got, body)
	}
	for i := 0; i < 7; i++ {
		_, _, body := s.Get(t, "/w3")
		got = append(got, body)
	}
	if g := strings.Join(got, ""); g != "abaaba"+"aabacaa" {
		t.Errorf("order %q", g)
	}
}

// TestNextUpstream: proxy_next_upstream (error timeout by default) sends
// a failed request to the next server; the failed one sits out
// fail_timeout after max_fails; http_* cases, non_idempotent, _tries,
// off; the last try's answer is passed on; $upstream_addr and
// $upstream_status list every try.
func TestNextUpstream(t *testing.T) {
	a, b, f := named(t, "a"), named(t, "e"), named(t, "e2")
	dead, dead2 := deadPort(t), deadPort(t)
	A, B, F, D, D2 := "127.0.0.1:"+a.port, "127.0.0.1:"+b.port, "127.0.0.1:"+f.port, "127.0.0.1:"+dead, "127.0.0.1:"+dead2
	s := httpdtest.StartEnv(t, `
upstream u1 { server `+D+`; server `+A+`; }
upstream u2 { server `+D+`; server `+A+`; }
upstream u3 { server `+B+`; server `+A+`; }
upstream u4 { server `+B+`; server `+F+` max_fails=0; }
upstream u5 { server `+D+` max_fails=0; server `+A+`; }
upstream u6 { server `+D+`; server `+D2+`; }
upstream u7 { server `+B+`; server `+A+`; }
upstream u8 { server `+D+`; server `+A+`; }
upstream u9 { server `+B+`; server `+A+`; }
server {
    listen 127.0.0.1:PORT;
    add_header X-Up "$upstream_addr|$upstream_status" always;
    location /u1 { proxy_pass http://u1; }
    location /u2 { proxy_pass http://u2; proxy_next_upstream off; }
    location /u3 { proxy_pass http://u3; proxy_next_upstream error http_503; }
    location /u4 { proxy_pass http://u4; proxy_next_upstream http_404 http_503; }
    location /u5 { proxy_pass http://u5; proxy_next_upstream_tries 1; }
    location /u6 { proxy_pass http://u6; }
    location /u7 { proxy_pass http://u7; proxy_next_upstream http_503 non_idempotent; }
    location /u8 { proxy_pass http://u8; }
    location /u9 { proxy_pass http://u9; proxy_next_upstream http_503; }
}`)
	runTries(t, s, []tryCase{
		// refused: the next server answers; the first sits out fail_timeout
		{"/u1", "", 200, "a", D + ", " + A + "|502, 200"},
		{"/u1", "", 200, "a", A + "|200"},
		{"/u1", "", 200, "a", A + "|200"},
		// off: the failure is the answer; the server still counts it
		{"/u2", "", 502, "", D + "|502"},
		{"/u2", "", 200, "a", A + "|200"},
		{"/u2", "", 200, "a", A + "|200"},
		// http_503: the next server's answer, the 503 one sits out
		{"/u3/s503", "", 200, "a", B + ", " + A + "|503, 200"},
		{"/u3/s503", "", 200, "a", A + "|200"},
		// a 404 goes on but does not count as a failure; the last
		// try's answer is passed on as it is
		{"/u4/s404", "", 404, "e2", B + ", " + F + "|404, 404"},
		{"/u4/s404", "", 404, "e", F + ", " + B + "|404, 404"},
		{"/u4/s503", "", 503, "e2", B + ", " + F + "|503, 503"},
		// the 503 server sits out, the max_fails=0 one failed too:
		// no live server is left for the second try
		{"/u4/s503", "", 502, "", F + ", u4|503, 502"},
		// proxy_next_upstream_tries 1, max_fails=0: never skipped
		{"/u5", "", 502, "", D + "|502"},
		{"/u5", "", 200, "a", A + "|200"},
		{"/u5", "", 502, "", D + "|502"},
		// every server failed, then none is live
		{"/u6", "", 502, "", D + ", " + D2 + "|502, 502"},
		{"/u6", "", 502, "", "u6|502"},
		// a POST sent goes on only with non_idempotent; one not sent
		// (refused) always does
		{"/u7/s503", "POST", 200, "a", B + ", " + A + "|503, 200"},
		{"/u9/s503", "POST", 503, "e", B + "|503"},
		{"/u8", "POST", 200, "a", D + ", " + A + "|502, 200"},
	})
	log := s.ErrorLog()
	for _, want := range []string{
		"connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /u1 HTTP/1.1\", upstream: \"http://" + D + "/u1\", host: \"h\"",
		"[warn] ",
		"upstream server temporarily disabled while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /u1 HTTP/1.1\", upstream: \"http://" + D + "/u1\"",
		"upstream server temporarily disabled while reading response header from upstream, client: 127.0.0.1, server: , request: \"GET /u3/s503 HTTP/1.1\", upstream: \"http://" + B + "/u3/s503\"",
		"no live upstreams while connecting to upstream, client: 127.0.0.1, server: , request: \"GET /u6 HTTP/1.1\", upstream: \"http://u6/u6\"",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no %q in\n%s", want, log)
		}
	}
}

// TestBalancingMethods: least_conn sends to the server with the fewest
// requests in progress; ip_hash keeps a client address on one server
// (the first three bytes of an IPv4 address pick it).
func TestBalancingMethods(t *testing.T) {
	release := make(chan struct{})
	slow := startUpstream(t, func(c net.Conn, head string, body []byte) bool {
		if strings.HasPrefix(head, "GET /lc/slow") {
			<-release
		}
		return reply(c, "slow", "Connection: close") && false
	})
	fast, a, b, c := named(t, "fast"), named(t, "a"), named(t, "b"), named(t, "c")
	s := httpdtest.StartEnv(t, `
upstream lc {
    least_conn;
    server 127.0.0.1:`+slow.port+`;
    server 127.0.0.1:`+fast.port+`;
}
upstream ih {
    ip_hash;
    server 127.0.0.1:`+a.port+`;
    server 127.0.0.1:`+b.port+`;
    server 127.0.0.1:`+c.port+`;
}
upstream ihw {
    ip_hash;
    server 127.0.0.1:`+a.port+` weight=3;
    server 127.0.0.1:`+b.port+`;
    server 127.0.0.1:`+c.port+`;
}
server {
    listen 127.0.0.1:PORT;
    location /lc { proxy_pass http://lc; }
    location /ih { proxy_pass http://ih; }
    location /ihw { proxy_pass http://ihw; }
}`)
	done := make(chan string)
	go func() {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			done <- err.Error()
			return
		}
		defer c.Close()
		io.WriteString(c, "GET /lc/slow HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		done <- string(b)
	}()
	waitFor(t, "the slow request upstream", func() bool { return slow.lastHead() != "" })
	var got []string
	for i := 0; i < 3; i++ {
		_, _, body := s.Get(t, "/lc/x")
		got = append(got, body)
	}
	close(release)
	if r := <-done; !strings.HasSuffix(r, "slow") {
		t.Errorf("slow request: %q", r)
	}
	for i := 0; i < 3; i++ {
		_, _, body := s.Get(t, "/ih")
		got = append(got, body)
	}
	for i := 0; i < 2; i++ {
		_, _, body := s.Get(t, "/ihw")
		got = append(got, body)
	}
	if g := strings.Join(got, " "); g != "fast fast fast c c c a a" {
		t.Errorf("got %q", g)
	}
}

func TestUpstreamConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"upstream u { ip_hash; server 127.0.0.1:1 backup; }", `balancing method does not support parameter "backup" in PREFIX/conf/nginx.conf:3`},
		{"upstream u { server 127.0.0.1:1 max_fails=x; }", `invalid parameter "max_fails=x" in PREFIX/conf/nginx.conf:3`},
		{"proxy_next_upstream error bogus;", `invalid value "bogus" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}
