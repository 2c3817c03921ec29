package httpd

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/goresty/goresty/runtime/conf"
	"github.com/goresty/goresty/runtime/errlog"
)

// ngx.req.init_body / append_body / finish_body and get_body_file, as
// lua-nginx-module builds a new request body: in memory up to the buffer
// size (init_body's argument, else client_body_buffer_size), then in a
// temporary file under client_body_temp_path, removed when the request
// ends.

func setClientBodyBufferSize(b *builder, d *conf.Directive) error {
	n, err := conf.ParseSize(d.Args[0])
	if err != nil || n < 0 {
		return conf.Errorf(d, "\"client_body_buffer_size\" directive invalid value")
	}
	b.loc.s.bodyBuf = n
	return nil
}

// luaBody is a body being built by append_body.
type luaBody struct {
	limit int64
	mem   []byte
	file  *os.File
	size  int64
}

// bodyTempSeq numbers the temporary files as nginx does (0000000001, ...).
var bodyTempSeq atomic.Uint64

// InitBody is ngx.req.init_body(size); size < 0 means the location's
// client_body_buffer_size. err is the Lua error text.
func (r *Request) InitBody(size int64) (err string) {
	if !r.bodyRead && !r.bodyDiscard {
		return "request body not read yet"
	}
	if size < 0 {
		size = r.loc.s.bodyBuf
	}
	r.dropLuaBody()
	r.luaBody = &luaBody{limit: size}
	return ""
}

// AppendBody is ngx.req.append_body.
func (r *Request) AppendBody(p []byte) (err string) {
	lb := r.luaBody
	if lb == nil {
		return "request body not initialized"
	}
	lb.size += int64(len(p))
	if lb.file == nil && int64(len(lb.mem)+len(p)) <= lb.limit {
		lb.mem = append(lb.mem, p...)
		return ""
	}
	if lb.file == nil {
		f, e := r.bodyTempFile()
		if e != nil {
			return "failed to write file: " + e.Error()
		}
		lb.file = f
		r.logf(LogWarn, "a client request body is buffered to a temporary file %s", f.Name())
		if _, e := f.Write(lb.mem); e != nil {
			return "failed to write file: " + e.Error()
		}
		lb.mem = nil
	}
	if _, e := lb.file.Write(p); e != nil {
		return "failed to write file: " + e.Error()
	}
	return ""
}

// FinishBody is ngx.req.finish_body: the built body becomes the request
// body (Content-Length follows it).
func (r *Request) FinishBody() (err string) {
	lb := r.luaBody
	if lb == nil {
		return "request body not initialized"
	}
	r.luaBody = nil
	if lb.file == nil {
		r.SetBody(lb.mem)
		return ""
	}
	name := lb.file.Name()
	lb.file.Close()
	r.SetBody(nil)
	r.bodyFile = name
	r.fc.Request.Header.SetContentLength(int(lb.size))
	return ""
}

// BodyFile is ngx.req.get_body_file: "" while the body is in memory.
func (r *Request) BodyFile() string { return r.bodyFile }

func (r *Request) bodyTempFile() (*os.File, error) {
	dir := filepath.Join(r.rt.prefix, "client_body_temp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for {
		name := filepath.Join(dir, fmt.Sprintf("%010d", bodyTempSeq.Add(1)))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) {
			continue
		}
		return f, err
	}
}

func (r *Request) dropLuaBody() {
	if lb := r.luaBody; lb != nil && lb.file != nil {
		lb.file.Close()
		os.Remove(lb.file.Name())
	}
	r.luaBody = nil
}

// removeBodyFile deletes the temporary body file (the request ended or
// got another body).
func (r *Request) removeBodyFile() {
	r.dropLuaBody()
	if r.bodyFile != "" {
		if !r.bodyKeep {
			os.Remove(r.bodyFile)
		}
		r.bodyFile, r.bodyKeep = "", false
	}
}

// client_body_in_file_only's values (settings.bodyInFile).
const (
	bodyFileKeep  = 1
	bodyFileClean = 2
)

// spillBody moves a body just read into a temporary file, as nginx
// writes one past client_body_buffer_size, or any with
// client_body_in_file_only: then get_body_data is nil and
// get_body_file names the file.
func (r *Request) spillBody(b []byte) {
	only := r.loc.s.bodyInFile
	if only == 0 && int64(len(b)-r.preread(len(b))) <= r.loc.s.bodyBuf {
		return
	}
	f, err := r.bodyTempFile()
	if err != nil {
		r.logf(errlog.Crit, "failed to create a temporary body file: %v", err)
		return
	}
	level := LogWarn
	if only != 0 {
		level = LogNotice
	}
	r.logf(level, "a client request body is buffered to a temporary file %s", f.Name())
	_, err = f.Write(b)
	f.Close()
	if err != nil {
		r.logf(errlog.Crit, "failed to write the temporary body file %s: %v", f.Name(), err)
		os.Remove(f.Name())
		return
	}
	r.removeBodyFile()
	r.bodyFile, r.bodyKeep = f.Name(), only == bodyFileKeep
	r.newBody, r.bodyChanged = nil, true
	r.fc.Request.SetBodyRaw(nil)
}

// preread estimates how much of a body of n bytes nginx finds in the
// header buffer with the request head (the part that stays in memory
// whatever client_body_buffer_size says): client_header_buffer_size less
// the head, or a large header buffer when the head did not fit.
func (r *Request) preread(n int) int {
	head := len(r.fc.Request.Header.Header())
	buf := r.srv.clientHeaderBuf
	if head > buf {
		buf = r.srv.headerBuf
	}
	return max(0, min(n, buf-head))
}

// SetBodyFile is ngx.req.set_body_file: the body becomes the file name,
// removed at the end of the request when clean is set; err is the Lua
// error text.
func (r *Request) SetBodyFile(name string, clean bool) (err string) {
	if err := r.CheckBodySet(); err != "" {
		return err
	}
	st, e := os.Stat(name)
	if e == nil && st.IsDir() {
		return fmt.Sprintf("open() \"%s\" failed", name)
	}
	if e != nil {
		return fmt.Sprintf("stat() \"%s\" failed", name)
	}
	r.removeBodyFile()
	r.newBody, r.bodyChanged = nil, true
	if st.Size() == 0 {
		if clean {
			os.Remove(name)
		}
	} else {
		r.bodyFile, r.bodyKeep = name, !clean
	}
	r.fc.Request.Header.SetContentLength(int(st.Size()))
	return ""
}

// BodyAny is the request body wherever it is (memory or file); ok is
// false when it was not read.
func (r *Request) BodyAny() ([]byte, bool) {
	if !r.bodyRead || r.bodyDiscard {
		return nil, false
	}
	return r.reqBody(), true
}
