//go:build unix

package socket

import (
	"net"
	"syscall"
)

// peerState peeks at a connection without blocking or consuming data.
func peerState(c net.Conn) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return peerIdle
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return peerClosed
	}
	st := peerIdle
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n > 0:
			st = peerData
		case e == syscall.EAGAIN || e == syscall.EINTR:
			st = peerIdle
		default: // n == 0 && e == nil is EOF
			st = peerClosed
		}
		return true
	})
	if err != nil {
		return peerClosed
	}
	return st
}

// autobind binds a datagram unix socket to an abstract address the kernel
// picks (Linux autobind: an address of the family alone), before connect.
func autobind(network, _ string, rc syscall.RawConn) error {
	if network != "unixgram" {
		return nil
	}
	var err error
	rc.Control(func(fd uintptr) { err = syscall.Bind(int(fd), &syscall.SockaddrUnix{}) })
	return err
}
