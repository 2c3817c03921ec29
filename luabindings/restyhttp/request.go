package restyhttp

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// newHeaders makes lua-resty-http's case-insensitive header table: a key
// keeps the case it was first set with, and any case finds it.
func newHeaders(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	norm := map[string]string{}
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.ToStringMeta(L.Get(2)).String()
		if orig, ok := norm[strings.ToLower(k)]; ok {
			L.Push(L.CheckTable(1).RawGetString(orig))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		k := L.ToStringMeta(L.Get(2)).String()
		lk := strings.ToLower(k)
		if orig, ok := norm[lk]; ok {
			k = orig
		} else {
			norm[lk] = k
		}
		L.CheckTable(1).RawSetString(k, L.Get(3))
		return 0
	}))
	t.Metatable = mt
	return t
}

var expectingBody = map[string]bool{"POST": true, "PUT": true, "PATCH": true}

type reqParams struct {
	method string
	expect bool
	body   lua.LValue
}

// send writes the request head and (unless Expect: 100-continue) the body.
func (m *module) send(L *lua.LState, c *client, p *lua.LTable) (*reqParams, string) {
	rp := &reqParams{method: "GET", body: p.RawGetString("body")}
	if v := optStr(p, "method"); v != "" {
		rp.method = strings.ToUpper(v)
	}
	path := "/"
	if v := optStr(p, "path"); v != "" {
		path = v
	}
	httpVersion := " HTTP/1.1\r\n"
	if n, ok := p.RawGetString("version").(lua.LNumber); ok && n == 1.0 {
		httpVersion = " HTTP/1.0\r\n"
	}
	query := ""
	switch q := p.RawGetString("query").(type) {
	case lua.LString:
		query = string(q)
	case *lua.LTable:
		query = encodeArgs(q)
	}
	if query != "" && query[0] != '?' {
		query = "?" + query
	}

	headers := newHeaders(L)
	if h, ok := p.RawGetString("headers").(*lua.LTable); ok {
		h.ForEach(func(k, v lua.LValue) { L.SetField(headers, L.ToStringMeta(k).String(), v) })
	}
	get := func(k string) lua.LValue { return L.GetField(headers, k) }
	if teChunked(L, headers) {
		L.SetField(headers, "Content-Length", lua.LNil)
	} else if get("Content-Length") == lua.LNil {
		switch b := rp.body.(type) {
		case *lua.LFunction:
			return nil, "Request body is a function but a length or chunked encoding is not specified"
		case *lua.LTable:
			n := 0
			for i := 1; i <= b.Len(); i++ {
				n += len(L.ToStringMeta(b.RawGetInt(i)).String())
			}
			L.SetField(headers, "Content-Length", lua.LNumber(n))
		case *lua.LNilType:
			if expectingBody[rp.method] {
				return nil, "Request body is nil but " + rp.method +
					" method expects a body. Use an empty string \"\" if you want to send an empty body."
			}
		default:
			L.SetField(headers, "Content-Length", lua.LNumber(len(L.ToStringMeta(b).String())))
		}
	}
	if get("Host") == lua.LNil {
		if strings.HasPrefix(c.host, "unix:") {
			return nil, "Unable to generate a useful Host header for a unix domain socket. Please provide one."
		}
		h := c.host
		if c.port != 0 && ((c.ssl && c.port != 443) || (!c.ssl && c.port != 80)) {
			h += ":" + strconv.Itoa(c.port)
		}
		L.SetField(headers, "Host", lua.LString(h))
	}
	if get("User-Agent") == lua.LNil {
		L.SetField(headers, "User-Agent", lua.LString(userAgent))
	}
	if httpVersion == " HTTP/1.0\r\n" && get("Connection") == lua.LNil {
		L.SetField(headers, "Connection", lua.LString("Keep-Alive"))
	}
	rp.expect = lua.LVAsString(get("Expect")) == "100-continue"

	var b []byte
	b = append(b, rp.method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, query...)
	b = append(b, httpVersion...)
	headers.ForEach(func(k, v lua.LValue) {
		key := L.ToStringMeta(k).String()
		if vt, ok := v.(*lua.LTable); ok {
			vt.ForEach(func(_, x lua.LValue) {
				b = append(append(append(append(b, key...), ": "...), L.ToStringMeta(x).String()...), "\r\n"...)
			})
			return
		}
		b = append(append(append(append(b, key...), ": "...), L.ToStringMeta(v).String()...), "\r\n"...)
	})
	b = append(b, "\r\n"...)
	if _, e := c.conn.Send(b); e != "" {
		return nil, e
	}
	if !rp.expect {
		if e := m.sendBody(L, c, rp.body); e != "" {
			return nil, e
		}
	}
	return rp, ""
}

