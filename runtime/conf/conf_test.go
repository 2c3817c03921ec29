package conf

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func starterKit(t testing.TB) string {
	p, err := filepath.Abs("testdata/starterkit/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// find walks down by names: find(cfg.Main, "http", "server", "location")
// returns the first match at each level.
func find(t *testing.T, ds []*Directive, names ...string) *Directive {
	t.Helper()
	var cur *Directive
	for _, n := range names {
		cur = nil
		for _, d := range ds {
			if d.Name == n {
				cur = d
				break
			}
		}
		if cur == nil {
			t.Fatalf("no %q in path %v", n, names)
		}
		ds = cur.Block
	}
	return cur
}

func TestStarterKit(t *testing.T) {
	path := starterKit(t)
	dir := filepath.Dir(path) + "/"
	cfg, err := testRegistry().Load(path)
	if err != nil {
		t.Fatal(err)
	}

	wantFiles := []string{
		path,
		dir + "includes/globals/10-pid.conf",
		dir + "includes/globals/20-errlog.conf", // .hidden.conf is not matched by *
		dir + "mime.types",
		dir + "includes/http/maps.conf",
		dir + "rest.conf",
		dir + "cors.conf",
	}
	if !reflect.DeepEqual(cfg.Files, wantFiles) {
		t.Fatalf("files:\n got %q\nwant %q", cfg.Files, wantFiles)
	}

	// includes are expanded in place: pid/error_log sit between
	// worker_processes and events
	var mainNames []string
	for _, d := range cfg.Main {
		mainNames = append(mainNames, d.Name)
	}
	wantMain := []string{"env", "env", "env", "env", "worker_processes", "pid", "error_log", "events", "http"}
	if !reflect.DeepEqual(mainNames, wantMain) {
		t.Fatalf("main: %q", mainNames)
	}
	pid := cfg.Main[5]
	if pid.File != dir+"includes/globals/10-pid.conf" || pid.Line != 1 || pid.Args[0] != "logs/nginx.pid" {
		t.Fatalf("pid: %+v", pid)
	}

	http := find(t, cfg.Main, "http")
	if http.Line != 14 || !http.IsBlock {
		t.Fatalf("http at %s", http.Pos())
	}
	lpp := find(t, http.Block, "lua_package_path")
	if lpp.Args[0] != "${prefix}../lualib/user_code/?.lua;;" || !lpp.Quoted[0] {
		t.Fatalf("lua_package_path %q %v", lpp.Args, lpp.Quoted)
	}
	lf := find(t, http.Block, "log_format")
	if len(lf.Args) != 3 || lf.Line != 19 || !strings.HasPrefix(lf.Args[1], `[$time_local] "$request"`) {
		t.Fatalf("log_format %q at %d", lf.Args, lf.Line)
	}

	types := find(t, http.Block, "types")
	if types.File != dir+"mime.types" || len(types.Block) != 5 {
		t.Fatalf("types: %+v", types)
	}
	if e := types.Block[0]; e.Name != "text/html" || !reflect.DeepEqual(e.Args, []string{"html", "htm", "shtml"}) || e.Line != 2 {
		t.Fatalf("types entry %+v", e)
	}
	m := find(t, http.Block, "map")
	if !reflect.DeepEqual(m.Args, []string{"$http_upgrade", "$connection_upgrade"}) {
		t.Fatalf("map args %q", m.Args)
	}
	var entries [][]string
	for _, e := range m.Block {
		entries = append(entries, append([]string{e.Name}, e.Args...))
	}
	wantEntries := [][]string{{"default", "upgrade"}, {"", "close"}, {`~^a\d+`, "x y"}}
	if !reflect.DeepEqual(entries, wantEntries) {
		t.Fatalf("map entries %q", entries)
	}

	up := find(t, http.Block, "upstream")
	bal := find(t, up.Block, "balancer_by_lua_block")
	if len(bal.Args) != 1 || bal.LuaLine != 27 || bal.Line != 27 || bal.Block != nil || !bal.IsBlock {
		t.Fatalf("balancer %+v", bal)
	}
	if !strings.Contains(bal.Args[0], `-- pick {peer}`) || !strings.HasSuffix(bal.Args[0], "end\n        ") {
		t.Fatalf("balancer code %q", bal.Args[0])
	}

	srv := find(t, http.Block, "server")
	sbl := find(t, srv.Block, "set_by_lua_block")
	if !reflect.DeepEqual(sbl.Args, []string{"$development", ` return os.getenv('DEVELOPMENT') or "0" `}) || sbl.LuaLine != 38 {
		t.Fatalf("set_by_lua_block %q line %d", sbl.Args, sbl.LuaLine)
	}
	// the directive after the Lua block is parsed normally
	if d := srv.Block[4]; d.Name != "set" || d.Args[0] != "$rest_prefix" || d.Line != 39 {
		t.Fatalf("after lua block: %+v", d)
	}
	ifs := Find(srv.Block, "if")
	if len(ifs) != 2 || !reflect.DeepEqual(ifs[0].Args, []string{"($development", "=", "1", ")"}) ||
		!reflect.DeepEqual(ifs[0].Quoted, []bool{false, false, true, false}) {
		t.Fatalf("if: %q %v", ifs[0].Args, ifs[0].Quoted)
	}
	gz := find(t, srv.Block, "gzip")
	if !gz.Flag() {
		t.Fatal("gzip on")
	}

	// location /rest comes from rest.conf and holds cors.conf's ifs
	locs := Find(srv.Block, "location")
	if len(locs) != 3 || locs[0].Args[0] != "/rest" || locs[0].File != dir+"rest.conf" || locs[2].Args[0] != "/" {
		t.Fatalf("locations: %d", len(locs))
	}
	rest := locs[0]
	opt := rest.Block[0]
	if opt.Name != "if" || opt.File != dir+"cors.conf" || opt.Line != 1 ||
		!reflect.DeepEqual(opt.Args, []string{"($request_method", "=", "OPTIONS", ")"}) {
		t.Fatalf("cors if %+v", opt)
	}
	if n := len(Find(opt.Block, "add_header")); n != 6 {
		t.Fatalf("add_header count %d", n)
	}
	ret := find(t, opt.Block, "return")
	if !reflect.DeepEqual(ret.Args, []string{"204"}) || ret.Line != 8 {
		t.Fatalf("return %+v", ret)
	}
	post := rest.Block[1]
	dummy := find(t, post.Block, "set_by_lua_block")
	if dummy.Args[0] != "$dummy" || !strings.Contains(dummy.Args[1], `"}{;";  -- braces in a string`) ||
		!strings.Contains(dummy.Args[1], "--[[ a { comment } ]] return true") || dummy.LuaLine != 11 {
		t.Fatalf("dummy %q line %d", dummy.Args, dummy.LuaLine)
	}
	if rw := rest.Block[2]; rw.Name != "rewrite" || rw.Line != 3 || rw.Args[1] != "/internal/rest/$1" {
		t.Fatalf("rewrite %+v", rw)
	}

	internal := locs[1]
	ph := find(t, internal.Block, "proxy_set_header")
	if !reflect.DeepEqual(ph.Args, []string{"Accept-Encoding", ""}) || !reflect.DeepEqual(ph.Quoted, []bool{false, true}) {
		t.Fatalf("proxy_set_header %q %v", ph.Args, ph.Quoted)
	}
	if in := find(t, internal.Block, "internal"); in.Args != nil || in.Block != nil || in.IsBlock {
		t.Fatalf("internal %+v", in)
	}
	pp := find(t, internal.Block, "proxy_pass")
	if pp.Args[0] != "http://$postgrest_host:$postgrest_port" {
		t.Fatalf("proxy_pass %q", pp.Args)
	}
	last := internal.Block[len(internal.Block)-1]
	if last.Name != "rewrite" || !reflect.DeepEqual(last.Args, []string{"/internal/rest(.+)", "$1", "break"}) {
		t.Fatalf("last %+v", last)
	}

	// Walk visits every directive with positions set
	n := 0
	Walk(cfg.Main, func(d *Directive) bool {
		n++
		if d.File == "" || d.Line == 0 {
			t.Errorf("no position: %+v", d)
		}
		return true
	})
	if n < 80 {
		t.Fatalf("walked %d", n)
	}
}

func TestDump(t *testing.T) {
	path := starterKit(t)
	cfg, err := testRegistry().Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for _, f := range cfg.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want.WriteString("# configuration file " + f + ":\n")
		want.Write(b)
		want.WriteString("\n")
	}
	var got bytes.Buffer
	if err := cfg.Dump(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("dump differs:\n%s", got.String())
	}
}

// writeTree creates files (relative paths) under a new temp dir and returns
// the dir with a trailing "/".
func writeTree(t testing.TB, files map[string]string) string {
	dir := t.TempDir() + "/"
	for name, text := range files {
		p := dir + name
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestIncludeEverywhere(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"conf/nginx.conf": "events { include ev/*.conf; }\n" +
			"http {\n" +
			"  include none/*.conf;\n" + // glob without match is fine
			"  upstream u { include up.conf; }\n" +
			"  map $a $b { include map.inc; }\n" +
			"  server {\n" +
			"    include srv.conf;\n" +
			"    location / { include loc.conf; if ($x) { include lif.conf; } }\n" +
			"  }\n" +
			"}\n",
		"conf/ev/a.conf":   "worker_connections 10;",
		"conf/up.conf":     "server 127.0.0.1:1; keepalive 2;",
		"conf/map.inc":     "default 0;\n~x 1;",
		"conf/srv.conf":    "listen 8080;\n# comment only line\nserver_name a b;",
		"conf/loc.conf":    "include ./deeper.conf;",
		"conf/deeper.conf": "root html;",
		"conf/lif.conf":    "return 404;",
	})
	cfg, err := testRegistry().Load(dir + "conf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	Walk(cfg.Main, func(d *Directive) bool {
		got = append(got, d.Name+"@"+strings.TrimPrefix(d.File, dir)+":"+strconv.Itoa(d.Line))
		return true
	})
	want := []string{
		"events@conf/nginx.conf:1", "worker_connections@conf/ev/a.conf:1",
		"http@conf/nginx.conf:2",
		"upstream@conf/nginx.conf:4", "server@conf/up.conf:1", "keepalive@conf/up.conf:1",
		"map@conf/nginx.conf:5", "default@conf/map.inc:1", "~x@conf/map.inc:2",
		"server@conf/nginx.conf:6", "listen@conf/srv.conf:1", "server_name@conf/srv.conf:3",
		"location@conf/nginx.conf:8", "root@conf/./deeper.conf:1",
		"if@conf/nginx.conf:8", "return@conf/lif.conf:1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestIncludeDumpOnce(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf": "http { server { include l.conf; } server { include l.conf; } }",
		"l.conf":     "location / { }",
	})
	cfg, err := testRegistry().Load(dir + "nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Files) != 2 {
		t.Fatalf("files %q", cfg.Files)
	}
	srvs := Find(cfg.Main[0].Block, "server")
	if len(srvs) != 2 || len(srvs[1].Block) != 1 || srvs[1].Block[0].Name != "location" {
		t.Fatalf("servers %+v", srvs)
	}
}

