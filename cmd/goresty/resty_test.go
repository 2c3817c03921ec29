package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runRestyBin runs `goresty resty args...` and returns stdout, stderr
// and the exit status.
func runRestyBin(t *testing.T, bin, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"resty"}, args...)...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestResty(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("script.lua", `ngx.say(#arg, " [", arg[0], "] [", arg[1], "] [", arg[2], "]")`+"\n")
	write("lib/greet.lua", `return { hi = function(n) return "hi " .. n end }`)
	write("lib/pkg/init.lua", `return { name = "pkg" }`)

	// a local TCP service for the cosocket case: answers "echo:" + line
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				c.Write([]byte("echo:" + line))
			}()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())

	cases := []struct {
		name    string
		args    []string
		stdout  string
		code    int
		stderrs []string // substrings of stderr
	}{
		{"say", []string{"-e", "ngx.say(1+1)"}, "2\n", 0, nil},
		{"md5", []string{"-e", `ngx.say(ngx.md5("x"))`}, "9dd4e461268c8034f5c8564e155c67a6\n", 0, nil},
		{"nested tables and print", []string{"-e", `print("x", {1, {"y", 2}}, nil, true, ngx.null) ngx.print("a", 1) ngx.say()`},
			"x1y2niltruenull\na1\n", 0, nil},
		{"io.stdout shares the stream", []string{"-e", `ngx.print("a") io.stdout:write("b") ngx.say("c")`}, "abc\n", 0, nil},
		{"phase and console", []string{"-e", `ngx.say(ngx.get_phase(), " ", tostring(ngx.config.is_console))`}, "timer true\n", 0, nil},
		{"script args", []string{"script.lua", "one", "two"}, "2 [script.lua] [one] [two]\n", 0, nil},
		{"-e then script", []string{"-e", `io.stdout:write("e:", arg[1], " ")`, "script.lua", "]]", "}"},
			"e:]] 2 [script.lua] []]] [}]\n", 0, nil},
		{"shdict", []string{"--shdict", "d 1m", "--shdict=e 12k", "-e",
			`ngx.shared.d:set("k", 5) ngx.say(ngx.shared.d:get("k"), " ", ngx.shared.e:capacity())`}, "5 12288\n", 0, nil},
		{"-I", []string{"-I", "lib", "-e", `ngx.say(require("greet").hi("you"), " ", require("pkg").name)`}, "hi you pkg\n", 0, nil},
		{"-Idir", []string{"-Ilib", "-e", `ngx.say(require("greet").hi("me"))`}, "hi me\n", 0, nil},
		{"--http-conf", []string{"--http-conf", "lua_shared_dict hc 1m;", "-e", `ngx.say(ngx.shared.hc ~= nil)`}, "true\n", 0, nil},
		{"--main-conf", []string{"--main-conf", "env RESTY_TEST_VAR=v1;", "-e", `ngx.say(os.getenv("RESTY_TEST_VAR"))`}, "v1\n", 0, nil},
		{"-c and -l", []string{"-c", "10", "-l", "cjson", "-e", `ngx.say(require("cjson").encode({1}))`}, "[1]\n", 0, nil},
		{"cosocket", []string{"-e", `local s = ngx.socket.tcp()
assert(s:connect("` + host + `", ` + port + `))
s:send("ping\n")
ngx.say(s:receive())`}, "echo:ping\n", 0, nil},
		{"sleep and timers", []string{"-e", `ngx.timer.at(0, function() ngx.say("t1") end) ngx.sleep(0.01) ngx.say("main")`}, "t1\nmain\n", 0, nil},
		// as resty: on return, due timers run until they block; later ones never run
		{"due timers at exit", []string{"-e", `ngx.timer.at(0, function() ngx.say("due") ngx.sleep(5) ngx.say("never") end)
ngx.timer.at(60, function() ngx.say("later") end) ngx.say("main")`}, "main\ndue\n", 0, nil},
		{"ngx.exit", []string{"-e", `ngx.say("a") ngx.exit(3) ngx.say("b")`}, "a\n", 3, nil},
		{"ngx.exit inside pcall", []string{"-e", `pcall(ngx.exit, 5) ngx.say("b")`}, "", 5, nil},
		{"ngx.exit in a timer", []string{"-e", `ngx.timer.at(0, function() ngx.exit(4) end) ngx.sleep(5) ngx.say("b")`}, "", 4, nil},
		{"os.exit", []string{"-e", `os.exit(7)`}, "", 7, nil},
		{"ngx.ERROR", []string{"-e", `ngx.exit(ngx.ERROR)`}, "", 255, nil},
		{"error", []string{"-e", `ngx.say("before") local function f() error("boom") end f()`}, "before\n", 1,
			[]string{"ERROR: (command line -e):1: boom\nstack traceback:\n\t(command line -e):1: in function 'f'\n"}},
		{"runtime error in a file", []string{"-e", `local t = nil; return t.x`}, "", 1,
			[]string{"ERROR: (command line -e):1: attempt to index", "stack traceback:"}},
		{"syntax error", []string{"-e", `x =`}, "", 1, []string{"ERROR: ", "(command line -e):1: unexpected symbol near '<eof>'"}},
		{"error in another timer is logged", []string{"-e", `ngx.timer.at(0, function() error("in timer") end) ngx.sleep(0.01) ngx.say("ok")`},
			"ok\n", 0, []string{"[error]", "lua entry thread aborted: runtime error: (command line -e):1: in timer"}},
		{"ngx.log at warn", []string{"-e", `ngx.log(ngx.WARN, "w1") ngx.log(ngx.INFO, "i1")`}, "", 0, []string{"[warn]", "w1"}},
		{"no code", nil, "", 1, []string{"Neither Lua input file nor -e"}},
		{"missing file", []string{"nope.lua"}, "", 1, []string{"Lua input file nope.lua not found."}},
		{"bad shdict", []string{"--shdict", "x", "-e", "1"}, "", 1, []string{"invalid --shdict option value: x"}},
		{"unknown option", []string{"--frobnicate"}, "", 1, []string{"ERROR: unknown option --frobnicate"}},
		{"bad -c", []string{"-c", "x", "-e", "1"}, "", 1, []string{"option -c value must be a number but found 'x'."}},
		{"bad --http-conf", []string{"--http-conf", "frob 1;", "-e", "1"}, "", 1, []string{`[emerg] unknown directive "frob"`}},
		{"--nginx", []string{"--nginx", "/usr/sbin/nginx", "-e", "ngx.say(1)"}, "1\n", 0, []string{"--nginx ignored"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runRestyBin(t, bin, dir, tc.args...)
			if out != tc.stdout || code != tc.code {
				t.Fatalf("stdout %q status %d, want %q status %d\nstderr: %s", out, code, tc.stdout, tc.code, errOut)
			}
			for _, s := range tc.stderrs {
				if !strings.Contains(errOut, s) {
					t.Fatalf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tc.stderrs == nil && errOut != "" {
				t.Fatalf("unexpected stderr:\n%s", errOut)
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		out, _, code := runRestyBin(t, bin, dir, "-h")
		if code != 0 || !strings.Contains(out, "goresty resty [options] [lua-file [args]]") || !strings.Contains(out, "--shdict") {
			t.Fatalf("status %d: %s", code, out)
		}
	})
	t.Run("dump conf", func(t *testing.T) {
		out, _, code := runRestyBin(t, bin, dir, "--dump-nginx-conf", "--shdict", "d 1m", "-I", "lib", "-c", "9", "-e", "1")
		for _, want := range []string{"daemon off;", "error_log stderr warn;", "worker_connections 9;", "lua_shared_dict d 1m;",
			`lua_package_path "` + filepath.Join(dir, "lib") + `/?.lua;`, "init_worker_by_lua_block", "ngx.timer.at(0"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("status %d, %q missing:\n%s", code, want, out)
			}
		}
	})
	t.Run("temporary prefix removed", func(t *testing.T) {
		out, _, code := runRestyBin(t, bin, dir, "-e", "ngx.say(ngx.config.prefix())")
		p := strings.TrimSpace(out)
		if code != 0 || !strings.Contains(p, "resty_") {
			t.Fatalf("status %d prefix %q", code, p)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s left behind: %v", p, err)
		}
	})
}