func (m *module) sendBody(L *lua.LState, c *client, body lua.LValue) string {
	switch b := body.(type) {
	case *lua.LNilType:
		return ""
	case *lua.LFunction:
		for {
			if err := L.CallByParam(lua.P{Fn: b, NRet: 3, Protect: false}); err != nil {
				return err.Error()
			}
			chunk, errv := L.Get(-3), L.Get(-2)
			L.Pop(3)
			if chunk == lua.LNil {
				if errv != lua.LNil {
					return L.ToStringMeta(errv).String()
				}
				return ""
			}
			if _, e := c.conn.Send([]byte(L.ToStringMeta(chunk).String())); e != "" {
				return e
			}
		}
	case *lua.LTable:
		var buf []byte
		for i := 1; i <= b.Len(); i++ {
			buf = append(buf, L.ToStringMeta(b.RawGetInt(i)).String()...)
		}
		if len(buf) == 0 {
			return ""
		}
		_, e := c.conn.Send(buf)
		return e
	default:
		s := L.ToStringMeta(b).String()
		if s == "" {
			return ""
		}
		_, e := c.conn.Send([]byte(s))
		return e
	}
}

func (m *module) sendRequest(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	p := L.CheckTable(2)
	rp, e := m.send(L, c, p)
	if e != "" {
		return pushErr(L, e)
	}
	p.RawSetString("method", lua.LString(rp.method))
	if rp.expect {
		p.RawSetString("_expect_continue", lua.LTrue)
	}
	L.Push(lua.LTrue)
	return 1
}

func (m *module) readResponse(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	p := L.CheckTable(2)
	rp := &reqParams{method: strings.ToUpper(optStr(p, "method")), body: p.RawGetString("body"),
		expect: lua.LVAsBool(p.RawGetString("_expect_continue"))}
	if rp.method == "" {
		rp.method = "GET"
	}
	if h, ok := p.RawGetString("headers").(*lua.LTable); ok && !rp.expect {
		rp.expect = lua.LVAsString(L.GetField(h, "Expect")) == "100-continue"
	}
	return m.pushResponse(L, c, rp)
}

func (m *module) request(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	rp, e := m.send(L, c, L.CheckTable(2))
	if e != "" {
		return pushErr(L, e)
	}
	return m.pushResponse(L, c, rp)
}

func (m *module) pushResponse(L *lua.LState, c *client, rp *reqParams) int {
	res, e := m.read(L, c, rp)
	if res == nil {
		return pushErr(L, e)
	}
	L.Push(res)
	return 1
}

func statusLine(line string) (status int, ver float64, reason string, e string) {
	if len(line) < 8 {
		return 0, 0, "", "couldn't parse HTTP version from response status line: " + line
	}
	v, err := strconv.ParseFloat(line[5:8], 64)
	if err != nil {
		return 0, 0, "", "couldn't parse HTTP version from response status line: " + line
	}
	if len(line) < 12 {
		return 0, 0, "", "couldn't parse status code from response status line: " + line
	}
	st, err := strconv.Atoi(line[9:12])
	if err != nil {
		return 0, 0, "", "couldn't parse status code from response status line: " + line
	}
	if len(line) > 13 {
		reason = line[13:]
	}
	return st, v, reason, ""
}

// readHeaders reads header lines up to the blank line into t (repeated
// names become arrays), like lua-resty-http's _receive_headers.
func readHeaders(L *lua.LState, c *client, t *lua.LTable) string {
	for {
		line, e, _ := c.conn.ReceiveLine()
		if e != "" {
			return e
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return ""
		}
		key := strings.TrimSpace(line[:colon])
		if i := strings.LastIndexAny(key, " \t"); i >= 0 {
			key = key[i+1:]
		}
		if key == "" {
			return ""
		}
		val := lua.LString(strings.TrimLeft(line[colon+1:], " \t\f\v"))
		switch old := L.GetField(t, key).(type) {
		case *lua.LNilType:
			L.SetField(t, key, val)
		case *lua.LTable:
			old.Append(val)
		default:
			arr := L.CreateTable(2, 0)
			arr.Append(old)
			arr.Append(val)
			L.SetField(t, key, arr)
		}
	}
}

