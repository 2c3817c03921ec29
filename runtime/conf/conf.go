// Package conf reads nginx.conf the way nginx does (ngx_conf_file.c):
// the same lexical grammar, include expansion, directive table validation
// and error wording, plus lua-nginx-module's *_by_lua_block reader.
package conf

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Directive is one parsed directive (or one free-form entry of a types{} /
// map{} block, whose Name is then the entry's first word).
type Directive struct {
	Name    string
	Args    []string     // unquoted, escapes resolved, variables left raw
	Quoted  []bool       // per arg: was it quoted in the source
	Block   []*Directive // children; nil for a simple directive
	IsBlock bool
	File    string // absolute path of the file it came from ("" for -g)
	// Line is where nginx reports the directive: the line of its
	// terminating ";" or "{" (ngx_conf_log_error uses the current line).
	Line int
	// LuaLine, for *_by_lua_block, is the line of the opening "{", the
	// line lua-nginx-module puts in the chunk name (=content_by_lua(nginx.conf:LuaLine)).
	LuaLine int
}

// Pos returns "File:Line" (or "command line" for -g directives).
func (d *Directive) Pos() string {
	if d.File == "" {
		return "command line"
	}
	return d.File + ":" + strconv.Itoa(d.Line)
}

// Arg returns argument i or "" when absent.
func (d *Directive) Arg(i int) string {
	if i < len(d.Args) {
		return d.Args[i]
	}
	return ""
}

// Flag reports an on/off argument's value (validated at parse time for
// Flag specs; nginx compares case-insensitively).
func (d *Directive) Flag() bool {
	return len(d.Args) > 0 && strings.EqualFold(d.Args[0], "on")
}

// Error is a configuration error positioned like nginx's
// ngx_conf_log_error: "MSG in FILE:LINE".
type Error struct {
	Msg  string
	File string
	Line int
	// CommandLine marks errors in -g directives ("MSG in command line").
	CommandLine bool
}

func (e *Error) Error() string {
	if e.CommandLine {
		return e.Msg + " in command line"
	}
	if e.File == "" {
		return e.Msg
	}
	return e.Msg + " in " + e.File + ":" + strconv.Itoa(e.Line)
}

// Errorf returns an *Error at d's position, for semantic checks done by
// the runtime (e.g. `invalid port in "x" of the "listen" directive`).
func Errorf(d *Directive, format string, args ...any) error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if d != nil {
		e.File, e.Line, e.CommandLine = d.File, d.Line, d.File == "" && d.Line == 0
	}
	return e
}

// Config is a parsed configuration.
type Config struct {
	Main  []*Directive
	Files []string // every file read, main first, in reading order, each once (nginx's config_dump list)
	texts [][]byte // contents, parallel to Files
}

// Dump writes what `nginx -T` prints after the syntax check.
func (c *Config) Dump(w io.Writer) error {
	for i, f := range c.Files {
		if _, err := io.WriteString(w, "# configuration file "+f+":\n"); err != nil {
			return err
		}
		if _, err := w.Write(c.texts[i]); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	return nil
}

// Walk calls fn for every directive depth-first, parents before children;
// returning false skips a directive's children.
func Walk(ds []*Directive, fn func(d *Directive) bool) {
	for _, d := range ds {
		if fn(d) && d.Block != nil {
			Walk(d.Block, fn)
		}
	}
}

// Find returns the directives named name among ds (not recursing).
func Find(ds []*Directive, name string) []*Directive {
	var out []*Directive
	for _, d := range ds {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}
