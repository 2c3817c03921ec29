package httpd

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
)

// This file is "listen ... proxy_protocol": each connection starts with a
// PROXY protocol header (version 1 text or version 2 binary) naming the
// client a load balancer received; $proxy_protocol_addr and
// $proxy_protocol_port read it, realip's "real_ip_header proxy_protocol"
// makes it the client address. A connection without a valid header is
// closed with nginx's "broken header" line, as nginx does.

// ppListener hands out connections that read the header first when the
// address's servers ask for it (decided at accept, so a reload applies).
type ppListener struct {
	net.Listener
	p    *Process
	addr string
}

func (l *ppListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	if g := l.p.cur.Load().groups[l.addr]; g != nil && g.proxyProtocol {
		return &ppConn{Conn: c, p: l.p}, nil
	}
	return c, nil
}

// ppConn reads the PROXY header on its first Read.
type ppConn struct {
	net.Conn
	p    *Process
	once sync.Once
	err  error
	rest []byte // bytes read past the header
	src  string // client address and port from the header ("" for LOCAL/UNKNOWN)
	port string
}

var errBrokenHeader = errors.New("broken PROXY protocol header")

func (c *ppConn) Read(b []byte) (int, error) {
	c.once.Do(c.readHeader)
	if c.err != nil {
		return 0, c.err
	}
	if len(c.rest) > 0 {
		n := copy(b, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

var ppV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// readHeader is ngx_proxy_protocol_read: at most 107 bytes of text
// header, or the binary one with its declared length (bounded).
func (c *ppConn) readHeader() {
	buf := make([]byte, 0, 232)
	tmp := make([]byte, 232)
	for {
		n, err := c.Conn.Read(tmp[:cap(buf)-len(buf)])
		buf = append(buf, tmp[:n]...)
		v2 := len(buf) > 0 && bytes.HasPrefix(ppV2Sig, buf[:min(len(buf), len(ppV2Sig))])
		if v2 && len(buf) < 16 {
			// the binary header's fixed part is not complete yet
		} else if v2 {
			need := 16 + int(binary.BigEndian.Uint16(buf[14:16]))
			if need > cap(buf) {
				c.broken(buf)
				return
			}
			if len(buf) >= need {
				c.parseV2(buf[:need])
				c.rest = buf[need:]
				return
			}
		} else if i := bytes.Index(buf, []byte("\r\n")); i >= 0 {
			if i > 105 || !c.parseV1(string(buf[:i])) {
				c.broken(buf)
				return
			}
			c.rest = buf[i+2:]
			return
		} else if len(buf) >= 107 || !maybeHeader(buf) {
			c.broken(buf)
			return
		}
		if err != nil {
			c.err = err
			return
		}
	}
}

// maybeHeader reports whether b can still start a version 1 or 2 header.
func maybeHeader(b []byte) bool {
	v1 := []byte("PROXY ")
	return bytes.HasPrefix(v1, b[:min(len(b), len(v1))]) || bytes.HasPrefix(ppV2Sig, b[:min(len(b), len(ppV2Sig))])
}

func (c *ppConn) broken(h []byte) {
	c.err = errBrokenHeader
	if rt := c.p.cur.Load(); rt != nil && rt.errlog != nil {
		peer := c.Conn.RemoteAddr().String()
		if h, _, err := net.SplitHostPort(peer); err == nil {
			peer = h
		}
		rt.errlog.Write(LogErr, 0, "broken header: \""+string(h)+"\" while reading PROXY protocol, client: "+peer+", server: "+c.Conn.LocalAddr().String())
	}
}

// parseV1 reads "PROXY TCP4|TCP6 SRC DST SPORT DPORT" or "PROXY UNKNOWN ...".
func (c *ppConn) parseV1(line string) bool {
	f := strings.Split(line, " ")
	if len(f) < 2 || f[0] != "PROXY" {
		return false
	}
	if f[1] == "UNKNOWN" {
		return true
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return false
	}
	ip := net.ParseIP(f[2])
	if ip == nil || net.ParseIP(f[3]) == nil {
		return false
	}
	for _, p := range f[4:] {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return false
		}
	}
	c.src, c.port = f[2], f[4]
	return true
}

// parseV2 reads the binary header: PROXY command with an IPv4 or IPv6
// address block; LOCAL and other families carry no client.
func (c *ppConn) parseV2(h []byte) {
	verCmd, fam := h[12], h[13]
	if verCmd>>4 != 2 {
		c.broken(h)
		return
	}
	if verCmd&0xf == 0 {
		return // LOCAL
	}
	body := h[16:]
	switch fam >> 4 {
	case 1:
		if len(body) >= 12 {
			c.src = net.IP(body[0:4]).String()
			c.port = strconv.Itoa(int(binary.BigEndian.Uint16(body[8:10])))
		}
	case 2:
		if len(body) >= 36 {
			c.src = net.IP(body[0:16]).String()
			c.port = strconv.Itoa(int(binary.BigEndian.Uint16(body[32:34])))
		}
	}
}

// ProxyProtocolAddr is the client address and port of the connection's
// PROXY protocol header (ok false without one).
func (r *Request) ProxyProtocolAddr() (addr, port string, ok bool) {
	c := r.fc.Conn()
	if t, isTLS := c.(*tls.Conn); isTLS {
		c = t.NetConn()
	}
	pc, isPP := c.(*ppConn)
	if !isPP || pc.src == "" {
		return "", "", false
	}
	return pc.src, pc.port, true
}

func init() {
	RegisterVariable("proxy_protocol_addr", func(r *Request) (string, bool) {
		a, _, ok := r.ProxyProtocolAddr()
		return a, ok
	})
	RegisterVariable("proxy_protocol_port", func(r *Request) (string, bool) {
		_, p, ok := r.ProxyProtocolAddr()
		return p, ok
	})
}
