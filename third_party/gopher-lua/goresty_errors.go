package lua

import "fmt"

// goresty: runtime type errors worded as LuaJIT words them, naming the
// variable when the bytecode tells it:
//   attempt to call global 'f' (a nil value)
//   attempt to index field 'x' (a nil value)
//   attempt to perform arithmetic on a string value

// opError raises the error for operation op ("call", "index", "perform
// arithmetic on", "concatenate", "get length of") applied to bad.
func (ls *LState) opError(op string, bad LValue) {
	ls.RaiseError("%s", ls.opErrorMsg(op, bad))
}

func (ls *LState) opErrorMsg(op string, bad LValue) string {
	tname := bad.Type().String()
	if kind, name := ls.badOperandName(bad); kind != "" {
		return fmt.Sprintf("attempt to %s %s '%s' (a %s value)", op, kind, name, tname)
	}
	return fmt.Sprintf("attempt to %s a %s value", op, tname)
}

// compareErrorMsg is LuaJIT's message for an invalid comparison.
func compareErrorMsg(lhs, rhs LValue) string {
	t1, t2 := lhs.Type().String(), rhs.Type().String()
	if t1 == t2 {
		return "attempt to compare two " + t1 + " values"
	}
	return "attempt to compare " + t1 + " with " + t2
}

// badOperandName finds which register operand of the faulting
// instruction holds bad and names the variable it came from.
func (ls *LState) badOperandName(bad LValue) (string, string) {
	cf := ls.currentFrame
	if cf == nil || cf.Fn == nil || cf.Fn.IsG || cf.Pc < 1 || cf.Pc > len(cf.Fn.Proto.Code) {
		return "", ""
	}
	pc := cf.Pc - 1
	inst := cf.Fn.Proto.Code[pc]
	A, B, C := opGetArgA(inst), opGetArgB(inst), opGetArgC(inst)
	var cands [2]int
	n := 0
	switch opGetOpCode(inst) {
	case OP_CALL, OP_TAILCALL, OP_SETTABLE, OP_SETTABLEKS:
		cands[0], n = A, 1
	case OP_GETTABLE, OP_GETTABLEKS, OP_SELF, OP_LEN, OP_UNM:
		cands[0], n = B, 1
	case OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW:
		if !opIsK(B) {
			cands[n] = B
			n++
		}
		if !opIsK(C) {
			cands[n] = C
			n++
		}
	case OP_CONCAT:
		for r := B; r <= C; r++ {
			if ls.reg.Get(cf.LocalBase+r) == bad {
				return getObjName(cf.Fn, pc, r)
			}
		}
		return "", ""
	default:
		return "", ""
	}
	for i := 0; i < n; i++ {
		if ls.reg.Get(cf.LocalBase+cands[i]) == bad {
			return getObjName(cf.Fn, pc, cands[i])
		}
	}
	return "", ""
}

// getObjName says where register reg got its value at pc: a local, a
// global, a field, a method or an upvalue (Lua 5.1's getobjname, without
// full symbolic execution: the last instruction writing reg wins).
func getObjName(fn *LFunction, pc, reg int) (string, string) {
	if name, ok := localNameAt(fn.Proto, reg, pc); ok {
		return "local", name
	}
	p := fn.Proto
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		op := opGetOpCode(inst)
		A, B, C := opGetArgA(inst), opGetArgB(inst), opGetArgC(inst)
		switch op {
		case OP_SETTABLE, OP_SETTABLEKS, OP_SETGLOBAL, OP_SETUPVAL, OP_JMP, OP_EQ, OP_LT, OP_LE,
			OP_TEST, OP_RETURN, OP_FORLOOP, OP_FORPREP, OP_SETLIST, OP_CLOSE, OP_NOP:
			continue
		case OP_LOADNIL:
			if reg >= A && reg <= B {
				return "", ""
			}
			continue
		case OP_CALL, OP_TAILCALL, OP_TFORLOOP, OP_VARARG:
			if reg >= A {
				return "", ""
			}
			continue
		case OP_SELF:
			if reg == A {
				return constName(p, C, "method")
			}
			if reg == A+1 {
				return "", ""
			}
			continue
		}
		if A != reg {
			continue
		}
		switch op {
		case OP_GETGLOBAL:
			if k := opGetArgBx(inst); k < len(p.Constants) {
				if s, ok := p.Constants[k].(LString); ok {
					return "global", string(s)
				}
			}
		case OP_MOVE:
			if B < A {
				return getObjName(fn, i, B)
			}
		case OP_GETTABLE, OP_GETTABLEKS:
			return constName(p, C, "field")
		case OP_GETUPVAL:
			if B < len(p.DbgUpvalues) {
				return "upvalue", p.DbgUpvalues[B]
			}
		}
		return "", ""
	}
	return "", ""
}

// localNameAt names register reg if a local lives there at pc.
func localNameAt(p *FunctionProto, reg, pc int) (string, bool) {
	n := reg + 1
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			n--
			if n == 0 {
				return l.Name, true
			}
		}
	}
	return "", false
}

func constName(p *FunctionProto, rk int, kind string) (string, string) {
	if opIsK(rk) {
		if k := opIndexK(rk); k < len(p.Constants) {
			if s, ok := p.Constants[k].(LString); ok {
				return kind, string(s)
			}
		}
	}
	return "", ""
}
