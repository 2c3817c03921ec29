// Package smtp is the built-in Lua module "goresty.smtp": send a plain
// text mail over SMTP (optionally STARTTLS and AUTH PLAIN). It blocks only
// the calling request or timer, like a cosocket, so it is allowed where
// cosockets are (rewrite, access, content, timer).
package smtp

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

func init() {
	luabindings.RegisterModule("goresty.smtp", func(vm *luabindings.VM, L *lua.LState) lua.LValue {
		t := L.NewTable()
		t.RawSetString("send", L.NewFunction(func(L *lua.LState) int { return send(vm, L) }))
		return t
	})
}

// Mail is what send() delivers.
type Mail struct {
	Host, HeloName, User, Password string
	Port                           int
	StartTLS                       bool
	Timeout                        time.Duration
	From                           string
	To                             []string
	Subject, Body                  string
	Headers                        [][2]string
}

func str(t *lua.LTable, k string) string {
	if v, ok := t.RawGetString(k).(lua.LString); ok {
		return string(v)
	}
	if v, ok := t.RawGetString(k).(lua.LNumber); ok {
		return v.String()
	}
	return ""
}

// send{host=, port=25, from=, to= "a@b" | {..}, subject=, body=,
// headers={Name=value}, timeout=ms (default 10000), helo=, user=,
// password=, starttls=bool} -> true | nil, err
func send(vm *luabindings.VM, L *lua.LState) int {
	vm.CheckPhase(L, luabindings.PhaseRewrite, luabindings.PhaseServerRewrite, luabindings.PhaseAccess,
		luabindings.PhaseContent, luabindings.PhaseTimer)
	t := L.CheckTable(1)
	m := Mail{Host: str(t, "host"), HeloName: str(t, "helo"), User: str(t, "user"), Password: str(t, "password"),
		From: str(t, "from"), Subject: str(t, "subject"), Body: str(t, "body"),
		StartTLS: lua.LVAsBool(t.RawGetString("starttls")), Port: 25, Timeout: 10 * time.Second}
	if p, ok := t.RawGetString("port").(lua.LNumber); ok {
		m.Port = int(p)
	}
	if ms, ok := t.RawGetString("timeout").(lua.LNumber); ok && ms > 0 {
		m.Timeout = time.Duration(float64(ms) * float64(time.Millisecond))
	}
	switch to := t.RawGetString("to").(type) {
	case lua.LString:
		m.To = []string{string(to)}
	case *lua.LTable:
		for i := 1; i <= to.Len(); i++ {
			m.To = append(m.To, lua.LVAsString(to.RawGetInt(i)))
		}
	}
	if h, ok := t.RawGetString("headers").(*lua.LTable); ok {
		h.ForEach(func(k, v lua.LValue) { m.Headers = append(m.Headers, [2]string{lua.LVAsString(k), lua.LVAsString(v)}) })
	}
	var err error
	vm.Unlocked(func() { err = Send(m) })
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

func clean(s string) bool { return !strings.ContainsAny(s, "\r\n") }

// Compose renders the RFC 5322 message.
func Compose(m Mail, now time.Time) ([]byte, error) {
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	for _, s := range append([]string{m.From, m.Subject}, m.To...) {
		if !clean(s) {
			return nil, errors.New("line break in a header value")
		}
	}
	id := make([]byte, 12)
	rand.Read(id)
	host := "goresty"
	if at := strings.LastIndexByte(m.From, '@'); at >= 0 {
		host = m.From[at+1:]
	}
	hdr("From", m.From)
	hdr("To", strings.Join(m.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id)+"@"+host+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	for _, h := range m.Headers {
		if !clean(h[0]) || !clean(h[1]) || strings.ContainsAny(h[0], ": ") {
			return nil, fmt.Errorf("bad header %q", h[0])
		}
		hdr(h[0], mime.QEncoding.Encode("utf-8", h[1]))
	}
	b.WriteString("\r\n")
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\r\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String()), nil
}

// Send delivers m, with m.Timeout bounding the whole conversation.
func Send(m Mail) error {
	if m.Host == "" || m.From == "" || len(m.To) == 0 {
		return errors.New("host, from and to are required")
	}
	msg, err := Compose(m, time.Now())
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	conn, err := net.DialTimeout("tcp", addr, m.Timeout)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(m.Timeout))
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	helo := m.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	if m.StartTLS {
		if err := c.StartTLS(&tls.Config{ServerName: m.Host}); err != nil {
			return err
		}
	}
	if m.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, m.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.From); err != nil {
		return err
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
