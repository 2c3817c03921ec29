//go:build !unix

package socket

import "net"

func peerState(net.Conn) int { return peerIdle }