func TestRegisterSameNameOtherContexts(t *testing.T) {
	r := NewRegistry()
	r.Register(Structural...)
	r.Register(Spec{Name: "x", Ctx: HTTP, Args: Take1})
	r.Register(Spec{Name: "x", Ctx: Location, Args: Take2})
	dir := writeTree(t, map[string]string{
		"a.conf": "http { x 1; server { location / { x 1 2; } } }",
		"b.conf": "http { server { location / { x 1; } } }",
		"c.conf": "http { server { x 1; } }",
	})
	if _, err := r.Load(dir + "a.conf"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Load(dir + "b.conf"); err == nil || err.Error() != `invalid number of arguments in "x" directive in `+dir+"b.conf:1" {
		t.Fatalf("b: %v", err)
	}
	if _, err := r.Load(dir + "c.conf"); err == nil || err.Error() != `"x" directive is not allowed here in `+dir+"c.conf:1" {
		t.Fatalf("c: %v", err)
	}
}

func TestGlobals(t *testing.T) {
	dir := writeTree(t, map[string]string{"nginx.conf": "worker_processes 1;\n"})
	cfg, err := testRegistry().LoadWithGlobals(dir+"nginx.conf", "daemon off; pid /tmp/x.pid;")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Main) != 3 || cfg.Main[0].Name != "daemon" || cfg.Main[0].Pos() != "command line" || cfg.Main[2].Name != "worker_processes" {
		t.Fatalf("main %+v", cfg.Main)
	}
	for _, c := range []struct{ g, want string }{
		{"daemon off", `unexpected end of parameter, expecting ";" in command line`},
		{"events { }", `block directives are not supported in -g option in command line`},
		{"nope 1;", `unknown directive "nope" in command line`},
		{"daemon maybe;", `invalid value "maybe" in "daemon" directive, it must be "on" or "off" in command line`},
	} {
		_, err := testRegistry().LoadWithGlobals(dir+"nginx.conf", c.g)
		if err == nil || err.Error() != c.want {
			t.Errorf("-g %q: got %v want %s", c.g, err, c.want)
		}
	}
}

