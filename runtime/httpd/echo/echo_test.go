package echo_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// echoMain loads the echo module on the reference nginx (goresty accepts
// load_module and has the module built in).
const echoMain = "worker_processes 1; load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;"

// servers starts conf on goresty and, with NGX_REFERENCE set (e.g.
// /usr/sbin/nginx with libnginx-mod-http-echo), on nginx too: every case
// is checked against its expectation on goresty and, when the reference
// runs, goresty's answer is compared with nginx's.
func servers(t *testing.T, conf string) []*httpdtest.Server {
	t.Helper()
	s := []*httpdtest.Server{httpdtest.StartMain(t, echoMain, conf, "")}
	if ref := os.Getenv("NGX_REFERENCE"); ref != "" {
		s = append(s, httpdtest.StartMain(t, echoMain, conf, ref))
	}
	return s
}

type want struct {
	raw     string // the request
	status  int
	body    string
	chunked bool   // Transfer-Encoding: chunked
	ctype   string // Content-Type, when not ""
}

// check runs every case on every server: the goresty answer must be the
// expected one, and the reference's must be the same.
func check(t *testing.T, srvs []*httpdtest.Server, cases []want) {
	t.Helper()
	for _, c := range cases {
		for i, s := range srvs {
			name := "goresty"
			if i > 0 {
				name = "nginx"
			}
			resp, body, _ := s.Exchange(t, c.raw)
			chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
			line := strings.SplitN(c.raw, "\r\n", 2)[0]
			if c.body == errPage && strings.Contains(body, "<title>"+itoa(c.status)+" ") {
				body = errPage // the signature differs between the servers
			}
			if resp.StatusCode != c.status || body != c.body || chunked != c.chunked {
				t.Errorf("%s: %s: got %d %q chunked=%v, want %d %q chunked=%v",
					name, line, resp.StatusCode, body, chunked, c.status, c.body, c.chunked)
			}
			if c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype {
				t.Errorf("%s: %s: Content-Type %q, want %q", name, line, resp.Header.Get("Content-Type"), c.ctype)
			}
		}
	}
}

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
}

