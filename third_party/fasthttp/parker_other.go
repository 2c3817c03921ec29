//go:build !linux

package fasthttp

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

type parkedConn struct {
	net.Conn
	wp                   *workerPool
	connTime             time.Time
	idleConnTime         *atomic.Int64
	connRequestNum       uint64
	connID               uint64
	previousWriteTimeout time.Duration
	idleDeadline         time.Time
}

type parker struct{}

var errParked = errors.New("connection parked")

func (s *Server) getParker() *parker { return nil }

func (p *parker) park(s *Server, pc *parkedConn) bool { return false }

func (p *parker) closeAll(s *Server) {}

func (p *parker) count() int { return 0 }