func TestErrorf(t *testing.T) {
	d := &Directive{Name: "listen", File: "/p/conf/x.conf", Line: 12}
	err := Errorf(d, `invalid port in "%s" of the "listen" directive`, "x:y")
	if err.Error() != `invalid port in "x:y" of the "listen" directive in /p/conf/x.conf:12` {
		t.Fatal(err)
	}
	if d.Pos() != "/p/conf/x.conf:12" {
		t.Fatal(d.Pos())
	}
	if (&Error{Msg: "m"}).Error() != "m" {
		t.Fatal("no file")
	}
}

func TestArity(t *testing.T) {
	cases := []struct {
		a  Arity
		ok []int
	}{
		{NoArgs, []int{0}},
		{0, []int{0}},
		{Take1, []int{1}},
		{Take12, []int{1, 2}},
		{Take13, []int{1, 3}},
		{Take23, []int{2, 3}},
		{Take123, []int{1, 2, 3}},
		{Take1234, []int{1, 2, 3, 4}},
		{NoArgs | Take1, []int{0, 1}},
		{OneMore, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{TwoMore, []int{2, 3, 4, 5, 6, 7, 8, 9}},
		{Flag, []int{1}},
		{AnyArgs, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{Take7, []int{7}},
	}
	for _, c := range cases {
		for n := 0; n <= 9; n++ {
			want := false
			for _, k := range c.ok {
				want = want || k == n
			}
			if got := c.a.argsOK(n); got != want {
				t.Errorf("arity %b with %d args: got %v", c.a, n, got)
			}
		}
	}
}

func TestContextString(t *testing.T) {
	if s := (Server | LocationIf).String(); s != "server|if in location" {
		t.Fatal(s)
	}
}

func TestConcurrentLoadAndRegister(t *testing.T) {
	path := starterKit(t)
	r := testRegistry()
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			r.Register(Spec{Name: "extra_" + strconv.Itoa(i), Ctx: HTTP, Args: Take1})
			_, err := r.Load(path)
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.Names()); n != len(testRegistry().Names())+8 {
		t.Fatalf("names %d", n)
	}
}
