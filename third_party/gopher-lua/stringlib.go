package lua

import (
	"strings"
)

const emptyLString LString = LString("")

func OpenString(L *LState) int {
	var mod *LTable
	//_, ok := L.G.builtinMts[int(LTString)]
	//if !ok {
	mod = L.RegisterModule(StringLibName, strFuncs).(*LTable)
	gmatch := L.NewFunction(strGmatchLJ) // goresty: Lua 5.1 matcher
	mod.RawSetString("gmatch", gmatch)
	mod.RawSetString("gfind", gmatch)
	mod.RawSetString("__index", mod)
	L.G.builtinMts[int(LTString)] = mod
	//}
	L.Push(mod)
	return 1
}

var strFuncs = map[string]LGFunction{
	"byte":    strByte,
	"char":    strChar,
	"dump":    strDump,
	"find":    strFindLJ,   // goresty: Lua 5.1 matcher (goresty_strlib.go)
	"format":  strFormatLJ, // goresty: LuaJIT's (goresty_format.go)
	"gsub":    strGsubLJ,
	"len":     strLen,
	"lower":   strLower,
	"match":   strMatchLJ,
	"rep":     strRep,
	"reverse": strReverse,
	"sub":     strSub,
	"upper":   strUpper,
}

func strByte(L *LState) int {
	// goresty: LuaJIT's string.byte: j defaults to i, negative positions
	// count from the end, the range is clamped to the string
	str := L.CheckString(1)
	l := len(str)
	start := L.OptInt(2, 1)
	end := L.OptInt(3, start)
	if end < 0 {
		end += l + 1
	}
	if start < 0 {
		start += l + 1
	}
	if start <= 0 {
		start = 1
	}
	if end > l {
		end = l
	}
	if start > end {
		return 0
	}
	for i := start; i <= end; i++ {
		L.PushNumber(LNumber(str[i-1]))
	}
	return end - start + 1
}

func strChar(L *LState) int {
	top := L.GetTop()
	bytes := make([]byte, L.GetTop())
	for i := 1; i <= top; i++ {
		c := L.CheckInt(i)
		if c < 0 || c > 255 { // goresty: LuaJIT rejects values outside a byte
			L.ArgError(i, "invalid value")
		}
		bytes[i-1] = uint8(c)
	}
	L.PushString(string(bytes))
	return 1
}

func strDump(L *LState) int {
	L.RaiseError("GopherLua does not support the string.dump")
	return 0
}

func strLen(L *LState) int {
	str := L.CheckString(1)
	L.PushNumber(LNumber(len(str)))
	return 1
}

func strLower(L *LState) int {
	str := L.CheckString(1)
	L.PushString(strings.ToLower(str))
	return 1
}

func strRep(L *LState) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	sep := L.OptString(3, "") // goresty: LuaJIT 2.1's separator
	if n <= 0 {
		L.Push(emptyLString)
	} else if total := int64(len(str))*int64(n) + int64(len(sep))*int64(n-1); total > 1<<31-1 || total < 0 {
		// goresty: LuaJIT's strings stop at 2 GiB; do not try to allocate more
		L.RaiseError("not enough memory")
	} else if sep == "" {
		L.PushString(strings.Repeat(str, n))
	} else {
		var b strings.Builder
		b.Grow(int(total))
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(str)
		}
		L.PushString(b.String())
	}
	return 1
}

func strReverse(L *LState) int {
	str := L.CheckString(1)
	bts := []byte(str)
	out := make([]byte, len(bts))
	for i, j := 0, len(bts)-1; j >= 0; i, j = i+1, j-1 {
		out[i] = bts[j]
	}
	L.PushString(string(out))
	return 1
}

func strSub(L *LState) int {
	str := L.CheckString(1)
	start := luaIndex2StringIndex(str, L.CheckInt(2), true)
	end := luaIndex2StringIndex(str, L.OptInt(3, -1), false)
	l := len(str)
	if start >= l || end < start {
		L.Push(emptyLString)
	} else {
		L.PushString(str[start:end])
	}
	return 1
}

func strUpper(L *LState) int {
	str := L.CheckString(1)
	L.PushString(strings.ToUpper(str))
	return 1
}

func luaIndex2StringIndex(str string, i int, start bool) int {
	if start && i != 0 {
		i -= 1
	}
	l := len(str)
	if i < 0 {
		i = l + i + 1
	}
	i = intMax(0, i)
	if !start && i > l {
		i = l
	}
	return i
}

//
