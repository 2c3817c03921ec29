// Command idleconns measures what idle keepalive connections cost a
// server: it starts goresty and/or nginx on the same conf (one process,
// one worker), opens -n connections, makes one request on each, keeps
// them open and reports the server's RSS growth per connection.
//
//	go run ./tools/idleconns -goresty ./goresty -nginx /usr/sbin/nginx -n 5000
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const conf = `%s
worker_processes 1;
error_log logs/error.log warn;
events { worker_connections %d; }
http {
    access_log off;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:%d;
        location / { return 200 "ok\n"; }
    }
}
`

func main() {
	goresty := flag.String("goresty", "", "goresty binary (empty: skip)")
	nginx := flag.String("nginx", "", "nginx binary (empty: skip)")
	n := flag.Int("n", 5000, "idle connections")
	settle := flag.Duration("settle", 2*time.Second, "wait before reading RSS")
	target := flag.Float64("target-kb", 2, "goresty's target per idle connection in KB (0: no verdict)")
	flag.Parse()
	var rlim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rlim) == nil && rlim.Cur < rlim.Max {
		rlim.Cur = rlim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rlim)
	}
	failed := false
	for _, impl := range []struct{ name, bin string }{{"goresty", *goresty}, {"nginx", *nginx}} {
		if impl.bin == "" {
			continue
		}
		per, total, err := measure(impl.name, impl.bin, *n, *settle)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", impl.name, err)
			failed = true
			continue
		}
		fmt.Printf("%-8s %d idle keepalive connections: RSS +%.1f MiB, %.2f KB per connection\n", impl.name, *n, float64(total)/(1<<20), float64(per)/1024)
		if impl.name == "goresty" && *target > 0 {
			verdict := "met"
			if float64(per)/1024 > *target {
				verdict = "not met"
			}
			fmt.Printf("target idle keepalive connection <= %g KB: %s\n", *target, verdict)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func measure(name, bin string, n int, settle time.Duration) (per, total int64, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "idleconns-")
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if err != nil {
			b, _ := os.ReadFile(filepath.Join(dir, "logs/error.log"))
			os.Stderr.Write(b)
		}
		os.RemoveAll(dir)
	}()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o755)
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	head := ""
	if name == "nginx" {
		head = "pid logs/nginx.pid;"
	}
	if err := os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), fmt.Appendf(nil, conf, head, 2*n+100, port), 0o644); err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(bin, "-e", "logs/error.log", "-p", dir+"/", "-c", "conf/nginx.conf", "-g", "daemon off; master_process off;")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var warm net.Conn
	for i := 0; i < 250; i++ {
		if warm, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return 0, 0, err
	}
	// warm up the request path on a connection that is closed again
	for i := 0; i < 200; i++ {
		if err := request(warm, bufio.NewReader(warm)); err != nil {
			return 0, 0, err
		}
	}
	warm.Close()
	time.Sleep(settle)
	before, err := rss(cmd.Process.Pid)
	if err != nil {
		return 0, 0, err
	}
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, 0, fmt.Errorf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if err := request(c, bufio.NewReaderSize(c, 256)); err != nil {
			return 0, 0, fmt.Errorf("connection %d: %v", i, err)
		}
	}
	time.Sleep(settle)
	after, err := rss(cmd.Process.Pid)
	if err != nil {
		return 0, 0, err
	}
	// every connection is still open and answers
	for _, c := range []net.Conn{conns[0], conns[n/2], conns[n-1]} {
		if err := request(c, bufio.NewReader(c)); err != nil {
			return 0, 0, fmt.Errorf("idle connection: %v", err)
		}
	}
	total = after - before
	return total / int64(n), total, nil
}

func request(c net.Conn, r *bufio.Reader) error {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "HTTP/1.1 200") {
		return fmt.Errorf("status line %q", line)
	}
	length := -1
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if h == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err = io.CopyN(io.Discard, r, int64(length))
	return err
}

// rss is the resident set of pid in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(v))
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}
