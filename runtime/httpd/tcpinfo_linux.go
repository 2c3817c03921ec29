package httpd

import (
	"net"
	"strconv"
	"syscall"
	"unsafe"
)

const (
	tcpinfoRTT = iota
	tcpinfoRTTVar
	tcpinfoSndCwnd
	tcpinfoRcvSpace
)

// tcpinfoVar is one of $tcpinfo_*: a field of the connection's TCP_INFO,
// read when the variable is; not found on a connection without one.
func tcpinfoVar(field int) varGetter {
	return func(r *Request) (string, bool) {
		c := r.fc.Conn()
		if tc, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS
			c = tc.NetConn()
		}
		sc, ok := c.(syscall.Conn)
		if !ok {
			return "", false
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return "", false
		}
		var info syscall.TCPInfo
		var errno syscall.Errno
		raw.Control(func(fd uintptr) {
			n := uint32(unsafe.Sizeof(info))
			_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
				uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&n)), 0)
		})
		if errno != 0 {
			return "", false
		}
		var v uint32
		switch field {
		case tcpinfoRTT:
			v = info.Rtt
		case tcpinfoRTTVar:
			v = info.Rttvar
		case tcpinfoSndCwnd:
			v = info.Snd_cwnd
		default:
			v = info.Rcv_space
		}
		return strconv.FormatUint(uint64(v), 10), true
	}
}
