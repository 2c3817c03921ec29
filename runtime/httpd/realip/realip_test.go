package realip_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestRealIP(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    set_real_ip_from 127.0.0.0/8;
    set_real_ip_from 10.0.0.0/8;
    location / { return 200 "$remote_addr|$remote_port|$realip_remote_addr\n"; }
    # a location's own settings apply at preaccess: a "return" (rewrite
    # phase) still sees the server's
    location /early {
        real_ip_header X-Forwarded-For;
        return 200 "$remote_addr\n";
    }
    location /xff {
        real_ip_header X-Forwarded-For;
        content_by_lua_block { ngx.say(ngx.var.remote_addr, "|", ngx.var.remote_port, "|", ngx.var.realip_remote_addr) }
    }
    location /rec {
        real_ip_header X-Forwarded-For;
        real_ip_recursive on;
        content_by_lua_block { ngx.say(ngx.var.remote_addr, "|", ngx.var.remote_port, "|", ngx.var.realip_remote_addr) }
    }
    location /custom {
        real_ip_header X-Client;
        content_by_lua_block { ngx.say(ngx.var.remote_addr, "|", ngx.var.remote_port, "|", ngx.var.realip_remote_addr) }
    }
    location /deny {
        real_ip_header X-Forwarded-For;
        deny 192.0.2.1;
        content_by_lua_block { ngx.say("in ", ngx.var.remote_addr) }
    }
    location /log {
        real_ip_header X-Forwarded-For;
        return 404;
    }
}
server {
    listen 127.0.0.1:PORT;
    server_name untrusted;
    set_real_ip_from 192.0.2.0/24;
    location / { return 200 "$remote_addr|$realip_remote_addr\n"; }
}`)
	for _, c := range []struct {
		path    string
		headers []string
		want    string
	}{
		{"/", nil, "127.0.0.1|*|127.0.0.1\n"},
		{"/", []string{"X-Real-IP: 192.0.2.7"}, "192.0.2.7||127.0.0.1\n"},
		{"/", []string{"X-Real-IP: 192.0.2.7:8080"}, "192.0.2.7|8080|127.0.0.1\n"},
		{"/", []string{"X-Real-IP: [2001:db8::1]:99"}, "2001:db8::1|99|127.0.0.1\n"},
		{"/", []string{"X-Real-IP: 2001:db8::2"}, "2001:db8::2||127.0.0.1\n"},
		{"/", []string{"X-Real-IP: bogus"}, "127.0.0.1|*|127.0.0.1\n"},
		{"/", []string{"X-Forwarded-For: 192.0.2.7"}, "127.0.0.1|*|127.0.0.1\n"},
		{"/early", []string{"X-Forwarded-For: 192.0.2.7"}, "127.0.0.1\n"},
		{"/early", []string{"X-Real-IP: 192.0.2.7"}, "192.0.2.7\n"},
		{"/xff", []string{"X-Forwarded-For: 192.0.2.7, 10.1.1.1"}, "10.1.1.1||127.0.0.1\n"},
		{"/xff", []string{"X-Forwarded-For: 192.0.2.7,10.1.1.1 , "}, "10.1.1.1||127.0.0.1\n"},
		{"/rec", []string{"X-Forwarded-For: 198.51.100.1, 192.0.2.7, 10.1.1.1, 10.2.2.2"}, "192.0.2.7||127.0.0.1\n"},
		{"/rec", []string{"X-Forwarded-For: 10.3.3.3, 10.1.1.1"}, "10.3.3.3||127.0.0.1\n"},
		{"/rec", []string{"X-Forwarded-For: junk, 10.1.1.1"}, "10.1.1.1||127.0.0.1\n"},
		{"/custom", []string{"X-Client: 203.0.113.9"}, "203.0.113.9||127.0.0.1\n"},
		// the server's X-Real-IP applied at post-read already
		{"/custom", []string{"X-Real-IP: 203.0.113.9"}, "203.0.113.9||127.0.0.1\n"},
		{"/", []string{"Host: untrusted", "X-Real-IP: 192.0.2.7"}, "127.0.0.1|127.0.0.1\n"},
	} {
		_, _, body := s.Get(t, c.path, c.headers...)
		if !matchStar(body, c.want) {
			t.Errorf("%s %q: got %q, want %q", c.path, c.headers, body, c.want)
		}
	}
	if st, _, _ := s.Get(t, "/deny", "X-Forwarded-For: 192.0.2.1"); st != 403 {
		t.Errorf("deny of the real address: %d", st)
	}
	if st, _, body := s.Get(t, "/deny", "X-Forwarded-For: 192.0.2.2"); st != 200 || body != "in 192.0.2.2\n" {
		t.Errorf("allowed real address: %d %q", st, body)
	}
	if !strings.Contains(s.ErrorLog(), "access forbidden by rule, client: 192.0.2.1,") {
		t.Errorf("the error log names the real client:\n%s", s.ErrorLog())
	}
}

// TestRealIPMultipleHeaders sends X-Forwarded-For twice: the last header
// is read first, the earlier ones when real_ip_recursive is on.
func TestRealIPMultipleHeaders(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    set_real_ip_from 127.0.0.1;
    set_real_ip_from 10.0.0.0/8;
    real_ip_header X-Forwarded-For;
    location / { return 200 "$remote_addr\n"; }
}
server {
    listen 127.0.0.1:PORT;
    server_name rec;
    set_real_ip_from 127.0.0.1;
    set_real_ip_from 10.0.0.0/8;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    location / { return 200 "$remote_addr\n"; }
}`)
	for _, c := range []struct{ host, want string }{
		{"x", "10.0.0.2\n"},
		{"rec", "192.0.2.5\n"},
	} {
		resp, body, _ := s.Exchange(t, "GET / HTTP/1.1\r\nHost: "+c.host+"\r\nConnection: close\r\n"+
			"X-Forwarded-For: 192.0.2.5, 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n")
		if resp.StatusCode != 200 || body != c.want {
			t.Errorf("%s: got %d %q, want %q", c.host, resp.StatusCode, body, c.want)
		}
	}
}

