package smtpcatch

import (
	"bufio"
	"net"
	"net/smtp"
	"strings"
	"testing"
)

func start(t *testing.T) (string, chan Mail) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Mail, 10)
	done := make(chan struct{})
	go func() { Serve(ln, func(m Mail) { got <- m }); close(done) }()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), got
}

func TestDelivers(t *testing.T) {
	addr, got := start(t)
	msg := "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com", "c@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	m := <-got
	if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" || m.Data != msg {
		t.Fatalf("%+v", m)
	}
}

// What a client declares or sends is bounded: a long line ends the
// session, a message over 10 MiB is refused and not delivered.
func TestBounds(t *testing.T) {
	addr, got := start(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) string {
		if l != "" {
			c.Write([]byte(l))
		}
		s, _ := r.ReadString('\n')
		return s
	}
	say("")
	say("EHLO x\r\n")
	r.ReadString('\n')
	say("MAIL FROM:<a@x>\r\n")
	say("RCPT TO:<b@x>\r\n")
	say("DATA\r\n")
	chunk := strings.Repeat("x", 1000) + "\r\n"
	for i := 0; i < 11<<10; i++ {
		c.Write([]byte(chunk))
	}
	if s := say(".\r\n"); !strings.HasPrefix(s, "552") {
		t.Fatalf("an 11 MiB message: %q", s)
	}
	if s := say(strings.Repeat("N", 5000) + "\r\n"); !strings.HasPrefix(s, "500") {
		t.Fatalf("a 5000-byte line: %q", s)
	}
	select {
	case m := <-got:
		t.Fatalf("delivered %d bytes", len(m.Data))
	default:
	}
}
