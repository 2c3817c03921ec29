package lua

import (
	"math"
	"math/rand"
)

func OpenMath(L *LState) int {
	mod := L.RegisterModule(MathLibName, mathFuncs).(*LTable)
	mod.RawSetString("pi", LNumber(math.Pi))
	mod.RawSetString("huge", LNumber(math.Inf(1))) // goresty: +Inf as in Lua
	L.Push(mod)
	return 1
}

var mathFuncs = map[string]LGFunction{
	"abs":        mathAbs,
	"acos":       mathAcos,
	"asin":       mathAsin,
	"atan":       mathAtan,
	"atan2":      mathAtan2,
	"ceil":       mathCeil,
	"cos":        mathCos,
	"cosh":       mathCosh,
	"deg":        mathDeg,
	"exp":        mathExp,
	"floor":      mathFloor,
	"fmod":       mathFmod,
	"frexp":      mathFrexp,
	"ldexp":      mathLdexp,
	"log":        mathLog,
	"log10":      mathLog10,
	"max":        mathMax,
	"min":        mathMin,
	"mod":        mathMod,
	"modf":       mathModf,
	"pow":        mathPow,
	"rad":        mathRad,
	"random":     mathRandom,
	"randomseed": mathRandomseed,
	"sin":        mathSin,
	"sinh":       mathSinh,
	"sqrt":       mathSqrt,
	"tan":        mathTan,
	"tanh":       mathTanh,
}

func mathAbs(L *LState) int {
	L.PushNumber(LNumber(math.Abs(float64(L.CheckNumber(1)))))
	return 1
}

func mathAcos(L *LState) int {
	L.PushNumber(LNumber(math.Acos(float64(L.CheckNumber(1)))))
	return 1
}

func mathAsin(L *LState) int {
	L.PushNumber(LNumber(math.Asin(float64(L.CheckNumber(1)))))
	return 1
}

func mathAtan(L *LState) int {
	L.PushNumber(LNumber(math.Atan(float64(L.CheckNumber(1)))))
	return 1
}

func mathAtan2(L *LState) int {
	L.PushNumber(LNumber(math.Atan2(float64(L.CheckNumber(1)), float64(L.CheckNumber(2)))))
	return 1
}

func mathCeil(L *LState) int {
	L.PushNumber(LNumber(math.Ceil(float64(L.CheckNumber(1)))))
	return 1
}

func mathCos(L *LState) int {
	L.PushNumber(LNumber(math.Cos(float64(L.CheckNumber(1)))))
	return 1
}

func mathCosh(L *LState) int {
	L.PushNumber(LNumber(math.Cosh(float64(L.CheckNumber(1)))))
	return 1
}

func mathDeg(L *LState) int {
	L.PushNumber(LNumber(float64(L.CheckNumber(1)) * 180 / math.Pi))
	return 1
}

func mathExp(L *LState) int {
	L.PushNumber(LNumber(math.Exp(float64(L.CheckNumber(1)))))
	return 1
}

func mathFloor(L *LState) int {
	L.PushNumber(LNumber(math.Floor(float64(L.CheckNumber(1)))))
	return 1
}

func mathFmod(L *LState) int {
	L.PushNumber(LNumber(math.Mod(float64(L.CheckNumber(1)), float64(L.CheckNumber(2)))))
	return 1
}

func mathFrexp(L *LState) int {
	v1, v2 := math.Frexp(float64(L.CheckNumber(1)))
	L.PushNumber(LNumber(v1))
	L.PushNumber(LNumber(v2))
	return 2
}

func mathLdexp(L *LState) int {
	L.PushNumber(LNumber(math.Ldexp(float64(L.CheckNumber(1)), L.CheckInt(2))))
	return 1
}

func mathLog(L *LState) int {
	x := float64(L.CheckNumber(1))
	// goresty: optional base, as LuaJIT 2.1
	if L.GetTop() >= 2 {
		switch b := float64(L.CheckNumber(2)); b {
		case 2:
			L.PushNumber(LNumber(math.Log2(x)))
		case 10:
			L.PushNumber(LNumber(math.Log10(x)))
		default:
			L.PushNumber(LNumber(math.Log(x) / math.Log(b)))
		}
		return 1
	}
	L.PushNumber(LNumber(math.Log(x)))
	return 1
}

func mathLog10(L *LState) int {
	L.PushNumber(LNumber(math.Log10(float64(L.CheckNumber(1)))))
	return 1
}

func mathMax(L *LState) int {
	max := L.CheckNumber(1)
	top := L.GetTop()
	for i := 2; i <= top; i++ {
		v := L.CheckNumber(i)
		if !(max > v) { // goresty: LuaJIT's maxsd: NaN and -0/0 ties take the later argument
			max = v
		}
	}
	L.Push(max)
	return 1
}

func mathMin(L *LState) int {
	min := L.CheckNumber(1)
	top := L.GetTop()
	for i := 2; i <= top; i++ {
		v := L.CheckNumber(i)
		if !(min < v) { // goresty: LuaJIT's minsd: NaN and -0/0 ties take the later argument
			min = v
		}
	}
	L.Push(min)
	return 1
}

func mathMod(L *LState) int {
	lhs := L.CheckNumber(1)
	rhs := L.CheckNumber(2)
	L.Push(luaModulo(lhs, rhs))
	return 1
}

func mathModf(L *LState) int {
	x := float64(L.CheckNumber(1))
	if math.IsInf(x, 0) { // goresty: LuaJIT gives (±inf, ±0), Go a NaN fraction
		L.PushNumber(LNumber(x))
		L.PushNumber(LNumber(math.Copysign(0, x)))
		return 2
	}
	v1, v2 := math.Modf(x)
	L.PushNumber(LNumber(v1))
	L.PushNumber(LNumber(v2))
	return 2
}

func mathPow(L *LState) int {
	L.PushNumber(LNumber(math.Pow(float64(L.CheckNumber(1)), float64(L.CheckNumber(2)))))
	return 1
}

func mathRad(L *LState) int {
	L.PushNumber(LNumber(float64(L.CheckNumber(1)) * math.Pi / 180))
	return 1
}

func mathRandom(L *LState) int {
	// goresty: LuaJIT's arithmetic, without range checks (random(2, 1)
	// is 2, random(0) is 1) and without panics.
	d := rand.Float64()
	switch L.GetTop() {
	case 0:
		L.PushNumber(LNumber(d))
	case 1:
		m := float64(L.CheckNumber(1))
		L.PushNumber(LNumber(math.Floor(d*m) + 1))
	default:
		m, n := float64(L.CheckNumber(1)), float64(L.CheckNumber(2))
		L.PushNumber(LNumber(math.Floor(d*(n-m+1)) + m))
	}
	return 1
}

func mathRandomseed(L *LState) int {
	rand.Seed(L.CheckInt64(1))
	return 0
}

func mathSin(L *LState) int {
	L.PushNumber(LNumber(math.Sin(float64(L.CheckNumber(1)))))
	return 1
}

func mathSinh(L *LState) int {
	L.PushNumber(LNumber(math.Sinh(float64(L.CheckNumber(1)))))
	return 1
}

func mathSqrt(L *LState) int {
	L.PushNumber(LNumber(math.Sqrt(float64(L.CheckNumber(1)))))
	return 1
}

func mathTan(L *LState) int {
	L.PushNumber(LNumber(math.Tan(float64(L.CheckNumber(1)))))
	return 1
}

func mathTanh(L *LState) int {
	L.PushNumber(LNumber(math.Tanh(float64(L.CheckNumber(1)))))
	return 1
}

//
