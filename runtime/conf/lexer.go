package conf

import (
	"bytes"
	"strings"
)

// confBuffer is NGX_CONF_BUFFER: nginx reads the file through a buffer of
// this size, so no single token (or comment) may reach it.
const confBuffer = 4096

type tokResult int

const (
	tokOK         tokResult = iota // words terminated by ";"
	tokBlockStart                  // words terminated by "{"
	tokBlockDone                   // "}"
	tokFileDone                    // end of input
)

// lexer is a transliteration of ngx_conf_read_token over an in-memory file.
type lexer struct {
	data  []byte
	pos   int
	line  int
	file  string // absolute path; "" for -g parameters
	param bool   // -g parameters: different EOF wording, no blocks

	words  []string
	quoted []bool
	sb     strings.Builder
}

func newLexer(file string, data []byte) *lexer {
	return &lexer{data: data, line: 1, file: file}
}

func (lx *lexer) errorf(line int, msg string) *Error {
	if lx.param {
		return &Error{Msg: msg, CommandLine: true}
	}
	return &Error{Msg: msg, File: lx.file, Line: line}
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' }

// readToken reads one directive's words into lx.words/lx.quoted.
func (lx *lexer) readToken() (tokResult, *Error) {
	var (
		needSpace, sharpComment, variable, quoted, sQuoted, dQuoted bool
		lastSpace                                                   = true
		wordQuoted                                                  bool
	)
	lx.words = lx.words[:0]
	lx.quoted = lx.quoted[:0]
	data := lx.data
	start := lx.pos
	startLine := lx.line

	for {
		if lx.pos >= len(data) {
			if len(lx.words) > 0 || !lastSpace {
				if lx.param {
					return 0, lx.errorf(lx.line, `unexpected end of parameter, expecting ";"`)
				}
				return 0, lx.errorf(lx.line, `unexpected end of file, expecting ";" or "}"`)
			}
			return tokFileDone, nil
		}

		// nginx refills its 4096-byte buffer keeping the current token;
		// a token that fills it whole is rejected.
		if lx.pos-start >= confBuffer && !lx.param {
			switch {
			case dQuoted:
				return 0, lx.errorf(startLine, `too long parameter, probably missing terminating """ character`)
			case sQuoted:
				return 0, lx.errorf(startLine, `too long parameter, probably missing terminating "'" character`)
			default:
				return 0, lx.errorf(startLine, `too long parameter "`+string(data[start:start+10])+`..." started`)
			}
		}

		ch := data[lx.pos]
		lx.pos++

		if ch == '\n' {
			lx.line++
			sharpComment = false
		}
		if sharpComment {
			continue
		}
		if quoted {
			quoted = false
			continue
		}

		if needSpace {
			if isSpace(ch) {
				lastSpace = true
				needSpace = false
				continue
			}
			if ch == ';' {
				return tokOK, nil
			}
			if ch == '{' {
				return tokBlockStart, nil
			}
			if ch == ')' {
				// after a closing quote, ")" starts a new word (so the
				// `if ($x = 'a')` condition ends with a ")" word)
				lastSpace = true
				needSpace = false
			} else {
				return 0, lx.errorf(lx.line, `unexpected "`+string(ch)+`"`)
			}
		}

		if lastSpace {
			start = lx.pos - 1
			startLine = lx.line
			if isSpace(ch) {
				continue
			}
			wordQuoted = false
			switch ch {
			case ';', '{':
				if len(lx.words) == 0 {
					return 0, lx.errorf(lx.line, `unexpected "`+string(ch)+`"`)
				}
				if ch == '{' {
					return tokBlockStart, nil
				}
				return tokOK, nil
			case '}':
				if len(lx.words) != 0 {
					return 0, lx.errorf(lx.line, `unexpected "}"`)
				}
				return tokBlockDone, nil
			case '#':
				sharpComment = true
				continue
			case '\\':
				quoted = true
				lastSpace = false
				continue
			case '"':
				start++
				dQuoted = true
				wordQuoted = true
				lastSpace = false
				continue
			case '\'':
				start++
				sQuoted = true
				wordQuoted = true
				lastSpace = false
				continue
			case '$':
				variable = true
				lastSpace = false
				continue
			default:
				lastSpace = false
			}
		} else {
			if ch == '{' && variable {
				continue
			}
			variable = false
			if ch == '\\' {
				quoted = true
				continue
			}
			if ch == '$' {
				variable = true
				continue
			}

			found := false
			if dQuoted {
				if ch == '"' {
					dQuoted = false
					needSpace = true
					found = true
				}
			} else if sQuoted {
				if ch == '\'' {
					sQuoted = false
					needSpace = true
					found = true
				}
			} else if isSpace(ch) || ch == ';' || ch == '{' {
				lastSpace = true
				found = true
			}

			if found {
				lx.words = append(lx.words, lx.unescape(data[start:lx.pos-1]))
				lx.quoted = append(lx.quoted, wordQuoted)
				if ch == ';' {
					return tokOK, nil
				}
				if ch == '{' {
					return tokBlockStart, nil
				}
			}
		}
	}
}

// unescape resolves \" \' \\ \t \r \n as nginx does; any other backslash
// is kept.
func (lx *lexer) unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	sb := &lx.sb
	sb.Reset()
	sb.Grow(len(b))
	for i := 0; i < len(b); {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				sb.WriteByte('\t')
				i += 2
				continue
			case 'r':
				sb.WriteByte('\r')
				i += 2
				continue
			case 'n':
				sb.WriteByte('\n')
				i += 2
				continue
			}
		}
		sb.WriteByte(b[i])
		i++
	}
	return sb.String()
}

