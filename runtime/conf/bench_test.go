package conf

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func BenchmarkLoadStarterKit(b *testing.B) {
	path := starterKit(b)
	r := testRegistry()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLarge parses a 1000-server configuration from memory.
func BenchmarkParseLarge(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("events { worker_connections 1024; }\nhttp {\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "  server {\n    listen %d;\n    server_name s%d.example.com;\n", 10000+i, i)
		sb.WriteString("    location / {\n      if ($request_method = 'OPTIONS') { add_header 'X-A' \"b c\"; return 204; }\n")
		sb.WriteString("      content_by_lua_block {\n        local t = { a = \"}\", b = [[{]] } -- }\n        ngx.say(t.a)\n      }\n    }\n  }\n")
	}
	sb.WriteString("}\n")
	text := []byte(sb.String())
	r := testRegistry()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Parse("/p/nginx.conf", text); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDumpLikeNginx compares Dump with the reference `nginx -T` output.
func TestDumpLikeNginx(t *testing.T) {
	if _, err := os.Stat(nginxBin); err != nil {
		t.Skip("no reference nginx")
	}
	files := map[string]string{
		"conf/nginx.conf": "events {}\ninclude a/*.conf;\nhttp {\n  include b.conf;\n  server { include b.conf; }\n}",
		"conf/a/1.conf":   "worker_processes 1;\n",
		"conf/a/2.conf":   "pid logs/x.pid;",
		"conf/b.conf":     "# only a comment\n",
	}
	dir := writeTree(t, files)
	if err := os.MkdirAll(dir+"logs", 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginxBin, "-T", "-q", "-p", dir, "-c", "conf/nginx.conf", "-e", "stderr").Output()
	if err != nil {
		t.Fatalf("nginx -T: %v", err)
	}
	cfg, err := testRegistry().Load(dir + "conf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	cfg.Dump(&sb)
	if sb.String() != string(out) {
		t.Fatalf("ours:\n%s\nnginx:\n%s", sb.String(), out)
	}
}
