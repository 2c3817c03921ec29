package geo_test

import (
	"strings"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestGeo(t *testing.T) {
	s := httpdtest.StartEnv(t, `
geo $client {
    default        world;
    127.0.0.0/8    loopback;
    127.0.0.1      me;
}
geo $arg_ip $net {
    default         none;
    10.0.0.0/8      ten;
    10.1.0.0/16     ten-one;
    10.1.2.0/24     ten-one-two;
    10.1.2.3        host;
    10.9.0.0/16     deleted;
    delete          10.9.0.0/16;
    192.0.2.0/24    first;
    192.0.2.0/24    second;
    2001:db8::/32   doc6;
    2001:db8:1::/48 doc6-1;
    ::1             lo6;
}
geo $arg_ip $nodefault {
    10.0.0.0/8 ten;
}
geo $arg_ip $v4all {
    0.0.0.0/0 any4;
}
geo $arg_ip $r {
    ranges;
    default          outside;
    10.0.0.0-10.0.0.255     a;
    10.0.1.0-10.0.1.255     b;
    192.0.2.10-192.0.2.20   c;
}
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "$client|$net|$nodefault|$v4all|$r\n"; }
}`)
	for _, c := range []struct{ ip, want string }{
		{"", "me|none||any4|outside\n"},
		{"10.5.5.5", "me|ten|ten|any4|outside\n"},
		{"10.1.5.5", "me|ten-one|ten|any4|outside\n"},
		{"10.1.2.5", "me|ten-one-two|ten|any4|outside\n"},
		{"10.1.2.3", "me|host|ten|any4|outside\n"},
		{"10.9.1.1", "me|ten|ten|any4|outside\n"},
		{"192.0.2.15", "me|second||any4|c\n"},
		{"10.0.0.7", "me|ten|ten|any4|a\n"},
		{"10.0.1.7", "me|ten|ten|any4|b\n"},
		{"2001:db8::5", "me|doc6|||outside\n"},
		{"2001:db8:1::5", "me|doc6-1|||outside\n"},
		{"::1", "me|lo6|||outside\n"},
		{"::ffff:10.1.2.3", "me|host|ten|any4|outside\n"}, // ranges are for IPv4 only
		{"junk", "me|none||any4|outside\n"},
		{"8.8.8.8", "me|none||any4|outside\n"},
	} {
		_, _, body := s.Get(t, "/?ip="+c.ip)
		if body != c.want {
			t.Errorf("%q: got %q, want %q", c.ip, body, c.want)
		}
	}
	if log := s.ErrorLog(); !strings.Contains(log, `duplicate network "192.0.2.0/24", value: "second", old value: "first"`) {
		t.Errorf("no duplicate warning:\n%s", log)
	}
}

func TestGeoConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"geo $g { 10.0.0.300 x; }", `invalid network "10.0.0.300" in PREFIX/conf/nginx.conf:3`},
		{"geo $g { ranges; 10.0.0.9-10.0.0.1 x; }", `invalid range "10.0.0.9-10.0.0.1" in PREFIX/conf/nginx.conf:3`},
		{"geo g { default x; }", `invalid variable name "g" in PREFIX/conf/nginx.conf:3`},
		{"geo $g { proxy 10.0.0.300; }", `invalid network "10.0.0.300" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}

// geo's proxy and proxy_recursive: a request from a listed proxy is
// looked up by the address its X-Forwarded-For names.
// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestGeoProxy(t *testing.T) {
	s := httpdtest.StartEnv(t, `
geo $plain {
    default        world;
    proxy          127.0.0.1;
    10.0.0.0/8     ten;
    192.168.1.1    lan;
    127.0.0.1      me;
}
geo $recursive {
    default        world;
    proxy          127.0.0.0/8;
    proxy          192.168.0.0/16;
    proxy_recursive;
    10.0.0.0/8     ten;
    192.168.1.1    lan;
    127.0.0.1      me;
}
geo $arg_ip $src {
    default        world;
    proxy          10.0.0.0/8;
    10.0.0.0/8     ten;
    192.168.1.1    lan;
}
geo $notproxy {
    default        world;
    proxy          10.0.0.1;
    127.0.0.1      me;
    10.0.0.0/8     ten;
}
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "$plain $recursive $src $notproxy\n"; }
}`)
	for _, c := range []struct {
		path, xff, want string
	}{
		{"/", "", "me me world me\n"},
		{"/", "10.1.2.3", "ten ten world me\n"},
		{"/", "10.1.2.3, 192.168.1.1", "lan ten world me\n"},
		{"/", "10.1.2.3, 192.168.1.1, 127.0.0.5", "world ten world me\n"},
		{"/", "junk", "me me world me\n"},
		{"/?ip=10.1.1.1", "192.168.1.1", "lan lan lan me\n"},
		{"/?ip=192.168.1.1", "10.2.2.2", "ten ten lan me\n"},
		{"/?ip=bad", "10.2.2.2", "ten ten world me\n"},
	} {
		var h []string
		if c.xff != "" {
			h = append(h, "X-Forwarded-For: "+c.xff)
		}
		code, _, body := s.Get(t, c.path, h...)
		if code != 200 || body != c.want {
			t.Errorf("%s XFF %q: %d %q, want %q", c.path, c.xff, code, body, c.want)
		}
	}
}
