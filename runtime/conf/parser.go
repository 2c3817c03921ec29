package conf

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// maxIncludeDepth bounds include nesting; nginx has no bound and dies of
// "Too many open files" instead.
const maxIncludeDepth = 64

// Load parses and validates confPath (absolute) against the Default
// registry. Relative include paths resolve against confPath's directory,
// which is what nginx's conf prefix is when started with -c.
func Load(confPath string) (*Config, error) { return Default.Load(confPath) }

// LoadWithGlobals is Load with nginx's -g directives, parsed first in the
// main context as nginx does.
func LoadWithGlobals(confPath, globals string) (*Config, error) {
	return Default.LoadWithGlobals(confPath, globals)
}

// Load parses and validates confPath against r.
func (r *Registry) Load(confPath string) (*Config, error) {
	return r.LoadWithGlobals(confPath, "")
}

// LoadWithGlobals is Load with -g directives.
func (r *Registry) LoadWithGlobals(confPath, globals string) (*Config, error) {
	p := &parser{reg: r, cfg: &Config{}, seen: make(map[string]bool)}
	if i := strings.LastIndexByte(confPath, '/'); i >= 0 {
		p.prefix = confPath[:i+1]
	}
	if globals != "" {
		lx := newLexer("", []byte(globals))
		lx.param = true
		ds, err := p.parseBlock(lx, Main, false, false)
		if err != nil {
			return nil, err
		}
		p.cfg.Main = append(p.cfg.Main, ds...)
	}
	ds, err := p.parseFile(confPath, Main, false, nil)
	if err != nil {
		return nil, err
	}
	p.cfg.Main = append(p.cfg.Main, ds...)
	return p.cfg, nil
}

// Parse parses in-memory text as if it were the file named file (used for
// tests and tools; includes still resolve against file's directory).
func (r *Registry) Parse(file string, text []byte) (*Config, error) {
	p := &parser{reg: r, cfg: &Config{}, seen: map[string]bool{file: true}}
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		p.prefix = file[:i+1]
	}
	p.cfg.Files = append(p.cfg.Files, file)
	p.cfg.texts = append(p.cfg.texts, text)
	p.stack = append(p.stack, file)
	ds, err := p.parseBlock(newLexer(file, text), Main, false, false)
	if err != nil {
		return nil, err
	}
	p.cfg.Main = ds
	return p.cfg, nil
}

type parser struct {
	reg    *Registry
	prefix string // conf prefix, with trailing "/"
	cfg    *Config
	seen   map[string]bool
	stack  []string // files being parsed, for the recursion guard
}

// ErrnoText formats an OS error like ngx_log_errno: "(2: No such file or directory)".
func ErrnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		return "(" + strconv.Itoa(int(en)) + ": " + s + ")"
	}
	return "(" + err.Error() + ")"
}

// parseFile parses one file; from is the including lexer (nil for the main
// file), whose position open() errors carry.
func (p *parser) parseFile(path string, ctx Context, raw bool, from *lexer) ([]*Directive, *Error) {
	at := func(msg string) *Error {
		if from == nil {
			return &Error{Msg: msg}
		}
		return from.errorf(from.line, msg)
	}
	for _, f := range p.stack {
		if f == path {
			return nil, at(`recursive include of "` + path + `"`)
		}
	}
	if len(p.stack) >= maxIncludeDepth {
		return nil, at(`too deep include of "` + path + `"`)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, at(`open() "` + path + `" failed ` + ErrnoText(err))
	}
	// like nginx, read the size fstat() reports: devices and fifos read
	// as empty instead of blocking or never ending
	var text []byte
	fi, err := f.Stat()
	if err == nil && fi.Size() > 0 {
		text = make([]byte, fi.Size())
		_, err = io.ReadFull(f, text)
	}
	f.Close()
	if err != nil {
		// ngx_read_file logs this one without a configuration position
		return nil, &Error{Msg: `pread() "` + path + `" failed ` + ErrnoText(err)}
	}
	if !p.seen[path] {
		p.seen[path] = true
		p.cfg.Files = append(p.cfg.Files, path)
		p.cfg.texts = append(p.cfg.texts, text)
	}
	p.stack = append(p.stack, path)
	ds, perr := p.parseBlock(newLexer(path, text), ctx, raw, false)
	p.stack = p.stack[:len(p.stack)-1]
	return ds, perr
}

// include implements ngx_conf_include: a path with any of "*?[" is a glob
// (no match is fine), otherwise the file must open.
func (p *parser) include(lx *lexer, name string, ctx Context, raw bool) ([]*Directive, *Error) {
	full := name
	if !strings.HasPrefix(name, "/") {
		full = p.prefix + name
	}
	if !strings.ContainsAny(full, "*?[") {
		return p.parseFile(full, ctx, raw, lx)
	}
	matches, err := glob(full)
	if err != nil {
		return nil, lx.errorf(lx.line, `glob() "`+full+`" failed `+ErrnoText(err))
	}
	var out []*Directive
	for _, m := range matches {
		ds, perr := p.parseFile(m, ctx, raw, lx)
		if perr != nil {
			return nil, perr
		}
		out = append(out, ds...)
	}
	return out, nil
}

