package proxy_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
	"golang.org/x/net/websocket"
)

// A WebSocket through proxy_pass with nginx's $connection_upgrade map:
// the 101 reaches the client, messages flow both ways, and the tunnel
// ends after proxy_read_timeout without traffic.
func TestWebSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{}, 1)
	srv := &http.Server{Handler: websocket.Handler(func(ws *websocket.Conn) {
		defer func() { closed <- struct{}{} }()
		for {
			var msg string
			if err := websocket.Message.Receive(ws, &msg); err != nil {
				return
			}
			if msg == "push" {
				// the upstream speaks first after a pause: the tunnel's
				// idle limit is between any two bytes, either way
				time.Sleep(600 * time.Millisecond)
			}
			if err := websocket.Message.Send(ws, "echo:"+msg); err != nil {
				return
			}
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := httpdtest.StartEnv(t, `
map $http_upgrade $connection_upgrade { default upgrade; '' close; }
server {
    listen 127.0.0.1:PORT;
    location /ws {
        proxy_pass http://127.0.0.1:`+port+`;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_read_timeout 1s;
    }
}`)
	cfg, err := websocket.NewConfig("ws://"+s.Addr+"/ws", "http://"+s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetDeadline(time.Now().Add(30 * time.Second)) // hang guard
	for _, m := range []string{"one", strings.Repeat("x", 70000), "push"} {
		if err := websocket.Message.Send(ws, m); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := websocket.Message.Receive(ws, &got); err != nil || got != "echo:"+m {
			t.Fatalf("echo of %.10q: %.20q %v", m, got, err)
		}
	}
	// idle past proxy_read_timeout: the proxy closes both sides
	start := time.Now()
	var got string
	err = websocket.Message.Receive(ws, &got)
	if err != io.EOF {
		t.Errorf("idle tunnel: %q %v", got, err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("tunnel closed after %v, before the idle limit", d)
	}
	select {
	case <-closed:
	case <-time.After(20 * time.Second): // hang guard
		t.Error("the upstream side was not closed")
	}
}

// Without Upgrade from the client the 101 path is not taken and the
// map sends Connection: close.
func TestUpgradeHeaderOnlyWhenAsked(t *testing.T) {
	up := startUpstream(t, func(c net.Conn, head string, body []byte) bool { return reply(c, "plain") })
	s := httpdtest.StartEnv(t, `
map $http_upgrade $connection_upgrade { default upgrade; '' close; }
server {
    listen 127.0.0.1:PORT;
    location / {
        proxy_pass http://127.0.0.1:`+up.port+`;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
    }
}`)
	resp, b, _ := rawGet(t, s.Addr, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 || b != "plain" {
		t.Errorf("%d %q", resp.StatusCode, b)
	}
	if got := headLines(up.lastHead(), up.port); got != "GET / HTTP/1.1|Connection: close|Host: 127.0.0.1:UP" {
		t.Errorf("upstream got %s", got)
	}
}