// readLuaBlock reads a *_by_lua_block body after its "{" the way
// lua-nginx-module's ngx_http_lua_conf_lua_block_parse does: it looks for
// the leftmost of "{", "}", a long bracket [=*[ (string) or --[=*[
// (comment), a line comment, or a one-line quoted string, balancing the
// curly braces outside strings and comments. It returns the source between
// the braces.
func (lx *lexer) readLuaBlock() (string, *Error) {
	data := lx.data
	begin := lx.pos
	lastCurlyLine := lx.line // ctx.start_line: moves to each "{" seen
	level := 1
	i := lx.pos
	for i < len(data) {
		ch := data[i]
		switch ch {
		case '\n':
			lx.line++
			i++
		case '{':
			level++
			i++
			lastCurlyLine = lx.line
		case '}':
			level--
			i++
			if level == 0 {
				lx.pos = i
				return string(data[begin : i-1]), nil
			}
		case '[':
			if n, ok := longBracket(data, i); ok {
				j, err := lx.skipLongBracket(i, i, n)
				if err != nil {
					return "", err
				}
				i = j
			} else {
				i++
			}
		case '-':
			if i+1 < len(data) && data[i+1] == '-' {
				if n, ok := longBracket(data, i+2); ok {
					j, err := lx.skipLongBracket(i, i+2, n)
					if err != nil {
						return "", err
					}
					i = j
					continue
				}
				j := bytes.IndexByte(data[i:], '\n')
				if j < 0 {
					i = len(data)
				} else {
					i += j // the newline is counted by the main loop
				}
			} else {
				i++
			}
		case '"', '\'':
			// "(?:\\[^\n]|[^"\n\\])*" — no match means the quote is
			// an ordinary character and the scan goes on after it.
			j := i + 1
			matched := false
			for j < len(data) {
				c := data[j]
				if c == '\\' {
					if j+1 < len(data) && data[j+1] != '\n' {
						j += 2
						continue
					}
					break
				}
				if c == '\n' {
					break
				}
				if c == ch {
					matched = true
					break
				}
				j++
			}
			if matched {
				i = j + 1
			} else {
				i++
			}
		default:
			i++
		}
	}
	lx.pos = len(data)
	return "", lx.errorf(lastCurlyLine, "unexpected end of file, expecting terminating characters for lua code block")
}

// longBracket reports whether data[i:] starts with [=*[ and its level.
func longBracket(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(data) && data[j] == '=' {
		j++
	}
	if j < len(data) && data[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLongBracket skips a long string or comment starting at tokStart whose
// opening bracket is at open, with n "=" signs; it returns the index after
// the closing bracket and counts the lines.
func (lx *lexer) skipLongBracket(tokStart, open, n int) (int, *Error) {
	data := lx.data
	bodyStart := open + n + 2
	closing := "]" + strings.Repeat("=", n) + "]"
	k := bytes.Index(data[bodyStart:], []byte(closing))
	if k < 0 {
		// lx.line is already the line of the opening bracket
		return 0, lx.errorf(lx.line, `Lua code block missing the closing long bracket "`+closing+`", the inlined Lua code may be too long`)
	}
	end := bodyStart + k + len(closing)
	lx.line += bytes.Count(data[tokStart:end], []byte{'\n'})
	return end, nil
}