// glob is glob(3) with flags 0 as nginx calls it: sorted, and wildcards do
// not match a leading dot. Paths keep the pattern's spelling.
func glob(pattern string) ([]string, error) {
	dir, base := "", pattern
	if i := strings.LastIndexByte(pattern, '/'); i >= 0 {
		dir, base = pattern[:i+1], pattern[i+1:]
	}
	if _, err := filepath.Match(base, ""); err != nil {
		return nil, syscall.EINVAL
	}
	var dirs []string
	if strings.ContainsAny(dir, "*?[") {
		ms, err := filepath.Glob(strings.TrimSuffix(dir, "/"))
		if err != nil {
			return nil, syscall.EINVAL
		}
		for _, m := range ms {
			if hiddenMismatch(strings.TrimSuffix(dir, "/"), m) {
				continue
			}
			if fi, err := os.Stat(m); err == nil && fi.IsDir() {
				dirs = append(dirs, m+"/")
			}
		}
	} else {
		dirs = []string{dir}
	}
	var out []string
	for _, d := range dirs {
		rd := d
		if rd == "" {
			rd = "."
		}
		ents, err := os.ReadDir(rd)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if n[0] == '.' && !strings.HasPrefix(base, ".") {
				continue
			}
			if ok, _ := filepath.Match(base, n); ok {
				out = append(out, d+n)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// hiddenMismatch reports a match whose dot-file component was matched by a
// pattern component not starting with ".".
func hiddenMismatch(pattern, match string) bool {
	pc := strings.Split(pattern, "/")
	mc := strings.Split(filepath.ToSlash(match), "/")
	if len(pc) != len(mc) {
		return false
	}
	for i := range pc {
		if strings.HasPrefix(mc[i], ".") && !strings.HasPrefix(pc[i], ".") {
			return true
		}
	}
	return false
}

// parseBlock is ngx_conf_parse's loop for one file (isBlock false) or one
// { } block (isBlock true).
func (p *parser) parseBlock(lx *lexer, ctx Context, raw, isBlock bool) ([]*Directive, *Error) {
	var out []*Directive
	for {
		rc, err := lx.readToken()
		if err != nil {
			return nil, err
		}
		switch rc {
		case tokBlockDone:
			if !isBlock {
				return nil, lx.errorf(lx.line, `unexpected "}"`)
			}
			return out, nil
		case tokFileDone:
			if isBlock {
				return nil, lx.errorf(lx.line, `unexpected end of file, expecting "}"`)
			}
			return out, nil
		case tokBlockStart:
			if lx.param {
				return nil, lx.errorf(lx.line, "block directives are not supported in -g option")
			}
		}

		name := lx.words[0]
		if raw {
			// nginx's types/map handlers: no blocks, "include" honoured
			if rc == tokBlockStart {
				return nil, lx.errorf(lx.line, `unexpected "{"`)
			}
			if name == "include" {
				if len(lx.words) != 2 {
					return nil, lx.errorf(lx.line, `invalid number of arguments in "include" directive`)
				}
				ds, err := p.include(lx, lx.words[1], ctx, raw)
				if err != nil {
					return nil, err
				}
				out = append(out, ds...)
				continue
			}
			out = append(out, p.newDirective(lx))
			continue
		}

		if name == "include" {
			if rc != tokOK {
				return nil, lx.errorf(lx.line, `directive "include" is not terminated by ";"`)
			}
			if len(lx.words) != 2 {
				return nil, lx.errorf(lx.line, `invalid number of arguments in "include" directive`)
			}
			ds, err := p.include(lx, lx.words[1], ctx, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
			continue
		}

		d, err := p.directive(lx, ctx, rc)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
}

func (p *parser) newDirective(lx *lexer) *Directive {
	n := len(lx.words) - 1
	d := &Directive{Name: lx.words[0], File: lx.file, Line: lx.line}
	if lx.param {
		d.Line = 0
	}
	if n > 0 {
		d.Args = make([]string, n, n+1)
		copy(d.Args, lx.words[1:])
		d.Quoted = make([]bool, n, n+1)
		copy(d.Quoted, lx.quoted[1:])
	}
	return d
}

// directive is ngx_conf_handler: look the name up, check the context, the
// terminator and the argument count, then read the block if any.
func (p *parser) directive(lx *lexer, ctx Context, rc tokResult) (*Directive, *Error) {
	name := lx.words[0]
	specs := p.reg.Lookup(name)
	if len(specs) == 0 {
		return nil, lx.errorf(lx.line, `unknown directive "`+name+`"`)
	}
	var sp *Spec
	for i := range specs {
		if specs[i].Ctx&ctx != 0 {
			sp = &specs[i]
			break
		}
	}
	if sp == nil {
		return nil, lx.errorf(lx.line, `"`+name+`" directive is not allowed here`)
	}
	if !sp.Block && rc != tokOK {
		return nil, lx.errorf(lx.line, `directive "`+name+`" is not terminated by ";"`)
	}
	if sp.Block && rc != tokBlockStart {
		return nil, lx.errorf(lx.line, `directive "`+name+`" has no opening "{"`)
	}
	nargs := len(lx.words) - 1
	if !sp.Args.argsOK(nargs) {
		return nil, lx.errorf(lx.line, `invalid number of arguments in "`+name+`" directive`)
	}
	if sp.Args&Flag != 0 && sp.Args&AnyArgs == 0 {
		v := lx.words[1]
		if !strings.EqualFold(v, "on") && !strings.EqualFold(v, "off") {
			return nil, lx.errorf(lx.line, `invalid value "`+v+`" in "`+name+`" directive, it must be "on" or "off"`)
		}
	}

	d := p.newDirective(lx)
	if !sp.Block {
		return d, nil
	}
	d.IsBlock = true
	if strings.HasSuffix(name, "_by_lua_block") {
		d.LuaLine = lx.line
		code, err := lx.readLuaBlock()
		if err != nil {
			return nil, err
		}
		d.Args = append(d.Args, code)
		d.Quoted = append(d.Quoted, false)
		return d, nil
	}
	children, err := p.parseBlock(lx, sp.Child&^Raw, sp.Child&Raw != 0, true)
	if err != nil {
		return nil, err
	}
	if children == nil {
		children = []*Directive{}
	}
	d.Block = children
	return d, nil
}
