package lua

import (
	"strconv"
	"testing"
)

// goresty: benchmarks of the Lua shapes an OpenResty-style request hook
// runs per request (small string-keyed tables, pairs, calls into Go,
// string.match/gsub, method calls, concatenation). Each benchmark calls one
// precompiled Lua function per iteration, as a request handler does.

const benchScript = `
local pairs, type = pairs, type

function table10_pairs()
	local t = {}
	t.method = "GET"; t.uri = "/json/info"; t.args = "id=42&view=full"
	t.remote_addr = "127.0.0.1"; t.host = "localhost"; t.accept = "application/json"
	t.request_id = "bench-0001"; t.user_agent = "wrk"; t.header_count = 0; t.extra = true
	local n = 0
	for k, v in pairs(t) do n = n + 1 end
	return n
end

function table_ctor9()
	local info = {
		method = "GET", uri = "/json/info", args = "id=42&view=full",
		remote_addr = "127.0.0.1", host = "localhost", accept = "application/json",
		request_id = "bench-0001", user_agent = "wrk", header_count = 0,
	}
	for _ in pairs(info) do
		info.header_count = info.header_count + 1
	end
	return info.header_count
end

function table_small3()
	local t = { a = 1, b = 2, c = 3 }
	return t.a + t.b + t.c
end

function table_array()
	local t = {}
	for i = 1, 8 do t[#t + 1] = i end
	local s = 0
	for i, v in ipairs(t) do s = s + v end
	return s
end

function gocall10()
	local f = gofn
	local s = 0
	for i = 1, 10 do s = s + f(i) end
	return s
end

function gocall10_pushnumber()
	local f = gofn_pn
	local s = 0
	for i = 1, 10 do s = s + f(i) end
	return s
end

function gocall_str10()
	local f = gostr
	local s
	for i = 1, 10 do s = f("x-request-id") end
	return s
end

function strmatch()
	local value = "eq.secret"
	local op = value:match("^(%a+)%.")
	local uri = "/rest/users"
	local tbl = uri:gsub("^/rest/", "")
	return op, tbl
end

local Class = {}
Class.__index = Class
function Class.new(v) return setmetatable({ v = v }, Class) end
function Class:get() return self.v end
function Class:add(n) self.v = self.v + n; return self end
local obj = Class.new(1)

function method10()
	local o = obj
	o.v = 1
	for i = 1, 5 do o:add(i) end
	local s = 0
	for i = 1, 5 do s = s + o:get() end
	return s
end

local blacklist = {
	users_password_eq = true, users_password_like = true, users_password_ilike = true,
	users_email_like = true, users_token_eq = true, orders_card_number_eq = true,
	orders_card_number_like = true, payments_iban_like = true,
}

function concat()
	local tbl, column, op = "users", "email", "eq"
	local k = tbl .. "_" .. column .. "_" .. op
	return blacklist[k]
end

-- ngx.var.x: a table whose __index is a Go function (luabindings' ngx.var)
function ngx_var6()
	local var = ngxvar
	local uri, host, addr = var.uri, var.host, var.remote_addr
	local m, a, id = var.request_method, var.args, var.request_id
	return #uri + #host + #addr + #m + #a + #id
end

-- a small Lua function called in a loop
local function add(a, b) return a + b end
function luacall10()
	local s = 0
	for i = 1, 10 do s = add(s, i) end
	return s
end

-- string library calls of header and URI handling
local lower, sub, find, format, byte = string.lower, string.sub, string.find, string.format, string.byte
function string_ops()
	local h = "Application/JSON; charset=UTF-8"
	local l = lower(h)
	local semi = find(l, ";", 1, true)
	local mime = sub(l, 1, semi - 1)
	local key = format("%s:%d", mime, #h)
	return byte(key, 1) + #key
end

-- the table a content handler builds for cjson.encode
function json_build()
	local n = 3
	local body = {
		status = "ok",
		count = n,
		data = {
			id = 42, name = "widget", price = 9.5, active = true,
			tags = { "a", "b", "c" },
			owner = { id = 7, login = "bob" },
		},
	}
	return body.data.owner.id + #body.data.tags
end

-- pcall around a hook body, as OpenResty code guards risky calls
local function risky(x) if x < 0 then error("neg") end return x * 2 end
function pcall_hook()
	local s = 0
	for i = 1, 4 do
		local ok, v = pcall(risky, i)
		if ok then s = s + v end
	end
	return s
end

function filter_hook()
	local args = goargs()
	local tbl = ("/rest/users"):gsub("^/rest/", "")
	for column, value in pairs(args) do
		if type(value) == "string" then
			local op = value:match("^(%a+)%.")
			if op and blacklist[tbl .. "_" .. column .. "_" .. op] then
				return op
			end
		end
	end
	return nil
end
`