func (m *module) read(L *lua.LState, c *client, rp *reqParams) (*lua.LTable, string) {
	var status int
	var ver float64
	var reason string
	if rp.expect {
		line, e, _ := c.conn.ReceiveLine()
		if e != "" {
			return nil, e
		}
		st, v, r, pe := statusLine(line)
		if pe != "" {
			return nil, pe
		}
		if st == 100 {
			if e := readHeaders(L, c, newHeaders(L)); e != "" {
				return nil, e
			}
			if e := m.sendBody(L, c, rp.body); e != "" {
				return nil, e
			}
		} else {
			status, ver, reason = st, v, r
		}
	}
	if status == 0 {
		line, e, _ := c.conn.ReceiveLine()
		if e != "" {
			return nil, e
		}
		var pe string
		if status, ver, reason, pe = statusLine(line); pe != "" {
			return nil, pe
		}
	}
	headers := newHeaders(L)
	if e := readHeaders(L, c, headers); e != "" {
		return nil, e
	}
	if conn, ok := L.GetField(headers, "Connection").(lua.LString); ok {
		lc := strings.ToLower(string(conn))
		if (ver == 1.1 && strings.Contains(lc, "close")) || (ver == 1.0 && !strings.Contains(lc, "keep-alive")) {
			c.keepalive = false
		}
	} else if ver == 1.0 {
		c.keepalive = false
	}

	res := L.CreateTable(0, 8)
	res.RawSetString("status", lua.LNumber(status))
	res.RawSetString("reason", lua.LString(reason))
	res.RawSetString("headers", headers)
	br := &bodyReader{c: c, trailers: L.GetField(headers, "Trailer") != lua.LNil}
	hasBody := rp.method != "HEAD" && status != 204 && status != 304 && !(status >= 100 && status < 200)
	if hasBody {
		if ver == 1.1 && teChunked(L, headers) {
			br.mode = modeChunked
		} else if n, err := strconv.ParseInt(strings.TrimSpace(lua.LVAsString(L.GetField(headers, "Content-Length"))), 10, 64); err == nil {
			if n < 0 {
				// stricter than lua-resty-http, whose reader then fails on
				// receive(-1); nginx's proxy refuses it the same way
				c.keepalive = false
				return nil, `upstream sent invalid "Content-Length" header`
			}
			br.mode, br.remaining = modeLength, n
		} else {
			br.mode = modeClose
		}
	} else {
		br.done = true
	}
	res.RawSetString("has_body", lua.LBool(hasBody))
	res.RawSetString("body_reader", L.NewFunction(br.call))
	res.RawSetString("read_body", L.NewFunction(readBody))
	if br.trailers {
		res.RawSetString("trailer_reader", L.NewFunction(func(L *lua.LState) int {
			t := newHeaders(L)
			if e := readHeaders(L, c, t); e != "" {
				return pushErr(L, e)
			}
			L.Push(t)
			return 1
		}))
	}
	res.RawSetString("read_trailers", L.NewFunction(func(L *lua.LState) int {
		r := L.CheckTable(1)
		tr, ok := r.RawGetString("trailer_reader").(*lua.LFunction)
		if !ok {
			return pushErr(L, "no trailers")
		}
		L.Push(tr)
		L.Call(0, 1)
		if t, ok := L.Get(-1).(*lua.LTable); ok {
			hs := r.RawGetString("headers").(*lua.LTable)
			t.ForEach(func(k, v lua.LValue) { L.SetField(hs, L.ToStringMeta(k).String(), v) })
		}
		return 0
	}))
	return res, ""
}

const (
	modeChunked = iota + 1
	modeLength
	modeClose
)

// bodyReader is res.body_reader: each call returns the next piece of the
// body (at most max_chunk_size bytes when given), then nil.
type bodyReader struct {
	c         *client
	mode      int
	remaining int64 // modeLength: bytes left; modeChunked: bytes left in the chunk
	inChunk   bool
	done      bool
	dead      bool
	trailers  bool
}

func (b *bodyReader) call(L *lua.LState) int {
	if b.dead {
		return pushErr(L, "can't resume a dead coroutine")
	}
	if b.done {
		b.dead = true
		return 0
	}
	max := 0
	if n, ok := L.Get(1).(lua.LNumber); ok && n > 0 {
		max = int(n)
	}
	data, e := b.next(max)
	if e != "" {
		b.done = true
		if data != nil {
			L.Push(lua.LString(data))
		} else {
			L.Push(lua.LNil)
		}
		L.Push(lua.LString(e))
		return 2
	}
	if data == nil {
		b.dead = true
		return 0
	}
	L.Push(lua.LString(data))
	return 1
}

