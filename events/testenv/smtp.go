package testenv

import (
	"net"
	"sync"
	"testing"

	"github.com/goresty/goresty/events/smtpcatch"
)

// Mail is one message received by SMTPServer.
type Mail = smtpcatch.Mail

// SMTPServer is a local SMTP server (events/smtpcatch) that records what
// it receives.
type SMTPServer struct {
	Addr string
	Mail chan Mail
	ln   net.Listener
	wg   sync.WaitGroup
}

// StartSMTP starts a server on a free local port, stopped at cleanup.
func StartSMTP(t testing.TB) *SMTPServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{Addr: ln.Addr().String(), Mail: make(chan Mail, 100), ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		smtpcatch.Serve(ln, func(m Mail) { s.Mail <- m })
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}
