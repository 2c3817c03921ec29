package referer_test

import (
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx.
func TestValidReferers(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    server_name www.site.test *.cdn.test ~^img\d+\.site\.test$;
    valid_referers none blocked server_names
        example.com *.wild.test .dot.test shop.*
        pre.test/allowed/ ~\.rx\.test/ok;
    location / { return 200 "[$invalid_referer]"; }
    location /loc/ {
        valid_referers other.test;
        return 200 "[$invalid_referer]";
    }
    location /none/ {
        valid_referers none other.test;
        return 200 "[$invalid_referer]";
    }
    location /inherit/ {
        location /inherit/in/ { return 200 "[$invalid_referer]"; }
    }
}
server {
    listen 127.0.0.1:PORT;
    server_name off.test;
    location / { return 200 "[$invalid_referer]"; }
}`)
	for _, c := range []struct {
		path, ref string // ref "-": no Referer
		want      string
	}{
		{"/", "-", "[]"},                              // none
		{"/", "foo", "[]"},                            // blocked: no scheme
		{"/", "ftp://example.com/", "[]"},             // blocked: other scheme
		{"/", "http://a", "[]"},                       // blocked: shorter than http://i.ru
		{"/", "http://example.com/", "[]"},            // exact
		{"/", "http://EXAMPLE.com:8080/x", "[]"},      // case, port
		{"/", "https://example.com", "[]"},            // https, no path
		{"/", "HTTPS://example.com/a", "[]"},          // scheme case
		{"/", "http://www.example.com/", "[1]"},       // exact only
		{"/", "http://example.org/", "[1]"},           // unknown
		{"/", "http://www.site.test/p", "[]"},         // server_names exact
		{"/", "http://a.cdn.test/", "[]"},             // server_names wildcard
		{"/", "http://cdn.test/", "[1]"},              // "*." needs a label
		{"/", "http://img12.site.test/", "[]"},        // server_names regex
		{"/", "http://imgx.site.test/", "[1]"},        //
		{"/", "http://a.wild.test/", "[]"},            // *.wild.test
		{"/", "http://a.b.wild.test/", "[]"},          //
		{"/", "http://wild.test/", "[1]"},             //
		{"/", "http://dot.test/", "[]"},               // .dot.test
		{"/", "http://x.dot.test/", "[]"},             //
		{"/", "http://shop.com/", "[]"},               // shop.*
		{"/", "http://shop.co.uk/", "[]"},             //
		{"/", "http://shop/", "[1]"},                  //
		{"/", "http://myshop.com/", "[1]"},            //
		{"/", "http://pre.test/allowed/x", "[]"},      // URI prefix
		{"/", "http://pre.test:81/allowed/", "[]"},    // port before the URI
		{"/", "http://pre.test/Allowed/x", "[1]"},     // prefix is case-sensitive
		{"/", "http://pre.test/other", "[1]"},         //
		{"/", "http://pre.test", "[1]"},               //
		{"/", "http://www.rx.test/ok/1", "[]"},        // regex
		{"/", "http://WWW.RX.TEST/OK", "[]"},          // caseless
		{"/", "http://www.rx.test/no", "[1]"},         //
		{"/", "http://pre.test/x.rx.test/ok", "[1]"},  // host found: no regex
		{"/", "http://evil.test/.rx.test/ok", "[]"},   // regex over the whole rest
		{"/loc/", "-", "[1]"},                         // own list, no none
		{"/loc/", "http://other.test/", "[]"},         //
		{"/loc/", "http://example.com/", "[1]"},       //
		{"/loc/", "http://x.rx.test/ok", "[]"},        // regexes are inherited
		{"/none/", "-", "[]"},                         //
		{"/none/", "foo", "[1]"},                      //
		{"/inherit/in/", "foo", "[]"},                 // inherited
		{"/inherit/in/", "http://a.cdn.test/", "[]"},  //
		{"/inherit/in/", "http://other.test/", "[1]"}, //
	} {
		var h []string
		if c.ref != "-" {
			h = append(h, "Referer: "+c.ref)
		}
		st, _, body := s.Get(t, c.path, h...)
		if st != 200 || body != c.want {
			t.Errorf("%s Referer %q: got %d %q, want %q", c.path, c.ref, st, body, c.want)
		}
	}
	// no valid_referers: always valid
	if _, _, body := s.Get(t, "/", "Host: off.test", "Referer: http://x/"); body != "[]" {
		t.Errorf("without valid_referers: %q", body)
	}
}

// A long host is invalid whatever the regexes say.
func TestValidReferersLongHost(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    valid_referers example.com ~.;
    location / { return 200 "[$invalid_referer]"; }
}`)
	long := make([]byte, 257)
	for i := range long {
		long[i] = 'a'
	}
	for _, c := range []struct{ ref, want string }{
		{"http://" + string(long[:256]) + "/", "[]"},
		{"http://" + string(long) + "/", "[1]"},
		{"foo", "[1]"},
	} {
		if _, _, body := s.Get(t, "/", "Referer: "+c.ref); body != c.want {
			t.Errorf("Referer of %d: got %q, want %q", len(c.ref), body, c.want)
		}
	}
}

func TestValidReferersErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{`server { valid_referers none; }`, `the "none" or "blocked" referers are specified in the "valid_referers" directive without any valid referer`},
		{`server { valid_referers blocked ~x; }`, `the "none" or "blocked" referers are specified in the "valid_referers" directive without any valid referer`},
		{`server { valid_referers a.test a.test; }`, `conflicting parameter "a.test" in PREFIX/conf/nginx.conf:3`},
		{`server { valid_referers .a.test a.test; }`, `conflicting parameter "a.test" in PREFIX/conf/nginx.conf:3`},
		{`server { valid_referers www.*.test; }`, `invalid hostname or wildcard "www.*.test" in PREFIX/conf/nginx.conf:3`},
		{`server { valid_referers ~; }`, `empty regex in "~" in PREFIX/conf/nginx.conf:3`},
		{`server { server_name a.test; valid_referers server_names a.test; }`, `conflicting parameter "a.test"`},
		{`server { server_name .a.test; valid_referers server_names; }`, ``},
		{`valid_referers a.test;`, `"valid_referers" directive is not allowed here in PREFIX/conf/nginx.conf:3`},
		{`server { referer_hash_max_size x; }`, `"referer_hash_max_size" directive invalid number in PREFIX/conf/nginx.conf:3`},
		{`server { referer_hash_max_size 512; referer_hash_bucket_size 128; valid_referers a.test; }`, ``},
	} {
		got := httpdtest.LoadError(t, c.conf)
		if c.want == "" && got != "" || c.want != "" && !contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.conf, got, c.want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Header forms a client library does not send: an empty Referer, two of
// them (the first counts), no host; server_names of a server without
// server_name is its "" name.
func TestValidReferersRaw(t *testing.T) {
	s := httpdtest.StartEnv(t, `
server {
    listen 127.0.0.1:PORT;
    valid_referers server_names;
    location / { return 200 "[$invalid_referer]"; }
    location /b/ {
        valid_referers blocked a.test;
        return 200 "[$invalid_referer]";
    }
}`)
	for _, c := range []struct{ path, hdrs, want string }{
		{"/", "Referer: http:///x\r\n", "[1]"}, // shorter than http://i.ru
		{"/", "Referer: http:///xxxxxx\r\n", "[]"},
		{"/", "Referer: http://a.test/\r\n", "[1]"},
		{"/", "", "[1]"},
		{"/b/", "Referer: \r\n", "[]"},
		{"/b/", "Referer: http://a.test/\r\nReferer: http://b.test/\r\n", "[]"},
		{"/b/", "Referer: http://b.test/\r\nReferer: http://a.test/\r\n", "[1]"},
	} {
		resp, body, conn := s.Exchange(t, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\n"+c.hdrs+"Connection: close\r\n\r\n")
		conn.Close()
		if resp.StatusCode != 200 || body != c.want {
			t.Errorf("%s %q: got %d %q, want %q", c.path, c.hdrs, resp.StatusCode, body, c.want)
		}
	}
}
