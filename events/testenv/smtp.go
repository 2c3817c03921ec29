package testenv

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
)

// Mail is one message received by SMTPServer.
type Mail struct {
	Helo string
	From string
	To   []string
	Data string // the message, dot-unstuffed, CRLF line ends
}

// SMTPServer is a minimal SMTP server (RFC 5321 subset: HELO/EHLO, MAIL,
// RCPT, DATA, RSET, NOOP, QUIT) that records what it receives.
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
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *SMTPServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(l string) { w.WriteString(l + "\r\n"); w.Flush() }
	reply("220 localhost test SMTP ready")
	var m Mail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		if i := strings.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		}
		arg := func(prefix string) (string, bool) {
			if len(line) < len(prefix) || !strings.EqualFold(line[:len(prefix)], prefix) {
				return "", false
			}
			a := strings.TrimSpace(line[len(prefix):])
			if !strings.HasPrefix(a, "<") || !strings.Contains(a, ">") {
				return "", false
			}
			return a[1:strings.IndexByte(a, '>')], true
		}
		switch verb {
		case "EHLO", "HELO":
			m = Mail{Helo: strings.TrimSpace(line[4:])}
			if verb == "EHLO" {
				reply("250-localhost")
				reply("250 8BITMIME")
			} else {
				reply("250 localhost")
			}
		case "MAIL":
			if a, ok := arg("MAIL FROM:"); ok && m.Helo != "" {
				m.From, m.To = a, nil
				reply("250 OK")
			} else {
				reply("503 bad sequence or syntax")
			}
		case "RCPT":
			if a, ok := arg("RCPT TO:"); ok && m.From != "" {
				m.To = append(m.To, a)
				reply("250 OK")
			} else {
				reply("503 bad sequence or syntax")
			}
		case "DATA":
			if len(m.To) == 0 {
				reply("503 no recipients")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				l = strings.TrimPrefix(l, ".")
				b.WriteString(l)
			}
			m.Data = b.String()
			s.Mail <- m
			m = Mail{Helo: m.Helo}
			reply("250 OK queued")
		case "RSET":
			m = Mail{Helo: m.Helo}
			reply("250 OK")
		case "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}
