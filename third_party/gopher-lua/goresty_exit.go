package lua

import "errors"

// goresty: ending a handler (ngx.exit) without a Go panic.
//
// A panic unwinds through the runtime's stack walker and recover, which
// costs more than the whole Lua handler of a short request. When the Go
// function ending the call was called straight from the VM loop that
// PCallThread started (no pcall, metamethod, iterator or other Go frame
// in between), nothing but that loop stands between it and PCall: the
// value is recorded, the loop returns, and PCall restores the stack as
// it does for a panic. Anywhere else Exit panics with the value, as
// before.

// ErrExited is returned by PCallThread when the call ended through a
// direct Exit; TakeExit returns the value.
var ErrExited = errors.New("lua: call ended by Exit")

// Exit ends the running PCallThread call with u. The calling Go function
// must return right after it (its results are ignored). Where the call
// cannot be ended without unwinding Go frames, Exit panics with u.
func (ls *LState) Exit(u Uncatchable) {
	if ls.exitDepth != 0 && ls.goCalls == ls.exitDepth && ls.currentFrame != nil && ls.currentFrame.Fn.IsG {
		ls.exiting = u
		return
	}
	panic(u)
}

// TakeExit returns and clears the value of a direct Exit.
func (ls *LState) TakeExit() Uncatchable {
	u := ls.exiting
	ls.exiting = nil
	return u
}
