// Package resolvertest is a tiny DNS server for tests.
package resolvertest

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Server answers A/AAAA queries from a table (name without the final
// dot → addresses); other names get their rcode (NXDOMAIN by default);
// silent names get no answer at all. It counts the queries it saw.
type Server struct {
	Addr    string
	Queries atomic.Int32
}

// Start runs a Server on a free UDP port of 127.0.0.1 until the test ends.
func Start(t *testing.T, table map[string][]string, rcodes map[string]dnsmessage.RCode, silent map[string]bool) *Server {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	s := &Server{Addr: pc.LocalAddr().String()}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			s.Queries.Add(1)
			var m dnsmessage.Message
			if m.Unpack(buf[:n]) != nil || len(m.Questions) != 1 {
				continue
			}
			q := m.Questions[0]
			name := strings.TrimSuffix(q.Name.String(), ".")
			if silent[name] {
				continue
			}
			resp := dnsmessage.Message{Header: dnsmessage.Header{ID: m.ID, Response: true}, Questions: m.Questions}
			addrs, ok := table[name]
			if !ok {
				resp.RCode = dnsmessage.RCodeNameError
				if rc, ok := rcodes[name]; ok {
					resp.RCode = rc
				}
			}
			for _, a := range addrs {
				ip := net.ParseIP(a)
				h := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
				if ip4 := ip.To4(); ip4 != nil && q.Type == dnsmessage.TypeA {
					var r dnsmessage.AResource
					copy(r.A[:], ip4)
					h.Type = dnsmessage.TypeA
					resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: h, Body: &r})
				} else if ip.To4() == nil && q.Type == dnsmessage.TypeAAAA {
					var r dnsmessage.AAAAResource
					copy(r.AAAA[:], ip)
					h.Type = dnsmessage.TypeAAAA
					resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: h, Body: &r})
				}
			}
			out, err := resp.Pack()
			if err == nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return s
}
