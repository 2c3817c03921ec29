package lua

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/luajit holds Lua programs with the output OpenResty's LuaJIT 2.1
// prints for them: for each NAME.lua, NAME.out was written by
//
//	luajit NAME.lua > NAME.out
//
// Each program runs here with `print` collecting into a buffer, and the
// output must be the same byte for byte.

func runLuaCapture(t *testing.T, L *LState, file string) string {
	t.Helper()
	var out strings.Builder
	L.SetGlobal("print", L.NewFunction(func(L *LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				out.WriteByte('\t')
			}
			out.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		out.WriteByte('\n')
		return 0
	}))
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// named as luajit names a file run from its directory
	fn, err := L.Load(bytes.NewReader(src), filepath.Base(file))
	if err == nil {
		L.Push(fn)
		err = L.PCall(0, MultRet, nil)
	}
	if err != nil {
		out.WriteString("ERROR: " + err.Error() + "\n")
	}
	return out.String()
}

func TestLuaJITOutputs(t *testing.T) {
	files, err := filepath.Glob("testdata/luajit/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no programs in testdata/luajit: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".lua")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(file, ".lua") + ".out")
			if err != nil {
				t.Fatal(err)
			}
			L := NewState()
			defer L.Close()
			got := runLuaCapture(t, L, file)
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Errorf("line %d:\n got: %q\nwant: %q", i+1, g, w)
					}
				}
			}
		})
	}
}
