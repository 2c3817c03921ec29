// Package smtpcatch is a minimal SMTP server that accepts every message
// (RFC 5321 subset: HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
// hands it to a function: the mail catcher of tools/mailcatcher and the
// recording server of the tests. It is meant for local development; it
// bounds line and message sizes and relays nothing.
package smtpcatch

import (
	"bufio"
	"net"
	"strings"
	"sync"
)

// Mail is one received message.
type Mail struct {
	Helo string
	From string
	To   []string
	Data string // the message, dot-unstuffed, CRLF line ends
}

const (
	maxLine    = 4096     // longer command or text lines end the session
	maxMessage = 10 << 20 // a longer message is refused (552)
	maxRcpt    = 100
)

// Serve accepts connections on ln until it is closed, giving each
// message to deliver (called from the connection's goroutine). It returns
// once every session ended.
func Serve(ln net.Listener, deliver func(Mail)) {
	var wg sync.WaitGroup
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() { defer wg.Done(); session(c, deliver) }()
	}
	wg.Wait()
}

func session(c net.Conn, deliver func(Mail)) {
	defer c.Close()
	r := bufio.NewReaderSize(c, maxLine)
	w := bufio.NewWriter(c)
	reply := func(l string) { w.WriteString(l + "\r\n"); w.Flush() }
	readLine := func() (string, bool) {
		l, err := r.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				reply("500 line too long")
			}
			return "", false
		}
		return string(l), true
	}
	reply("220 localhost mail catcher ready")
	var m Mail
	for {
		line, ok := readLine()
		if !ok {
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
			switch a, ok := arg("RCPT TO:"); {
			case !ok || m.From == "":
				reply("503 bad sequence or syntax")
			case len(m.To) >= maxRcpt:
				reply("452 too many recipients")
			default:
				m.To = append(m.To, a)
				reply("250 OK")
			}
		case "DATA":
			if len(m.To) == 0 {
				reply("503 no recipients")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			tooBig := false
			for {
				l, ok := readLine()
				if !ok {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				if b.Len()+len(l) > maxMessage {
					tooBig = true
					continue
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			if tooBig {
				reply("552 message too big")
			} else {
				m.Data = b.String()
				deliver(m)
				reply("250 OK queued")
			}
			m = Mail{Helo: m.Helo}
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
