//lint:file-ignore SA1019 x/net/http2.Server.ServeConn serves one accepted connection, which net/http cannot do; the listener must stay fasthttp's

package httpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
)

// HTTP/2 ("listen ... http2"): golang.org/x/net/http2 speaks the protocol
// on the connections of such an address (all of them in cleartext, as
// nginx 1.22 serves h2c with prior knowledge only; those that chose "h2"
// through ALPN over TLS, the rest going to the HTTP/1 server). Each stream
// becomes a fasthttp.RequestCtx that goes through the same pipeline as an
// HTTP/1 request (serve); the response is written to the stream instead
// of the connection (finishH2, startH2Streaming). Nothing here runs for an
// HTTP/1 request.

// HTTP2Options are the http2_* settings of an address, from its default
// server (nginx reads them from the server that owns the connection).
type HTTP2Options struct {
	MaxConcurrentStreams uint32 // http2_max_concurrent_streams (128)
	BodyPrereadSize      int32  // http2_body_preread_size: the stream's initial window (64k)
}

// SetHTTP2 gives every "listen ... http2" address the settings fn reads
// from its default server.
func (rt *Runtime) SetHTTP2(fn func(def *Server) HTTP2Options) {
	for _, g := range rt.groups {
		if g.http2 {
			g.h2opts = fn(g.def)
		}
	}
}

// h2Service serves the HTTP/2 connections of one address of a
// configuration.
type h2Service struct {
	rt   *Runtime
	g    *listenGroup
	srv  *http2.Server
	base *http.Server // carries the header limit, the error log and graceful shutdown
	open map[net.Conn]struct{}
	done atomic.Bool
}

func (rt *Runtime) newH2Service(g *listenGroup) *h2Service {
	o := g.h2opts
	if o.MaxConcurrentStreams == 0 {
		o.MaxConcurrentStreams = 128
	}
	if o.BodyPrereadSize <= 0 {
		o.BodyPrereadSize = 64 << 10
	}
	s := &h2Service{rt: rt, g: g, open: map[net.Conn]struct{}{}}
	s.srv = &http2.Server{
		MaxConcurrentStreams:     o.MaxConcurrentStreams,
		MaxUploadBufferPerStream: o.BodyPrereadSize,
		IdleTimeout:              orDefault(rt.idleTimeout, 75*time.Second),
	}
	s.base = &http.Server{
		MaxHeaderBytes: g.def.headerBufs * g.def.headerBuf,
		ErrorLog:       log.New(h2Logger{rt}, "", 0),
	}
	// registers the GOAWAY of a graceful shutdown with base.Shutdown
	http2.ConfigureServer(s.base, s.srv)
	return s
}

// h2Logger puts x/net/http2's messages in the error log at debug level.
type h2Logger struct{ rt *Runtime }

