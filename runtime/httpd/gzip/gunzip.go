package gzip

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/goresty/goresty/runtime/httpd"
	kgzip "github.com/klauspost/compress/gzip"
)

// gunzipper is ngx_http_gunzip_filter_module's work for one response: a
// gzip body decompressed for a client that does not take gzip. The
// decompressor runs in its own goroutine, fed one chunk at a time: after
// a chunk it waits for the next, and what it produced so far is the
// chunk's output (the rest follows with later chunks or at the end).
type gunzipper struct {
	in    chan []byte
	idle  chan struct{} // the decompressor took everything it was given
	done  chan struct{} // the decompressor ended (end of stream or error)
	quit  chan struct{} // the request ended early
	ready bool          // idle was received: the decompressor waits for input
	out   bytes.Buffer  // written by the goroutine between handshakes
	cur   []byte
}

var errQuit = errors.New("gunzip: request ended")

func newGunzipper() *gunzipper {
	g := &gunzipper{in: make(chan []byte), idle: make(chan struct{}), done: make(chan struct{}), quit: make(chan struct{})}
	go g.run()
	return g
}

func (g *gunzipper) run() {
	defer close(g.done)
	zr, err := kgzip.NewReader(g)
	if err != nil {
		return
	}
	buf := make([]byte, 16<<10)
	for {
		n, err := zr.Read(buf)
		g.out.Write(buf[:n])
		if err != nil {
			return
		}
	}
}

// Read is the compressed input: the chunks the body filter hands over.
func (g *gunzipper) Read(p []byte) (int, error) {
	for len(g.cur) == 0 {
		select {
		case g.idle <- struct{}{}:
		case <-g.quit:
			return 0, errQuit
		}
		select {
		case c, ok := <-g.in:
			if !ok {
				return 0, io.EOF
			}
			g.cur = c
		case <-g.quit:
			return 0, errQuit
		}
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// feed decompresses a chunk and returns what came out so far; at the
// end, everything.
func (g *gunzipper) feed(chunk []byte, last bool) []byte {
	if !g.ready {
		select {
		case <-g.idle:
			g.ready = true
		case <-g.done:
			return g.take()
		}
	}
	if len(chunk) > 0 {
		g.ready = false
		select {
		case g.in <- chunk:
		case <-g.done:
			return g.take()
		}
		select {
		case <-g.idle:
			g.ready = true
		case <-g.done:
		}
	}
	if last {
		if g.ready {
			close(g.in)
			g.ready = false
		}
		<-g.done
	}
	return g.take()
}

func (g *gunzipper) take() []byte {
	if g.out.Len() == 0 {
		return nil
	}
	p := append([]byte(nil), g.out.Bytes()...)
	g.out.Reset()
	return p
}

// stop ends the goroutine of a response cut short.
func (g *gunzipper) stop() {
	select {
	case <-g.done:
	default:
		close(g.quit)
		<-g.done
	}
}

// gunzipHeader decides whether a gzip response is decompressed; it
// reports whether it took the response.
func gunzipHeader(r *httpd.Request, g *locConf) bool {
	if g.gunzip != 1 || r.IsSubrequest() {
		return false
	}
	ce := r.HeaderValues("Content-Encoding")
	if len(ce) != 1 || !strings.EqualFold(ce[0], "gzip") {
		return false
	}
	if g.vary == 1 {
		r.AddHeader("Vary", "Accept-Encoding")
	}
	if gzipOK(r, g) {
		return true // the client takes it as it is
	}
	Module.SetReqCtx(r, newGunzipper())
	r.SetHeader("Content-Encoding")
	r.SetHeader("Content-Length") // unknown when the header goes out, as in nginx
	r.SetHeader("Accept-Ranges")
	weakETag(r)
	return true
}

// gunzipDone ends a decompressor its response did not finish.
func gunzipDone(r *httpd.Request) httpd.Status {
	if g, ok := Module.ReqCtx(r).(*gunzipper); ok {
		g.stop()
	}
	return httpd.Declined
}