func newBenchState(b *testing.B) *LState {
	L := NewState()
	L.SetGlobal("gofn", L.NewFunction(func(L *LState) int {
		L.Push(L.CheckNumber(1) + 1)
		return 1
	}))
	L.SetGlobal("gofn_pn", L.NewFunction(func(L *LState) int {
		L.PushNumber(L.CheckNumber(1) + 1)
		return 1
	}))
	L.SetGlobal("gostr", L.NewFunction(func(L *LState) int {
		L.Push(LString(L.CheckString(1)))
		return 1
	}))
	// Like ngx.req.get_uri_args: a fresh table of a few string keys.
	L.SetGlobal("goargs", L.NewFunction(func(L *LState) int {
		t := L.CreateTable(0, 4)
		t.RawSetString("id", LString("eq.42"))
		t.RawSetString("view", LString("full"))
		t.RawSetString("select", LString("id,name,email"))
		t.RawSetString("email", LString("like.x%"))
		L.Push(t)
		return 1
	}))
	// Like ngx.var: a table whose __index looks the name up in Go.
	vars := map[string]string{
		"uri": "/json/info", "host": "localhost", "remote_addr": "127.0.0.1",
		"request_method": "GET", "args": "id=42&view=full", "request_id": "bench-0001",
	}
	nv := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *LState) int {
		if v, ok := vars[L.CheckString(2)]; ok {
			L.Push(LString(v))
		} else {
			L.Push(LNil)
		}
		return 1
	}))
	L.SetMetatable(nv, mt)
	L.SetGlobal("ngxvar", nv)
	if err := L.DoString(benchScript); err != nil {
		b.Fatal(err)
	}
	return L
}

func benchLuaFunc(b *testing.B, name string) {
	L := newBenchState(b)
	defer L.Close()
	fn := L.GetGlobal(name)
	if fn.Type() != LTFunction {
		b.Fatalf("%s is not defined", name)
	}
	p := P{Fn: fn, NRet: 1, Protect: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := L.CallByParam(p); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}

func BenchmarkTable10Pairs(b *testing.B)       { benchLuaFunc(b, "table10_pairs") }
func BenchmarkTableCtor9Pairs(b *testing.B)    { benchLuaFunc(b, "table_ctor9") }
func BenchmarkTableSmall3(b *testing.B)        { benchLuaFunc(b, "table_small3") }
func BenchmarkTableArray8(b *testing.B)        { benchLuaFunc(b, "table_array") }
func BenchmarkGoCall10(b *testing.B)           { benchLuaFunc(b, "gocall10") }
func BenchmarkGoCall10PushNumber(b *testing.B) { benchLuaFunc(b, "gocall10_pushnumber") }
func BenchmarkGoCallString10(b *testing.B)     { benchLuaFunc(b, "gocall_str10") }
func BenchmarkStringMatchGsub(b *testing.B)    { benchLuaFunc(b, "strmatch") }
func BenchmarkMethodCall10(b *testing.B)       { benchLuaFunc(b, "method10") }
func BenchmarkConcat(b *testing.B)             { benchLuaFunc(b, "concat") }
func BenchmarkFilterHook(b *testing.B)         { benchLuaFunc(b, "filter_hook") }
func BenchmarkNgxVar6(b *testing.B)            { benchLuaFunc(b, "ngx_var6") }
func BenchmarkLuaCall10(b *testing.B)          { benchLuaFunc(b, "luacall10") }
func BenchmarkStringOps(b *testing.B)          { benchLuaFunc(b, "string_ops") }
func BenchmarkJSONBuild(b *testing.B)          { benchLuaFunc(b, "json_build") }
func BenchmarkPcallHook(b *testing.B)          { benchLuaFunc(b, "pcall_hook") }

// Go side of a binding: build a table of string keys (get_headers) and
// walk it with Next (cjson.encode).
func BenchmarkGoTableBuildNext(b *testing.B) {
	keys := make([]string, 10)
	for i := range keys {
		keys[i] = "header-" + strconv.Itoa(i)
	}
	vals := make([]LValue, 10)
	for i := range vals {
		vals[i] = LString("value-" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		t := newLTable(0, 0)
		for j, k := range keys {
			t.RawSetString(k, vals[j])
		}
		n := 0
		for k, _ := t.Next(LNil); k != LNil; k, _ = t.Next(k) {
			n++
		}
		if n != 10 || t.RawGetString("header-3") != vals[3] {
			b.Fatal("bad table")
		}
	}
}
