//go:build !linux

package httpd

const (
	tcpinfoRTT = iota
	tcpinfoRTTVar
	tcpinfoSndCwnd
	tcpinfoRcvSpace
)

// tcpinfoVar: no TCP_INFO here; the variables are not found.
func tcpinfoVar(int) varGetter { return notFound }
