package ngxstring

import (
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// nginx serves ngx.now() and friends from a time cache refreshed once per
// event-loop iteration. Here the cache is refreshed by UpdateTime (the
// runtime calls it when a request starts, Lua through ngx.update_time)
// and by a 1 ms ticker, so the value never lags by more than that.
var cachedNanos atomic.Int64

var clockOnce sync.Once

func startClock() {
	clockOnce.Do(func() {
		UpdateTime()
		go func() {
			t := time.NewTicker(time.Millisecond)
			for range t.C {
				UpdateTime()
			}
		}()
	})
}

// UpdateTime refreshes the cached time.
func UpdateTime() { cachedNanos.Store(time.Now().UnixNano()) }

// Now returns the cached time.
func Now() time.Time { return time.Unix(0, cachedNanos.Load()) }

// ngx.now(): seconds with millisecond precision.
func ngxNow(L *lua.LState) int {
	ms := cachedNanos.Load() / int64(time.Millisecond)
	L.Push(lua.LNumber(float64(ms) / 1000))
	return 1
}

// ngx.time(): whole seconds.
func ngxTime(L *lua.LState) int {
	L.Push(lua.LNumber(cachedNanos.Load() / int64(time.Second)))
	return 1
}

func ngxUpdateTime(L *lua.LState) int {
	UpdateTime()
	return 0
}

// ngx.today(): "2010-11-19" in local time.
func ngxToday(L *lua.LState) int {
	return pushString(L, Now().Local().Format("2006-01-02"))
}

// ngx.localtime(): "2010-11-19 20:56:31" in local time.
func ngxLocaltime(L *lua.LState) int {
	return pushString(L, Now().Local().Format("2006-01-02 15:04:05"))
}

// ngx.utctime(): "2010-11-19 20:56:31" in UTC.
func ngxUtctime(L *lua.LState) int {
	return pushString(L, Now().UTC().Format("2006-01-02 15:04:05"))
}

// secondsArg reads the number argument of http_time/cookie_time; like
// nginx, fractions are dropped and negative times clamp to the epoch.
func secondsArg(L *lua.LState) int64 {
	n, ok := L.Get(1).(lua.LNumber)
	if !ok {
		L.RaiseError("number argument only")
	}
	s := int64(n)
	if s < 0 {
		s = 0
	}
	return s
}

// HTTPTime formats like ngx_http_time: "Thu, 18 Nov 2010 11:27:35 GMT".
func HTTPTime(sec int64) string {
	return time.Unix(sec, 0).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

// CookieTime formats like ngx_http_cookie_time: a 2-digit year up to
// 2037 (for old Netscape), 4 digits after.
func CookieTime(sec int64) string {
	t := time.Unix(sec, 0).UTC()
	if t.Year() > 2037 {
		return t.Format("Mon, 02-Jan-2006 15:04:05 GMT")
	}
	return t.Format("Mon, 02-Jan-06 15:04:05 GMT")
}

func ngxHTTPTime(L *lua.LState) int {
	return pushString(L, HTTPTime(secondsArg(L)))
}

func ngxCookieTime(L *lua.LState) int {
	return pushString(L, CookieTime(secondsArg(L)))
}

// ngx.parse_http_time(str): seconds or nil.
func ngxParseHTTPTime(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		L.RaiseError("string argument only")
	}
	t, ok := ParseHTTPTime(string(s))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(t))
	return 1
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// ParseHTTPTime follows nginx's ngx_parse_http_time: RFC 1123
// ("Thu, 18 Nov 2010 11:27:35 GMT"), RFC 850 ("Thursday, 18-Nov-10 ...")
// and asctime ("Thu Nov 18 11:27:35 2010"); the zone is not checked.
func ParseHTTPTime(s string) (int64, bool) {
	const (
		rfc822 = iota
		rfc850
		isoc
	)
	fmtKind := rfc822
	p := 0
	for ; p < len(s); p++ {
		if s[p] == ',' {
			break
		}
		if s[p] == ' ' {
			fmtKind = isoc
			break
		}
	}
	p++
	for p < len(s) && s[p] == ' ' {
		p++
	}
	if len(s)-p < 18 {
		return 0, false
	}
	digit := func(i int) (int, bool) {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		return int(s[i] - '0'), true
	}
	two := func(i int) (int, bool) {
		a, ok1 := digit(i)
		b, ok2 := digit(i + 1)
		return a*10 + b, ok1 && ok2
	}
	var day, month, year, hour, min, sec int
	var ok bool
	if fmtKind != isoc {
		if day, ok = two(p); !ok {
			return 0, false
		}
		p += 2
		switch {
		case s[p] == ' ':
			if len(s)-p < 18 {
				return 0, false
			}
			fmtKind = rfc822
		case s[p] == '-':
			fmtKind = rfc850
		default:
			return 0, false
		}
		p++
	}
	if len(s)-p < 3 {
		return 0, false
	}
	month = -1
	for i, m := range months {
		if s[p:p+3] == m {
			month = i
		}
	}
	if month < 0 {
		return 0, false
	}
	p += 3
	if p >= len(s) || (fmtKind == rfc822 && s[p] != ' ') || (fmtKind == rfc850 && s[p] != '-') {
		return 0, false
	}
	p++
	switch fmtKind {
	case rfc822:
		a, ok1 := two(p)
		b, ok2 := two(p + 2)
		if !ok1 || !ok2 {
			return 0, false
		}
		year = a*100 + b
		p += 4
	case rfc850:
		if year, ok = two(p); !ok {
			return 0, false
		}
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
		p += 2
	case isoc:
		if p < len(s) && s[p] == ' ' {
			p++
		}
		if day, ok = digit(p); !ok {
			return 0, false
		}
		p++
		if p < len(s) && s[p] != ' ' {
			d, ok := digit(p)
			if !ok {
				return 0, false
			}
			day = day*10 + d
			p++
		}
	}
	if p >= len(s) || s[p] != ' ' {
		return 0, false
	}
	p++
	if hour, ok = two(p); !ok {
		return 0, false
	}
	p += 2
	if p >= len(s) || s[p] != ':' {
		return 0, false
	}
	p++
	if min, ok = two(p); !ok {
		return 0, false
	}
	p += 2
	if p >= len(s) || s[p] != ':' {
		return 0, false
	}
	p++
	if sec, ok = two(p); !ok {
		return 0, false
	}
	p += 2
	if fmtKind == isoc {
		if p >= len(s) || s[p] != ' ' {
			return 0, false
		}
		p++
		a, ok1 := two(p)
		b, ok2 := two(p + 2)
		if !ok1 || !ok2 {
			return 0, false
		}
		year = a*100 + b
	}
	if hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	mdays := [12]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if day == 29 && month == 1 {
		if year%4 != 0 || (year%100 == 0 && year%400 != 0) {
			return 0, false
		}
	} else if day > mdays[month] {
		return 0, false
	}
	return time.Date(year, time.Month(month+1), day, hour, min, sec, 0, time.UTC).Unix(), true
}
