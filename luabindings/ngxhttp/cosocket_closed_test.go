package ngxhttp_test

import (
	"net"
	"strconv"
	"testing"
)

// receive('*a') up to the peer's end leaves the cosocket open: a second
// '*a' gets "", a line read "closed", close() returns 1 once and then
// "closed", as lua-nginx-module answers.
func TestCosocketPeerClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("all of it"))
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	cases := []hcase{{name: "receive and close after the peer closed",
		loc: `location = /peerclosed { content_by_lua_block {
			local function out(...)
				local t = {}
				for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
				ngx.say(table.concat(t, " "))
			end
			local sock = ngx.socket.tcp()
			assert(sock:connect("127.0.0.1", ` + port + `))
			out(sock:receive("*a"))
			out(sock:receive("*a"))
			out(sock:receive())
			out(sock:receive(3))
			out(sock:receive("*a"))
			out(sock:close())
			out(sock:close())
			out(sock:receive("*a"))
			out(sock:send("x"))
		} }`,
		path: "/peerclosed", status: 200,
		want: "all of it\n\nnil closed \nnil closed\nnil closed\n1\nnil closed\nnil closed\nnil closed\n"}}
	s := startServer(t, "", "", cases)
	runCases(t, s, cases)
}
