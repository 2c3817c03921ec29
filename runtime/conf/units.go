package conf

import (
	"errors"
	"math"
	"time"
)

var errInvalid = errors.New("invalid value")

// atoi is ngx_atosz/ngx_atoof: only digits, at least one, no overflow.
func atoi(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

func parseScaled(s string, withG bool) (int64, error) {
	if s == "" {
		return 0, errInvalid
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'K', 'k':
		scale, s = 1024, s[:len(s)-1]
	case 'M', 'm':
		scale, s = 1024*1024, s[:len(s)-1]
	case 'G', 'g':
		if withG {
			scale, s = 1024*1024*1024, s[:len(s)-1]
		}
	}
	v, ok := atoi(s)
	if !ok || v > math.MaxInt64/scale {
		return 0, errInvalid
	}
	return v * scale, nil
}

// ParseSize is ngx_parse_size: "512", "10k"/"10K", "1m"/"1M" (no "g";
// nginx rejects it for sizes).
func ParseSize(s string) (int64, error) { return parseScaled(s, false) }

// ParseOffset is ngx_parse_offset: ParseSize plus "g"/"G".
func ParseOffset(s string) (int64, error) { return parseScaled(s, true) }

// ParseTime is ngx_parse_time for millisecond directives
// (ngx_conf_set_msec_slot): units w d h m s ms, largest first, optionally
// separated by spaces ("1h 30m"); a bare number means seconds. y and M are
// rejected, as nginx does for msec values.
func ParseTime(s string) (time.Duration, error) {
	ms, err := parseTime(s, false)
	if err != nil {
		return 0, err
	}
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return 0, errInvalid
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// ParseSeconds is ngx_parse_time for second directives
// (ngx_conf_set_sec_slot): units y M w d h m s, no "ms"; a bare number is
// seconds.
func ParseSeconds(s string) (int64, error) { return parseTime(s, true) }

func parseTime(s string, isSec bool) (int64, error) {
	const (
		stStart = iota
		stYear
		stMonth
		stWeek
		stDay
		stHour
		stMin
		stSec
		stMsec
		stLast
	)
	const maxInt = math.MaxInt64
	step := stStart
	if !isSec {
		step = stMonth
	}
	var value, total int64
	valid := false
	for p := 0; p < len(s); {
		c := s[p]
		if c >= '0' && c <= '9' {
			if value >= maxInt/10 && (value > maxInt/10 || int64(c-'0') > maxInt%10) {
				return 0, errInvalid
			}
			value = value*10 + int64(c-'0')
			valid = true
			p++
			continue
		}
		p++
		var max, scale int64
		switch c {
		case 'y':
			if step > stStart {
				return 0, errInvalid
			}
			step, scale = stYear, 60*60*24*365
		case 'M':
			if step >= stMonth {
				return 0, errInvalid
			}
			step, scale = stMonth, 60*60*24*30
		case 'w':
			if step >= stWeek {
				return 0, errInvalid
			}
			step, scale = stWeek, 60*60*24*7
		case 'd':
			if step >= stDay {
				return 0, errInvalid
			}
			step, scale = stDay, 60*60*24
		case 'h':
			if step >= stHour {
				return 0, errInvalid
			}
			step, scale = stHour, 60*60
		case 'm':
			if p < len(s) && s[p] == 's' {
				if isSec || step >= stMsec {
					return 0, errInvalid
				}
				p++
				step, scale = stMsec, 1
				break
			}
			if step >= stMin {
				return 0, errInvalid
			}
			step, scale = stMin, 60
		case 's':
			if step >= stSec {
				return 0, errInvalid
			}
			step, scale = stSec, 1
		case ' ':
			if step >= stSec {
				return 0, errInvalid
			}
			step, scale = stLast, 1
		default:
			return 0, errInvalid
		}
		max = maxInt / scale
		if step != stMsec && !isSec {
			scale *= 1000
			max /= 1000
		}
		if value > max {
			return 0, errInvalid
		}
		value *= scale
		if total > maxInt-value {
			return 0, errInvalid
		}
		total += value
		value = 0
		for p < len(s) && s[p] == ' ' {
			p++
		}
	}
	if !valid {
		return 0, errInvalid
	}
	if !isSec {
		if value > maxInt/1000 {
			return 0, errInvalid
		}
		value *= 1000
	}
	if total > maxInt-value {
		return 0, errInvalid
	}
	return total + value, nil
}