func post(path, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: " +
		itoa(len(body)) + "\r\n\r\n" + body
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestEcho(t *testing.T) {
	srvs := servers(t, `
server {
    listen 127.0.0.1:PORT;
    default_type text/plain;
    location /hello { echo hello world; }
    location /n { echo -n a; echo -n b; echo; }
    location /dashdash { echo -- -n x; echo - -y; }
    location /opts { echo -x -n hi; }
    location /var { set $v "-n"; echo $v z; echo "$arg_a" "" b; }
    location /empty { echo -n; }
    location /status { echo_status 404; echo gone; }
    location /dup { echo_duplicate 3 ab; echo_duplicate 0 x; echo_duplicate 1_0 .; echo; }
    location /dupbad { echo_duplicate $arg_n x; }
    location /page.html { echo "<b>"; }
    location /sleep { echo_sleep 0.01; echo slept; echo_blocking_sleep 0.001; }
    location /sleepbad { echo_sleep $arg_t; echo x; }
    location /flush { echo a; echo_flush; echo b; }
    location /foreach {
        echo_foreach_split ',' $arg_list;
            echo "[$echo_it]";
        echo_end;
        echo done;
    }
    location /hdrs { echo -n $echo_client_request_headers; }
    location /incr { echo $echo_incr $echo_incr; }
    location /timer { echo_reset_timer; echo $echo_timer_elapsed; }
    location /vars { echo $echo_request_method $echo_client_request_method $echo_request_uri $echo_cacheable_request_uri $echo_response_status; }
    location /inherit {
        echo outer;
        location /inherit/inner { }
    }
    location /if {
        if ($arg_x) { echo in if; }
        echo outside;
    }
}`)
	check(t, srvs, []want{
		{raw: get("/hello"), status: 200, body: "hello world\n", chunked: true, ctype: "text/plain"},
		{raw: get("/n"), status: 200, body: "ab\n", chunked: true},
		{raw: get("/dashdash"), status: 200, body: "-n x\n- -y\n", chunked: true},
		{raw: get("/opts"), status: 200, body: "hi\n", chunked: true}, // only the first option counts
		{raw: get("/var?a=1"), status: 200, body: "-n z\n1  b\n", chunked: true},
		{raw: get("/status"), status: 404, body: "gone\n", chunked: true},
		{raw: get("/dup"), status: 200, body: "ababab..........\n", chunked: true},
		{raw: get("/dupbad?n=x"), status: 500, body: errPage, ctype: "text/html"},
		{raw: get("/page.html"), status: 200, body: "<b>\n", chunked: true, ctype: "text/html"},
		{raw: get("/sleep"), status: 200, body: "slept\n", chunked: true},
		{raw: get("/sleepbad?t=1.2345"), status: 400, body: errPage, ctype: "text/html"},
		{raw: get("/flush"), status: 200, body: "a\nb\n", chunked: true},
		{raw: get("/foreach?list=,a,,b,c"), status: 200, body: "[a]\n[b]\n[c]\ndone\n", chunked: true},
		{raw: get("/foreach?list=,,"), status: 200, body: "done\n", chunked: true},
		{raw: "GET /hdrs?a HTTP/1.1\r\nHost: localhost\r\nX-A:  b \r\nConnection: close\r\n\r\n", status: 200,
			body: "GET /hdrs?a HTTP/1.1\r\nHost: localhost\r\nX-A:  b\n\r\nConnection: close\r\n\r\n", chunked: true}, // nginx's NUL mark
		{raw: get("/incr"), status: 200, body: "1 2\n", chunked: true},
		{raw: get("/timer"), status: 200, body: "0.000\n", chunked: true},
		{raw: get("/vars"), status: 200, body: "GET GET /vars /vars \n", chunked: true}, // no status before the header
		{raw: "HEAD /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", status: 200, body: ""},
		{raw: get("/inherit/inner"), status: 404, body: errPage}, // commands inherited, not the handler
		{raw: get("/if?x=1"), status: 200, body: "in if\n", chunked: true},
		{raw: get("/if"), status: 200, body: "outside\n", chunked: true},
	})
}

// errPage stands for the server's error page of the case's status (the
// servers sign it differently).
const errPage = "(error page)"

func TestEchoSubrequests(t *testing.T) {
	srvs := servers(t, `
server {
    listen 127.0.0.1:PORT;
    default_type text/plain;
    location /main {
        echo before;
        echo_location /sub "a=1";
        echo_location_async /sub?a=2;
        echo_location /sub;
        echo after;
    }
    location /sub { echo "sub $echo_request_method $args $echo_client_request_method"; }
    location /subreq {
        echo_subrequest POST /body -b hello;
        echo_subrequest_async PUT /body -q x=y -b "";
        echo_subrequest GET /sub -q k=v;
        echo_subrequest HEAD /sub;
    }
    location /body { echo_read_request_body; echo "$echo_request_method [$args] [$echo_request_body]"; }
    location /missing { echo_location /nowhere; echo end; }
    location /readbody { echo_read_request_body; echo_request_body; echo; echo "[$echo_request_body]"; }
    location /wrapped {
        echo_before_body "<<";
        echo_after_body ">>";
        echo_location /sub;
    }
    location /filters {
        echo_before_body -n [;
        echo_after_body -n ];
        return 200 "middle";
    }
    location /exec { echo_exec /sub "e=1"; }
    location /execnamed { echo_exec @named; }
    location @named { echo named $uri; }
    location /unsafe { echo_location /../x; }
    location /lead { echo_before_body -n hello; echo_location /comma; echo_after_body world; }
    location /comma { echo -n ", "; }
    location /execq { echo_exec @q?a=32; echo end; }
    location @q { echo "a: [$arg_a]"; }
    location /incr {
        echo "main pre: $echo_incr";
        echo_location_async /incrsub;
        echo_subrequest_async GET /incrsub;
        echo "main post: $echo_incr";
        echo_location /incrsub;
        echo end;
    }
    location /incrsub { echo "sub: $echo_incr"; }
    location /each {
        echo_foreach_split '&' $query_string;
            echo_location_async $echo_it;
            echo "/* $echo_it */";
        echo_end;
    }
    location /denied { echo_location /deny; }
    location /deny { deny all; echo allowed in a subrequest; }
}`)
	check(t, srvs, []want{
		{raw: get("/main"), status: 200, body: "before\nsub GET a=1 GET\nsub GET a=2 GET\nsub GET  GET\nafter\n", chunked: true},
		{raw: post("/subreq", "parent"), status: 200, body: "POST [] [hello]\nPUT [x=y] [parent]\nsub GET k=v POST\n", chunked: true},
		{raw: get("/readbody"), status: 200, body: "\n[]\n", chunked: true},
		{raw: post("/readbody", "abc"), status: 200, body: "abc\n[abc]\n", chunked: true},
		{raw: get("/wrapped"), status: 200, body: "<<\nsub GET  GET\n>>\n", chunked: true},
		{raw: get("/filters"), status: 200, body: "[middle]", chunked: true},
		{raw: get("/exec"), status: 200, body: "sub GET e=1 GET\n", chunked: true},
		// _async subrequests run when the handler yields, in order
		{raw: get("/incr"), status: 200, body: "main pre: 1\nsub: 3\nsub: 4\nmain post: 2\nsub: 5\nend\n", chunked: true},
		{raw: get("/each?/incrsub&/sub"), status: 200, body: "sub: 1\n/* /incrsub */\nsub GET  GET\n/* /sub */\n", chunked: true},
		{raw: get("/lead"), status: 200, body: "hello, world\n", chunked: true},
		{raw: get("/execq"), status: 200, body: "a: []\n", chunked: true},
		{raw: get("/denied"), status: 200, body: "allowed in a subrequest\n", chunked: true},
		{raw: get("/deny"), status: 403, body: errPage},
		{raw: get("/execnamed"), status: 200, body: "named /execnamed\n", chunked: true},
	})
	// a missing location's error page is part of the body (its server
	// signature differs between the two)
	for i, s := range srvs {
		resp, body, _ := s.Exchange(t, get("/missing"))
		if resp.StatusCode != 200 || !strings.Contains(body, "<title>404 Not Found</title>") || !strings.HasSuffix(body, "</html>\r\nend\n") {
			t.Errorf("server %d: /missing: %d %q", i, resp.StatusCode, body)
		}
	}
	// an unsafe URI ends the request without a response
	for i, s := range srvs {
		c, err := dial(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(get("/unsafe")))
		b := readAll(c)
		if b != "" && !strings.HasPrefix(b, "HTTP/1.1 200") {
			t.Errorf("server %d: /unsafe: %q", i, b)
		}
	}
}

func TestEchoConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, msg string }{
		{`server { location / { echo_status 2x; } }`, `"echo_status" directive invalid number`},
		{`server { location / { echo_status 200; echo_status 201; } }`, `"echo_status" directive is duplicate`},
		{`server { echo hi; }`, `"echo" directive is not allowed here`},
		{`server { location / { echo_sleep; } }`, `invalid number of arguments in "echo_sleep" directive`},
	} {
		err := loadError(t, c.conf)
		if !strings.Contains(err, c.msg) {
			t.Errorf("%s: %q, want %q", c.conf, err, c.msg)
		}
	}
}

// loadError is the error loading an http{} block with conf inside.
func loadError(t *testing.T, conf string) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	text := "events {}\nhttp {\n" + conf + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := httpd.Load(dir, "conf/nginx.conf")
	if err == nil {
		return ""
	}
	return err.Error()
}

func dial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }

// readAll reads until the server closes (a hang guard of 10s).
func readAll(c net.Conn) string {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}

// echo_location and echo_subrequest give their subrequests variables of
// their own (the echo module replaces the array ngx_http_subrequest
// shares): nothing set before is seen by the subrequest, nothing it sets
// is seen after (auth_request's subrequest shares them).
func TestEchoSubrequestOwnVariables(t *testing.T) {
	srvs := servers(t, `
server {
    listen 127.0.0.1:PORT;
    default_type text/plain;
    location /main {
        set $who main;
        set $mark "";
        echo_location /sub;
        echo_subrequest GET /sub;
        echo "after [$mark]";
    }
    location /sub {
        set $mark "$who-sub";
        echo "sub [$who]";
    }
}`)
	check(t, srvs, []want{{raw: get("/main"), status: 200, body: "sub []\nsub []\nafter []\n", chunked: true}})
}
