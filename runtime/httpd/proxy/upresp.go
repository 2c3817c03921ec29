package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/goresty/goresty/runtime/httpd/internal/modutil"
)

// The upstream's response: its header parsed once into the request's
// state (one string holds every name and value), and its body framing.

var (
	errNoValidHeader   = errors.New("upstream sent no valid HTTP/1.0 header")
	errInvalidHeader   = errors.New("upstream sent invalid header")
	errTooBigHeader    = errors.New("upstream sent too big header")
	errInvalidChunked  = errors.New("upstream sent invalid chunked response")
	errInvalidLength   = errors.New("upstream sent invalid \"Content-Length\" header")
	errDuplicateLength = errors.New("upstream sent duplicate header line")
)

type upResponse struct {
	status    int
	http11    bool
	length    int64 // Content-Length, -1 none
	chunked   bool
	connClose bool
	hasBody   bool
}

// readHeader reads the status line and the header block. The names and
// values are appended to st.hdrBuf and become one string at the end.
// With limit > 0 the status line and header, CRLFs included, must fit in
// limit bytes (proxy_buffer_size), else the header is too big.
func readHeader(br *bufio.Reader, st *state, resp *upResponse, limit int) error {
	left := limit
	if limit <= 0 {
		left = int(^uint(0) >> 1)
	}
	line, err := readLine(br, &left)
	if err != nil {
		return err
	}
	if !parseStatusLine(line, resp) {
		// nginx passes such an answer on as HTTP/0.9: keep its start
		st.hdrBuf = append(append(st.hdrBuf[:0], line...), "\r\n"...)
		return errNoValidHeader
	}
	resp.length = -1
	buf := st.hdrBuf[:0]
	offs := st.hdrOffs[:0]
	for {
		line, err = readLine(br, &left)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !validName(line[:i]) {
			return errInvalidHeader
		}
		name := line[:i]
		value := bytes.Trim(line[i+1:], " \t")
		switch {
		case modutil.EqualFoldBytes(name, "Content-Length"):
			n, ok := parseLength(value)
			if !ok {
				return errInvalidLength
			}
			if resp.length >= 0 {
				return errDuplicateLength
			}
			resp.length = n
		case modutil.EqualFoldBytes(name, "Transfer-Encoding"):
			if modutil.EqualFoldBytes(value, "chunked") {
				resp.chunked = true
			}
		case modutil.EqualFoldBytes(name, "Connection"):
			if bytes.Contains(bytes.ToLower(value), []byte("close")) {
				resp.connClose = true
			}
		}
		buf = append(buf, name...)
		offs = append(offs, int32(len(buf)))
		buf = append(buf, value...)
		offs = append(offs, int32(len(buf)))
	}
	// the header's one copy: the strings may outlive the request (Lua
	// keeps what it reads), so they do not view the pooled buffer
	all := string(buf)
	st.hdrBuf, st.hdrOffs = buf, offs
	hs := st.upHeaders[:0]
	start := int32(0)
	for i := 0; i+1 < len(offs); i += 2 {
		hs = append(hs, hdr{all[start:offs[i]], all[offs[i]:offs[i+1]]})
		start = offs[i+1]
	}
	st.upHeaders = hs
	if resp.chunked {
		// a chunked answer's Content-Length means nothing (nginx drops it)
		resp.length = -1
	}
	if !resp.http11 {
		resp.connClose = true
	}
	return nil
}

// readLine reads one header line without its CRLF; a line longer than
// the read buffer, or past what *left allows of the header, is a header
// too big, as nginx's proxy_buffer_size.
func readLine(br *bufio.Reader, left *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if *left -= len(line); *left < 0 {
		return nil, errTooBigHeader
	}
	if err != nil {
		if err == bufio.ErrBufferFull {
			return nil, errTooBigHeader
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// parseStatusLine reads "HTTP/1.1 200 OK" as nginx's
// ngx_http_parse_status_line does.
func parseStatusLine(l []byte, resp *upResponse) bool {
	if len(l) < 12 || string(l[:5]) != "HTTP/" {
		return false
	}
	l = l[5:]
	i := 0
	major, minor := 0, 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		major = major*10 + int(l[i]-'0')
		i++
		if major > 99 {
			return false
		}
	}
	if i == 0 || i >= len(l) || l[i] != '.' {
		return false
	}
	i++
	j := i
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		minor = minor*10 + int(l[i]-'0')
		i++
		if minor > 99 {
			return false
		}
	}
	if i == j || i+4 > len(l) || l[i] != ' ' {
		return false
	}
	i++
	code := 0
	for k := 0; k < 3; k++ {
		c := l[i+k]
		if c < '0' || c > '9' {
			return false
		}
		code = code*10 + int(c-'0')
	}
	if i+3 < len(l) && l[i+3] != ' ' {
		return false
	}
	resp.status = code
	resp.http11 = major > 1 || major == 1 && minor >= 1
	return true
}

func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func validName(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// bodyReader reads an upstream body by its framing: a length, chunked
// (decoded), or until the upstream closes. complete reports a body read
// to its end by its framing (the connection may then be reused).
type bodyReader struct {
	br       *bufio.Reader
	left     int64 // bytes left of the body (length) or of the chunk
	chunked  bool
	untilEOF bool
	complete bool
	inChunk  bool
}

func (b *bodyReader) init(br *bufio.Reader, resp *upResponse) {
	*b = bodyReader{br: br}
	switch {
	case !resp.hasBody:
		b.complete = true
	case resp.chunked:
		b.chunked = true
	case resp.length >= 0:
		b.left = resp.length
		b.complete = resp.length == 0
	default:
		b.untilEOF = true
	}
}

// Read returns body bytes; io.EOF at the end of the framing; an upstream
// that closes early gives io.ErrUnexpectedEOF.
func (b *bodyReader) Read(p []byte) (int, error) {
	if b.complete {
		return 0, io.EOF
	}
	if b.untilEOF {
		n, err := b.br.Read(p)
		if err == io.EOF {
			b.complete = true
		}
		return n, err
	}
	if b.chunked && !b.inChunk {
		if err := b.nextChunk(); err != nil {
			return 0, err
		}
		if b.complete {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	if b.left == 0 {
		if b.chunked {
			b.inChunk = false
			if err := b.chunkEnd(); err != nil {
				return n, err
			}
		} else {
			b.complete = true
		}
		return n, nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *bodyReader) nextChunk() error {
	line, err := b.br.ReadSlice('\n')
	if err != nil {
		return chunkErr(err)
	}
	line = bytes.TrimRight(line, "\r\n")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return errInvalidChunked
	}
	var n int64
	for _, c := range line {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int64(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			n = n<<4 | int64(c|0x20-'a'+10)
		default:
			return errInvalidChunked
		}
	}
	if n == 0 {
		// the last chunk: trailers up to an empty line
		for {
			l, err := b.br.ReadSlice('\n')
			if err != nil {
				return chunkErr(err)
			}
			if len(bytes.TrimRight(l, "\r\n")) == 0 {
				break
			}
		}
		b.complete = true
		return nil
	}
	b.left, b.inChunk = n, true
	return nil
}

func (b *bodyReader) chunkEnd() error {
	c, err := b.br.ReadByte()
	if err == nil && c == '\r' {
		c, err = b.br.ReadByte()
	}
	if err != nil {
		return chunkErr(err)
	}
	if c != '\n' {
		return errInvalidChunked
	}
	return nil
}

func chunkErr(err error) error {
	if err == bufio.ErrBufferFull {
		return errInvalidChunked
	}
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