func matchStar(got, want string) bool {
	g, w := strings.Split(got, "|"), strings.Split(want, "|")
	if len(g) != len(w) {
		return false
	}
	for i := range w {
		if w[i] == "*" {
			if g[i] == "" {
				return false
			}
			continue
		}
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

func TestRealIPConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"real_ip_header X-Real-IP; real_ip_header X-Forwarded-For;",
			`"real_ip_header" directive is duplicate in PREFIX/conf/nginx.conf:3`},
		{"set_real_ip_from bad..name.invalid;",
			`host not found in set_real_ip_from "bad..name.invalid" in PREFIX/conf/nginx.conf:3`},
		{"real_ip_recursive maybe;",
			`invalid value "maybe" in "real_ip_recursive" directive, it must be "on" or "off" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s: got %q, want %q", c.conf, got, c.want)
		}
	}
}

// TestProxyProtocol: "listen ... proxy_protocol" reads a version 1 or 2
// header; $proxy_protocol_addr/_port name the client, and realip makes it
// the client address with real_ip_header proxy_protocol. A connection
// without a header is closed.
func TestProxyProtocol(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT proxy_protocol;
    location / {
        content_by_lua_block { ngx.say(ngx.var.proxy_protocol_addr, "|", ngx.var.proxy_protocol_port, "|", ngx.var.remote_addr) }
    }
    location /real {
        set_real_ip_from 127.0.0.1;
        real_ip_header proxy_protocol;
        content_by_lua_block { ngx.say(ngx.var.remote_addr, "|", ngx.var.remote_port, "|", ngx.var.realip_remote_addr) }
    }
}`)
	v2 := func(src, dst [4]byte, sport, dport uint16) string {
		b := []byte("\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c")
		b = append(b, src[:]...)
		b = append(b, dst[:]...)
		b = append(b, byte(sport>>8), byte(sport), byte(dport>>8), byte(dport))
		return string(b)
	}
	for _, c := range []struct{ pre, path, want string }{
		{"PROXY TCP4 192.0.2.9 127.0.0.1 5555 80\r\n", "/", "192.0.2.9|5555|127.0.0.1\n"},
		{"PROXY TCP6 2001:db8::9 ::1 6666 443\r\n", "/", "2001:db8::9|6666|127.0.0.1\n"},
		{v2([4]byte{198, 51, 100, 7}, [4]byte{127, 0, 0, 1}, 4242, 80), "/", "198.51.100.7|4242|127.0.0.1\n"},
		{"PROXY TCP4 192.0.2.9 127.0.0.1 5555 80\r\n", "/real", "192.0.2.9|5555|127.0.0.1\n"},
	} {
		resp, body, _ := s.Exchange(t, c.pre+"GET "+c.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if resp.StatusCode != 200 || body != c.want {
			t.Errorf("%q %s: got %d %q, want %q", c.pre, c.path, resp.StatusCode, body, c.want)
		}
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Errorf("a request without a header was answered: %q", b)
	}
	// the line holds what was read: the whole request here
	for i := 0; !strings.Contains(s.ErrorLog(), "broken header: \"GET / HTTP/1.1\r\nHost: x\r\n\r\n\" while reading PROXY protocol, client: 127.0.0.1, server: "+s.Addr); i++ {
		if i > 200 {
			t.Fatalf("no broken header line:\n%s", s.ErrorLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