func (l h2Logger) Write(p []byte) (int, error) {
	if el := l.rt.errlog; el != nil && el.Enabled(LogDebug) {
		el.Write(LogDebug, 0, strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// h2Listener is what the HTTP/1 server of an http2 address accepts from:
// connections speaking HTTP/2 are served here and never reach it.
type h2Listener struct {
	net.Listener
	s    *h2Service
	tls  bool
	ch   chan net.Conn // TLS connections that chose HTTP/1.1
	done chan struct{}
	once sync.Once
	err  error
}

func newH2Listener(inner net.Listener, s *h2Service, isTLS bool) *h2Listener {
	l := &h2Listener{Listener: inner, s: s, tls: isTLS, ch: make(chan net.Conn), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *h2Listener) run() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.stop(err)
			return
		}
		if !l.tls {
			go l.s.serveConn(c, "h2c")
			continue
		}
		go l.handshake(c.(*tls.Conn))
	}
}

// handshake finishes the TLS handshake of c and gives it to the server
// of the protocol the client chose through ALPN.
func (l *h2Listener) handshake(c *tls.Conn) {
	c.SetDeadline(time.Now().Add(orDefault(l.s.rt.readTimeout, 60*time.Second)))
	if err := c.Handshake(); err != nil {
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	if c.ConnectionState().NegotiatedProtocol == "h2" {
		l.s.serveConn(c, "h2")
		return
	}
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *h2Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		if l.err != nil && !errors.Is(l.err, net.ErrClosed) {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting; the HTTP/2 connections get a GOAWAY and end
// once their streams are done.
func (l *h2Listener) Close() error {
	l.stop(nil)
	return nil
}

func (l *h2Listener) stop(err error) {
	l.once.Do(func() {
		l.err = err
		close(l.done)
		l.Listener.Close()
		l.s.shutdown()
	})
}

// shutdown sends every connection a GOAWAY: each closes after its
// streams.
func (s *h2Service) shutdown() {
	s.done.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // base serves no connection of its own: nothing to wait for
	s.base.Shutdown(ctx)
}

// serveConn speaks HTTP/2 on c until it closes.
func (s *h2Service) serveConn(c net.Conn, proto string) {
	if s.done.Load() {
		c.Close()
		return
	}
	conns.open.Add(1)
	conns.accepted.Add(1)
	defer conns.open.Add(-1)
	defer c.Close()
	if proto == "h2c" {
		pc, ok := s.preface(c)
		if !ok {
			return
		}
		c = pc
	}
	hc := &h2Conn{s: s, c: c, id: fasthttp.NextConnID(), start: time.Now(), proto: proto}
	s.srv.ServeConn(c, &http2.ServeConnOpts{BaseConfig: s.base, Handler: hc})
}

// preface reads the client's connection preface. Anything else (an
// HTTP/1 request) gets what nginx 1.22 answers: its SETTINGS and a
// GOAWAY with PROTOCOL_ERROR, and an "invalid connection preface" line
// in the error log at info.
func (s *h2Service) preface(c net.Conn) (net.Conn, bool) {
	buf := make([]byte, len(http2.ClientPreface))
	c.SetReadDeadline(time.Now().Add(orDefault(s.rt.readTimeout, 60*time.Second)))
	n, err := io.ReadFull(c, buf)
	c.SetReadDeadline(time.Time{})
	if err == nil && string(buf) == http2.ClientPreface {
		return &replayConn{Conn: c, pre: buf}, true
	}
	if n == 0 && err != nil {
		return nil, false // closed or timed out before a byte
	}
	if el := s.rt.errlog; el != nil && el.Enabled(LogInfo) {
		el.Write(LogInfo, 0, "invalid connection preface while processing HTTP/2 connection, client: "+
			hostOf(c.RemoteAddr())+", server: "+c.LocalAddr().String())
	}
	fr := http2.NewFramer(c, nil)
	c.SetWriteDeadline(time.Now().Add(orDefault(s.rt.writeTimeout, 60*time.Second)))
	fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: s.srv.MaxConcurrentStreams})
	fr.WriteGoAway(0, http2.ErrCodeProtocol, nil)
	// a close with unread bytes would reset the connection and lose
	// the frames: stop writing, read what the client still sends
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		io.Copy(io.Discard, io.LimitReader(c, 1<<20))
	}
	return nil, false
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	return a.String()
}

// replayConn gives back the bytes read from the connection before it
// was handed to x/net/http2.
type replayConn struct {
	net.Conn
	pre []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// h2Conn is one HTTP/2 connection.
type h2Conn struct {
	s     *h2Service
	c     net.Conn
	id    uint64
	start time.Time
	proto string // $http2: "h2" (TLS) or "h2c"
	reqs  atomic.Uint64
}

// h2Stream is a stream's request as the pipeline sees it: the net.Conn
// of its fasthttp.RequestCtx (addresses, TLS state) and where its
// response goes.
type h2Stream struct {
	conn  *h2Conn
	w     http.ResponseWriter
	rc    *http.ResponseController
	req   *http.Request
	reset bool // end the stream with RST_STREAM (aborted response, 444)
}

// h2TLSStream is a stream of a TLS connection: fasthttp's IsTLS and the
// ssl module's variables see its state.
type h2TLSStream struct{ *h2Stream }

func (s h2TLSStream) ConnectionState() tls.ConnectionState {
	return s.conn.c.(*tls.Conn).ConnectionState()
}

func (s h2TLSStream) Handshake() error { return nil }

// Read is the request body; Write sends response bytes as DATA frames
// (what a raw-socket user such as an upstream's HTTP/0.9 answer writes).
func (s *h2Stream) Read(p []byte) (int, error) {
	if s.req.Body == nil {
		return 0, io.EOF
	}
	return s.req.Body.Read(p)
}

func (s *h2Stream) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

func (s *h2Stream) Close() error                       { s.reset = true; return nil }
func (s *h2Stream) LocalAddr() net.Addr                { return s.conn.c.LocalAddr() }
func (s *h2Stream) RemoteAddr() net.Addr               { return s.conn.c.RemoteAddr() }
func (s *h2Stream) SetDeadline(t time.Time) error      { return nil }
func (s *h2Stream) SetReadDeadline(t time.Time) error  { return s.rc.SetReadDeadline(t) }
func (s *h2Stream) SetWriteDeadline(t time.Time) error { return s.rc.SetWriteDeadline(t) }

// ServeHTTP runs one stream through the request pipeline.
func (hc *h2Conn) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s := hc.s
	rt := s.rt
	n := hc.reqs.Add(1)
	if !rt.enter() {
		w.WriteHeader(503)
		return
	}
	conns.writing.Add(1)
	conns.requests.Add(1)
	st := &h2Stream{conn: hc, w: w, rc: http.NewResponseController(w), req: req}
	fc := &fasthttp.RequestCtx{}
	var nc net.Conn = st
	if hc.proto == "h2" {
		nc = h2TLSStream{st}
	}
	fc.Init2(nc, fasthttpLogger{rt}, true)
	fc.SetConnInfo(hc.id, n, hc.start)
	h := &fc.Request.Header
	if err := h.Read(h1Head(req)); err != nil {
		// x/net/http2 validated names and values: not expected
		conns.writing.Add(-1)
		rt.leave()
		w.WriteHeader(400)
		return
	}
	h.ResetConnectionClose() // set by fasthttp for a version other than 1.1
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0 {
		fc.Request.SetBodyStream(req.Body, int(req.ContentLength))
		if req.ContentLength < 0 {
			// length unknown, framed by the stream: no Transfer-Encoding
			h.Del("Transfer-Encoding")
		}
	}
	rt.serve(fc, s.g, st)
	conns.writing.Add(-1)
	rt.leave()
	fc.Request.Reset()
	if st.reset {
		panic(http.ErrAbortHandler) // RST_STREAM, as nginx ends such a stream
	}
}

// h1Head is the stream's request head as an HTTP/1 header block, which
// fasthttp parses as it does a request read from a connection (raw names,
// Host from :authority first, as nginx adds it). x/net/http2 keeps no
// order across names: they follow sorted.
func h1Head(req *http.Request) *bufio.Reader {
	names := make([]string, 0, len(req.Header))
	size := len(req.Method) + len(req.RequestURI) + len(req.Host) + 32
	for k, vs := range req.Header {
		names = append(names, k)
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	slices.Sort(names)
	b := make([]byte, 0, size)
	b = append(b, req.Method...)
	b = append(b, ' ')
	b = append(b, req.RequestURI...)
	b = append(b, " HTTP/2.0\r\n"...)
	if req.Host != "" {
		b = append(b, "host: "...)
		b = append(b, req.Host...)
		b = append(b, "\r\n"...)
	}
	for _, k := range names {
		for _, v := range req.Header[k] {
			b = append(b, strings.ToLower(k)...) // lowercase on the wire
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	return bufio.NewReaderSize(bytes.NewReader(b), len(b)+16)
}

// hopHeader reports the connection-specific headers an HTTP/2 response
// must not carry (nginx's v2 header filter leaves them out).
func hopHeader(name string) bool {
	switch len(name) {
	case 7:
		return strings.EqualFold(name, "Upgrade")
	case 10:
		return strings.EqualFold(name, "Connection") || strings.EqualFold(name, "Keep-Alive")
	case 16:
		return strings.EqualFold(name, "Proxy-Connection")
	case 17:
		return strings.EqualFold(name, "Transfer-Encoding")
	}
	return false
}

// h2Header fills the stream's response header from r's and returns the
// length of its fields (for $bytes_sent). withLen names the
// Content-Length.
func (r *Request) h2Header(withLen bool, length int64) int64 {
	hd := r.h2.w.Header()
	var n int64
	set := func(k, v string) {
		hd[k] = append(hd[k], v)
		n += int64(len(k) + len(v) + 2)
	}
	if !r.serverCleared {
		set("Server", r.serverHeader())
	}
	if r.dateCleared {
		hd["Date"] = nil // x/net/http2 adds none then
	} else {
		set("Date", httpDate())
	}
	if r.contentType != "" {
		set("Content-Type", r.contentType)
	} else {
		hd["Content-Type"] = nil // no sniffing
	}
	if withLen {
		set("Content-Length", strconv.FormatInt(length, 10))
	}
	for _, h := range r.out {
		if hopHeader(h.name) {
			continue
		}
		k := http.CanonicalHeaderKey(h.name)
		set(k, h.value)
	}
	return n + 9 // and the HEADERS frame's head
}

// finishH2 sends a response produced whole in memory on its stream, with
// the framing nginx's HTTP/2 module gives it.
func (r *Request) finishH2() {
	r.completed = true
	st := r.h2
	status := r.status
	body := r.body
	noBody := r.method == "HEAD" || status == 204 || status == 304 || status < 200
	var withLen bool
	var length int64
	switch {
	case status == 204 || status == 304 || status < 200:
	case r.lenKnown:
		withLen, length = true, r.contentLen
		if int64(len(body)) > length {
			body = body[:length]
		}
	case r.method == "HEAD":
		if r.contentLen >= 0 {
			withLen, length = true, r.contentLen
		}
	case r.lenUnknown || r.lenCleared && len(body) > 0:
		// the length was unknown when nginx sent the header
	default:
		withLen, length = true, int64(len(body))
	}
	r.wireHdr = r.h2Header(withLen, length)
	if status < 200 || status > 999 {
		status = 500 // x/net/http2 takes no 1xx final answer
	}
	st.w.WriteHeader(status)
	if noBody || len(body) == 0 {
		return
	}
	if !withLen {
		st.rc.Flush() // the header goes alone: no length is added to it
	}
	st.w.Write(body)
	r.wireBody = int64(len(body))
}

// startH2Streaming sends the header on the stream now; the body follows
// as DATA frames as it is flushed.
func (r *Request) startH2Streaming() {
	r.chunked = false
	r.wireHdr = r.h2Header(r.contentLen >= 0, r.contentLen)
	status := r.status
	if status < 200 || status > 999 {
		status = 500
	}
	r.h2.w.WriteHeader(status)
	r.h2.rc.Flush()
	r.bw = bufio.NewWriterSize(r.h2, 4096)
	if len(r.body) > 0 {
		body := r.body
		r.body = r.body[:0]
		r.writeChunk(body)
	}
	r.bw.Flush()
}

// h2Of is the HTTP/2 stream of r's main request (nil on HTTP/1).
func (r *Request) h2Of() *h2Stream { return r.rootReq().h2 }

// HTTP2 reports a request that came on an HTTP/2 stream.
func (r *Request) HTTP2() bool { return r.h2Of() != nil }

func http2Var(r *Request) (string, bool) {
	if st := r.h2Of(); st != nil {
		return st.conn.proto, true
	}
	return "", true
}
