package lua

import (
	"strconv"
	"strings"
)

// goresty: the traceback lua-nginx-module logs for an aborted entry or
// user thread (ngx_http_lua_thread_traceback): "coroutine N:" sections
// for the failing coroutine and the coroutines that resumed it (at most
// 5), at most 22 frames each, then "...". It differs from
// debug.traceback's shape, which stackTrace keeps.

const (
	threadTraceDepth = 22
	threadTraceCoros = 5
)

// ThreadTraceback is lua-nginx-module's thread traceback of a failed call
// run through PCallThread ("" for other calls).
func (e *ApiError) ThreadTraceback() string { return e.threadTrace }

// PCallThread is PCall for a thread's entry function: an error it
// returns carries the thread traceback as lua-nginx-module writes it
// (ThreadTraceback). Nested pcalls do not compute it.
//
// A Go function called by the entry function's own VM loop may end the
// call with Exit without a panic: PCallThread then returns ErrExited and
// TakeExit gives the value.
func (ls *LState) PCallThread(nargs, nret int) error {
	ls.traceThread = true
	depth := ls.exitDepth
	ls.exitDepth = ls.goCalls + 1 // inside the callR that PCall runs
	err := ls.PCall(nargs, nret, nil)
	ls.exitDepth = depth
	return err
}

// threadTraceback formats the frames of ls and of the coroutines that
// resumed it.
func (ls *LState) threadTraceback() string {
	var b strings.Builder
	b.WriteString("stack traceback:")
	for co, id := ls, 0; co != nil && id < threadTraceCoros; co, id = co.Parent, id+1 {
		if co.currentFrame == nil {
			break
		}
		b.WriteString("\ncoroutine ")
		b.WriteString(strconv.Itoa(id))
		b.WriteByte(':')
		level := 0
		for cf := co.currentFrame; cf != nil; cf = cf.Parent {
			level++
			if level > threadTraceDepth {
				b.WriteString("\n\t...")
				break
			}
			b.WriteString("\n\t")
			co.writeTraceFrame(&b, cf)
		}
	}
	return b.String()
}

func (ls *LState) writeTraceFrame(b *strings.Builder, cf *callFrame) {
	if cf.Fn.IsG {
		b.WriteString("[C]:")
	} else {
		p := cf.Fn.Proto
		b.WriteString(p.SourceName)
		b.WriteByte(':')
		if cf.Pc > 0 && cf.Pc <= len(p.DbgSourcePositions) {
			b.WriteString(strconv.Itoa(p.DbgSourcePositions[cf.Pc-1]))
			b.WriteByte(':')
		}
	}
	if cf.Parent == nil {
		switch {
		case cf.Fn.IsG:
			b.WriteString(" ?")
		case cf.Fn.Proto.LineDefined == 0:
			b.WriteString(" in main chunk")
		default:
			b.WriteString(" in function <" + cf.Fn.Proto.SourceName + ":" + strconv.Itoa(cf.Fn.Proto.LineDefined) + ">")
		}
		return
	}
	name, _ := ls.frameFuncName(cf)
	switch {
	case name != "" && name[0] != '<' && name[0] != '(' && name != "?":
		b.WriteString(" in function '" + name + "'")
	case cf.Fn.IsG:
		b.WriteString(" ?")
	default:
		b.WriteString(" in function <" + cf.Fn.Proto.SourceName + ":" + strconv.Itoa(cf.Fn.Proto.LineDefined) + ">")
	}
}

// CallerWhere is luaL_where(L, 1) as LuaJIT computes it for a Go function
// raising an error: "chunk:line: " of the Lua function that called it,
// "" when Go code called it or a tail call did (LuaJIT's frame of the
// caller is gone then).
func (ls *LState) CallerWhere() string {
	cf := ls.currentFrame
	if cf == nil || !cf.Fn.IsG {
		return ""
	}
	p := cf.Parent
	if p == nil || p.Fn.IsG || p.Pc < 1 || p.Pc > len(p.Fn.Proto.Code) {
		return ""
	}
	if int(p.Fn.Proto.Code[p.Pc-1]>>26) == OP_TAILCALL {
		return ""
	}
	return p.Fn.Proto.SourceName + ":" + strconv.Itoa(p.Fn.Proto.DbgSourcePositions[p.Pc-1]) + ": "
}
