//go:build !unix

package socket

import (
	"net"
	"syscall"
)

func peerState(net.Conn) int { return peerIdle }

func autobind(string, string, syscall.RawConn) error { return nil }
