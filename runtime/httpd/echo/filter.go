package echo

import (
	"strconv"
	"strings"
	"time"

	"github.com/goresty/goresty/runtime/httpd"
)

// headerFilter: a response wrapped by echo_before_body/echo_after_body
// loses its length (it goes out chunked) and its Accept-Ranges.
func headerFilter(r *httpd.Request) {
	lc := Module.Conf(r.Loc()).(*locConf)
	if lc.beforeBody == nil && lc.afterBody == nil {
		if c, _ := Module.ReqCtx(r).(*ctx); c != nil {
			c.skipFilter = true
		}
		return
	}
	reqCtx(r)
	r.SetHeader("Content-Length")
	r.ClearHeader("Accept-Ranges")
}

// bodyFilter puts the echo_before_body output before the first chunk and
// the echo_after_body output after the last.
func bodyFilter(r *httpd.Request, chunk []byte, last bool) ([]byte, bool) {
	c, _ := Module.ReqCtx(r).(*ctx)
	if c == nil || c.skipFilter {
		return chunk, last
	}
	lc := Module.Conf(r.Loc()).(*locConf)
	var out []byte
	if !c.beforeBodySent {
		c.beforeBodySent = true
		out = filterText(r, lc.beforeBody, nil)
	}
	if lc.afterBody == nil {
		c.skipFilter = true
		if out == nil {
			return chunk, last
		}
		return append(out, chunk...), last
	}
	if !last {
		if out == nil {
			return chunk, false
		}
		return append(out, chunk...), false
	}
	out = append(out, chunk...)
	out = filterText(r, lc.afterBody, out)
	c.skipFilter = true
	return out, true
}

// filterText appends the output of echo_before_body/echo_after_body
// commands to buf.
func filterText(r *httpd.Request, cmds []cmd, buf []byte) []byte {
	for i := range cmds {
		args, opts := evalArgs(r, cmds[i].args)
		buf = append(buf, echoText(args, opts)...)
	}
	return buf
}

// --- variables ---

func timerElapsedVar(r *httpd.Request) (string, bool) {
	c := reqCtx(r)
	begin := c.timerBegin
	if begin.IsZero() {
		begin = r.StartTime()
	}
	ms := max(time.Since(begin).Milliseconds(), 0)
	return strconv.FormatInt(ms/1000, 10) + "." + pad3(ms%1000), true
}

func pad3(n int64) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func requestMethodVar(r *httpd.Request) (string, bool) {
	m := r.Method()
	return m, m != ""
}

func clientRequestMethodVar(r *httpd.Request) (string, bool) {
	m := r.Main().Method()
	return m, m != ""
}

func requestURIVar(r *httpd.Request) (string, bool) {
	u := r.URI()
	return u, u != ""
}

func requestBodyVar(r *httpd.Request) (string, bool) {
	b, ok := r.Body()
	if !ok || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// clientRequestHeadersVar is the main request's header as the client sent
// it: request line, header lines and the empty line.
func clientRequestHeadersVar(r *httpd.Request) (string, bool) {
	return nulMarks(r.Main().RawHeader(false)), true
}

// nulMarks reproduces what the module reads back from nginx's header
// buffer: nginx ends a header value with a NUL at its first trailing blank,
// which the module turns into a newline ("X: v \r\n" reads "X: v\n\r\n").
func nulMarks(h string) string {
	var b []byte
	start := strings.Index(h, "\n") + 1 // past the request line
	for start > 0 && start < len(h) {
		end := strings.IndexByte(h[start:], '\n')
		if end < 0 {
			break
		}
		end += start
		line := h[start:end]
		line = strings.TrimSuffix(line, "\r")
		if c := strings.IndexByte(line, ':'); c >= 0 {
			v := strings.TrimLeft(line[c+1:], " \t")
			if t := strings.TrimRight(v, " \t"); t != "" && len(t) < len(v) {
				if b == nil {
					b = []byte(h)
				}
				b[start+len(line)-len(v)+len(t)] = '\n'
			}
		}
		start = end + 1
	}
	if b == nil {
		return h
	}
	return string(b)
}

func itVar(r *httpd.Request) (string, bool) {
	c, _ := Module.ReqCtx(r).(*ctx)
	if c == nil || c.foreach == nil || c.foreach.next >= len(c.foreach.choices) {
		return "", false
	}
	return c.foreach.choices[c.foreach.next], true
}

func incrVar(r *httpd.Request) (string, bool) {
	c, _ := Module.ReqCtx(r.Main()).(*ctx)
	if c == nil {
		return "", false
	}
	c.counter++
	return strconv.Itoa(c.counter), true
}

func responseStatusVar(r *httpd.Request) (string, bool) {
	if s := r.Status(); s != 0 {
		return strconv.Itoa(s), true
	}
	return "", false
}