// next returns the next piece, nil at the end.
func (b *bodyReader) next(max int) ([]byte, string) {
	conn := b.c.conn
	switch b.mode {
	case modeLength:
		n := b.remaining
		if max > 0 && int64(max) < n {
			n = int64(max)
		}
		if n == 0 {
			b.done = true
			if max == 0 {
				return []byte{}, ""
			}
			return nil, ""
		}
		d, e := conn.Receive(int(n))
		if e != "" {
			return nil, e
		}
		b.remaining -= n
		if b.remaining == 0 && max == 0 {
			b.done = true
		}
		return d, ""
	case modeClose:
		if max == 0 {
			b.done = true
			d, e := conn.ReceiveAll()
			if e != "" {
				return nil, e
			}
			return d, ""
		}
		d, e := conn.Receive(max)
		if e == "closed" {
			return d, e
		}
		if e != "" {
			return nil, e
		}
		return d, ""
	case modeChunked:
		if !b.inChunk {
			line, e, _ := conn.ReceiveLine()
			if e != "" {
				return nil, e
			}
			n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
			if err != nil || n < 0 {
				return nil, "unable to read chunksize"
			}
			if n == 0 {
				b.done = true
				if !b.trailers {
					conn.Receive(2)
				}
				return nil, ""
			}
			b.remaining, b.inChunk = n, true
		}
		n := b.remaining
		if max > 0 && int64(max) < n {
			n = int64(max)
		}
		d, e := conn.Receive(int(n))
		if e != "" {
			return nil, e
		}
		d = append([]byte(nil), d...)
		b.remaining -= n
		if b.remaining == 0 {
			b.inChunk = false
			conn.Receive(2)
		}
		return d, ""
	}
	return nil, ""
}

// readBody is res:read_body().
func readBody(L *lua.LState) int {
	res := L.CheckTable(1)
	reader, ok := res.RawGetString("body_reader").(*lua.LFunction)
	if !ok {
		return pushErr(L, "no body to be read")
	}
	var buf []byte
	for {
		L.Push(reader)
		L.Call(0, 2)
		chunk, errv := L.Get(-2), L.Get(-1)
		L.Pop(2)
		if errv != lua.LNil {
			L.Push(lua.LNil)
			L.Push(errv)
			L.Push(lua.LString(buf))
			return 3
		}
		s, ok := chunk.(lua.LString)
		if !ok {
			break
		}
		buf = append(buf, s...)
	}
	L.Push(lua.LString(buf))
	return 1
}

// requestURI is httpc:request_uri(uri, params): connect, request, read
// the whole body, then keepalive or close.
func (m *module) requestURI(L *lua.LState) int {
	c := m.self(L)
	if c == nil {
		return notInit(L)
	}
	uri := L.CheckString(2)
	p := L.NewTable()
	if src, ok := L.Get(3).(*lua.LTable); ok {
		src.ForEach(func(k, v lua.LValue) { p.RawSet(k, v) })
	}
	parsed, e := m.parse(uri, false)
	if parsed == nil {
		return pushErr(L, e)
	}
	p.RawSetString("scheme", parsed.RawGetInt(1))
	p.RawSetString("host", parsed.RawGetInt(2))
	p.RawSetString("port", parsed.RawGetInt(3))
	if p.RawGetString("path") == lua.LNil {
		p.RawSetString("path", parsed.RawGetInt(4))
	}
	if p.RawGetString("query") == lua.LNil {
		p.RawSetString("query", parsed.RawGetInt(5))
	}
	if p.RawGetString("ssl_server_name") == lua.LNil {
		p.RawSetString("ssl_server_name", parsed.RawGetInt(2))
	}
	if ok, e := m.connectOpts(L, c, p); !ok {
		return pushErr(L, e)
	}
	rp, e := m.send(L, c, p)
	if e != "" {
		c.conn.Close()
		return pushErr(L, e)
	}
	res, e := m.read(L, c, rp)
	if res == nil {
		c.conn.Close()
		return pushErr(L, e)
	}
	L.Push(L.NewFunction(readBody))
	L.Push(res)
	L.Call(1, 2)
	body, errv := L.Get(-2), L.Get(-1)
	L.Pop(2)
	if body == lua.LNil {
		c.conn.Close()
		L.Push(lua.LNil)
		L.Push(errv)
		return 2
	}
	res.RawSetString("body", body)
	if p.RawGetString("keepalive") == lua.LFalse {
		if e := c.conn.Close(); e != "" {
			m.vm.Log(4, e)
		}
	} else {
		L.Push(L.GetField(m.mod, "set_keepalive"))
		L.Push(L.Get(1))
		L.Push(p.RawGetString("keepalive_timeout"))
		L.Push(p.RawGetString("keepalive_pool"))
		L.Call(3, 2)
		if L.Get(-2) == lua.LNil {
			m.vm.Log(4, L.ToStringMeta(L.Get(-1)).String())
		}
		L.Pop(2)
	}
	L.Push(res)
	return 1
}
