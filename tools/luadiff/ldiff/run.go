// Package ldiff runs Lua programs on goresty's gopher-lua fork and on
// OpenResty's LuaJIT (with Lua 5.1 as a second opinion) and compares what
// they print and how they fail.
//
// Every engine runs a program through the same driver (driver.lua): the
// program is compiled with loadstring(src, "=prog") and called under
// pcall, so the three engines see it identically. A Result holds what the
// program wrote with print/io.write, and its status: "ok", "compile"
// (loadstring failed) or "error" (the call raised), with the message.
package ldiff

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Default interpreter paths: OpenResty's LuaJIT (Debian package luajit2)
// and PUC Lua 5.1 (Debian package lua5.1).
const (
	LuaJITPath = "/usr/bin/luajit"
	Lua51Path  = "/usr/bin/lua5.1"
)

//go:embed driver.lua
var driverSrc string

// Result is one engine's answer for one program.
type Result struct {
	Status string // "ok", "compile", "error", or "crash"/"timeout" (engine failure)
	Out    string // everything printed, in order
	Err    string // the error as "type: text" ("string: prog:3: boom", "table")
}

func (r Result) String() string {
	s := "status: " + r.Status + "\n"
	if r.Err != "" {
		s += "error:  " + strconv.Quote(r.Err) + "\n"
	}
	return s + "output:\n" + r.Out
}

var addrRe = regexp.MustCompile(`\b(table|function|thread|userdata|file|cdata<[^>]*>): ?\(?(0x[0-9a-fA-F]+|builtin#[0-9]+|[0-9a-fA-F]{8,})\)?`)

// Normalize removes what legitimately differs between implementations:
// the addresses that tostring shows for tables, functions, threads and
// userdata (LuaJIT shows library functions as "builtin#N").
func Normalize(r Result) Result {
	r.Out = addrRe.ReplaceAllString(r.Out, "$1: ADDR")
	r.Err = addrRe.ReplaceAllString(r.Err, "$1: ADDR")
	return r
}

// Equal reports whether two (normalized) results agree byte for byte.
func Equal(a, b Result) bool { return a == b }

// ForkTimeout bounds one program on the fork; the generator only makes
// programs that finish in milliseconds, so running past it is a bug.
var ForkTimeout = 10 * time.Second

// RunFork runs src on the fork in-process, in a fresh state opened as
// goresty opens its worker states (lua.NewState with the standard
// libraries). print and io.write write into the result instead of the
// process's stdout, with the fork's own conversions.
func RunFork(src string) Result {
	done := make(chan Result, 1)
	go func() {
		done <- runFork(src)
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(ForkTimeout):
		// The goroutine is left running: gopher-lua cannot be stopped from
		// outside without the context-checking VM loop, which is a
		// different code path than goresty runs.
		return Result{Status: "timeout", Err: "fork did not finish in " + ForkTimeout.String()}
	}
}

func runFork(src string) (res Result) {
	var out bytes.Buffer
	defer func() {
		if p := recover(); p != nil {
			res = Result{Status: "crash", Out: out.String(), Err: fmt.Sprintf("Go panic: %v", p)}
		}
	}()
	L := lua.NewState(lua.Options{})
	defer L.Close()
	// print as the fork's basePrint, into the buffer
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		top := L.GetTop()
		for i := 1; i <= top; i++ {
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
			if i != top {
				out.WriteByte('\t')
			}
		}
		out.WriteByte('\n')
		return 0
	}))
	// io.write as the fork's fileWriteAux, into the buffer
	iot := L.GetGlobal("io").(*lua.LTable)
	iot.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
		top := L.GetTop()
		for i := 1; i <= top; i++ {
			L.CheckTypes(i, lua.LTNumber, lua.LTString)
			out.WriteString(lua.LVAsString(L.Get(i)))
		}
		L.Push(lua.LTrue)
		return 1
	}))
	if err := L.DoString(driverSrc); err != nil {
		return Result{Status: "crash", Err: "driver: " + err.Error()}
	}
	L.Push(L.GetGlobal("__luadiff_run"))
	L.Push(lua.LString(src))
	if err := L.PCall(1, 2, nil); err != nil {
		return Result{Status: "crash", Out: out.String(), Err: "driver: " + err.Error()}
	}
	return Result{Status: L.ToString(-2), Out: out.String(), Err: L.ToString(-1)}
}

// Result framing written by driver.lua after each program.
const (
	markStatus = "\x00\x01@luadiff-status@"
	markErr    = "\x00\x02@luadiff-error@"
	markEnd    = "\x00\x03@luadiff-end@\n"
)

// Engine runs programs on an interpreter binary (LuaJIT or Lua 5.1) in
// batches: one process runs many programs, each in a fresh environment.
type Engine struct {
	Path    string
	Timeout time.Duration // per batch
}

// Available reports whether the interpreter exists.
func (e Engine) Available() bool {
	_, err := os.Stat(e.Path)
	return err == nil
}

// RunBatch runs each program on the engine. Programs run one after
// another in one process; if the process dies or the output cannot be
// parsed, the programs are run again one process each.
func (e Engine) RunBatch(srcs []string) ([]Result, error) {
	if len(srcs) == 0 {
		return nil, nil
	}
	res, err := e.run(srcs)
	if err == nil {
		return res, nil
	}
	if len(srcs) == 1 {
		return []Result{{Status: "crash", Err: err.Error()}}, nil
	}
	res = make([]Result, len(srcs))
	for i, s := range srcs {
		r, err := e.run([]string{s})
		if err != nil {
			r = []Result{{Status: "crash", Err: err.Error()}}
		}
		res[i] = r[0]
	}
	return res, nil
}

// Run runs one program on the engine in a process of its own.
func (e Engine) Run(src string) Result {
	r, _ := e.RunBatch([]string{src})
	return r[0]
}

func (e Engine) run(srcs []string) ([]Result, error) {
	timeout := e.Timeout
	if timeout == 0 {
		timeout = 20*time.Second + time.Duration(len(srcs))*20*time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Path, "-e", driverSrc+"\n__luadiff_batch()")
	var in bytes.Buffer
	for _, s := range srcs {
		fmt.Fprintf(&in, "%d\n%s", len(s), s)
	}
	cmd.Stdin = &in
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	res, perr := parseBatch(stdout.Bytes(), len(srcs))
	if perr != nil {
		if err == nil {
			err = perr
		}
		return nil, fmt.Errorf("%s: %v: %s", e.Path, err, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

func parseBatch(b []byte, n int) ([]Result, error) {
	res := make([]Result, 0, n)
	s := string(b)
	for len(res) < n {
		i := strings.Index(s, markStatus)
		j := strings.Index(s, markErr)
		k := strings.Index(s, markEnd)
		if i < 0 || j < i || k < j {
			return nil, errors.New("truncated output")
		}
		res = append(res, Result{Out: s[:i], Status: s[i+len(markStatus) : j], Err: s[j+len(markErr) : k]})
		s = s[k+len(markEnd):]
	}
	if s != "" {
		return nil, io.ErrShortBuffer
	}
	return res, nil
}
