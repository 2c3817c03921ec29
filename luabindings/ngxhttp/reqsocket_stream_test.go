package ngxhttp_test

import (
	"bufio"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// uploadConf reads a multipart upload through ngx.req.socket() the way
// lua-resty-upload does (a line for the boundary, header lines, then the
// part through a receiveuntil iterator in 8 KiB pieces) and answers the
// parts, the file part's size and its MD5.
const uploadConf = `
server {
    listen 127.0.0.1:PORT;
    client_max_body_size 0;
    location = /upload {
        content_by_lua_block {
            local ok, md5mod = pcall(require, "resty.md5")
            if not ok then md5mod = require "nginx.md5" end
            local sock, err = ngx.req.socket()
            if not sock then
                ngx.say("no socket: ", err)
                return
            end
            sock:settimeout(20000)
            local boundary = ngx.var.content_type:match("boundary=([^;]+)")
            local line = sock:receive()
            if line ~= "--" .. boundary then
                ngx.say("bad preamble: ", line)
                return
            end
            local read_part = sock:receiveuntil("\r\n--" .. boundary)
            local md5 = md5mod:new()
            local parts, size = {}, 0
            while true do
                local name
                while true do
                    local h, err = sock:receive()
                    if not h then
                        ngx.say("header: ", err)
                        return
                    end
                    if h == "" then break end
                    name = h:match('name="([^"]+)"') or name
                end
                parts[#parts + 1] = name
                while true do
                    local chunk, err = read_part(8192)
                    if err then
                        ngx.say("body: ", err)
                        return
                    end
                    if not chunk then break end
                    if name == "file" then
                        md5:update(chunk)
                        size = size + #chunk
                    end
                end
                if sock:receive(2) == "--" then break end
            end
            ngx.say(table.concat(parts, ","), " ", size, " ", ngx.encode_base64(md5:final()))
        }
    }
}
`

// uploadData is the file part: n pseudo-random bytes without CR (so that
// no boundary line can appear in it).
type uploadData struct {
	rnd  *rand.Rand
	left int64
}

func (d *uploadData) Read(p []byte) (int, error) {
	if d.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	d.rnd.Read(p)
	for i, c := range p {
		if c == '\r' {
			p[i] = 'r'
		}
	}
	d.left -= int64(len(p))
	return len(p), nil
}

// vmKB reads a VmRSS/VmHWM figure of a process in KiB.
func vmKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// A 100 MB multipart upload is read by Lua through ngx.req.socket() as
// it arrives: the server's peak resident memory grows by far less than
// the body (on goresty the test's own process, its peak reset first).
// A chunked upload is decoded for the body socket on goresty (nginx
// refuses it: README, "What differs").
func TestReqSocketStreamsLargeUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB upload")
	}
	ref := os.Getenv("NGX_REFERENCE")
	s := httpdtest.Start(t, uploadConf, ref)
	const size = 100 << 20
	const boundary = "goresty-upload-boundary-7MA4YWxkTrZu0gW"
	for _, chunked := range []bool{false, true} {
		if chunked && ref != "" {
			continue
		}
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n" +
				"--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n" +
				"Content-Type: application/octet-stream\r\n\r\n"
			tail := "\r\n--" + boundary + "--\r\n"
			sum := md5.New()
			data := io.TeeReader(&uploadData{rnd: rand.New(rand.NewSource(1)), left: size}, sum)
			body := io.MultiReader(strings.NewReader(head), data, strings.NewReader(tail))
			req, err := http.NewRequest("POST", "http://"+s.Addr+"/upload", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			if chunked {
				req.ContentLength = -1
			} else {
				req.ContentLength = int64(len(head) + size + len(tail))
			}
			if s.Process != nil {
				debug.FreeOSMemory()
				// reset the peak to the current resident size
				if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
					t.Skip("cannot reset VmHWM:", err)
				}
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			alloc0 := ms.TotalAlloc
			base := vmKB(t, s.Pid, "VmRSS")
			c := &http.Client{Timeout: 5 * time.Minute} // a hang guard, not a measure
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			peak := vmKB(t, s.Pid, "VmHWM")
			want := fmt.Sprintf("field,file %d %s\n", size, base64.StdEncoding.EncodeToString(sum.Sum(nil)))
			if resp.StatusCode != 200 || string(got) != want {
				t.Fatalf("%d %q, want %q", resp.StatusCode, got, want)
			}
			if s.Process != nil {
				// each chunk costs its Lua string and little more: the
				// matcher's buffer is reused, not grown byte by byte
				runtime.ReadMemStats(&ms)
				if a := ms.TotalAlloc - alloc0; a > 2*size {
					t.Errorf("%d MB allocated for a %d MB upload, want at most twice the body", a>>20, size>>20)
				} else {
					t.Logf("%d MB allocated", a>>20)
				}
			}
			if grow := (peak - base) / 1024; grow > 60 {
				t.Fatalf("peak resident memory grew by %d MB for a %d MB upload (from %d to %d kB)", grow, size>>20, base, peak)
			} else {
				t.Logf("peak resident memory grew by %d MB", grow)
			}
		})
	}
}
