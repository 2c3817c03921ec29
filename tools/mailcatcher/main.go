// Command mailcatcher is a local SMTP sink for development: it accepts
// every message on -listen and writes it to -dir as NNNNNN.eml (envelope
// in X-Envelope-* lines, then the message), logging one line per message.
// scripts/stack starts it for the welcome email worker (STACK_EVENTS=1).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/goresty/goresty/events/smtpcatch"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:1025", "address to accept SMTP on")
	dir := flag.String("dir", "mail", "directory the messages are written to")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("mailcatcher: SMTP on %s, messages in %s", ln.Addr(), *dir)
	var mu sync.Mutex
	n := 0
	smtpcatch.Serve(ln, func(m smtpcatch.Mail) {
		mu.Lock()
		n++
		name := filepath.Join(*dir, fmt.Sprintf("%06d.eml", n))
		mu.Unlock()
		text := "X-Envelope-From: " + m.From + "\r\nX-Envelope-To: " + strings.Join(m.To, ", ") + "\r\n" + m.Data
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			log.Printf("mailcatcher: %v", err)
			return
		}
		log.Printf("mailcatcher: %s from <%s> to <%s>: %s", filepath.Base(name), m.From, strings.Join(m.To, ">, <"), subject(m.Data))
	})
}

// subject is the message's Subject header ("" without one).
func subject(data string) string {
	head, _, _ := strings.Cut(data, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Subject") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
