//go:build linux

package fasthttp

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// An idle keep-alive connection costs a goroutine (its stack grows to
// several KB while a request is served) besides its socket. With
// Server.ParkIdleConns it is parked instead: its descriptor waits in one
// epoll set per server, with no goroutine, request context or buffer, and
// a worker of the pool resumes serving it when it becomes readable. The
// epoll descriptor itself waits in Go's netpoller, so no thread is blocked
// either. The idle timeout is kept by a list in deadline order (one idle
// timeout per server) and one timer.

var errParked = errors.New("connection parked")

// parkedConn is what serveConnFrom needs to resume a connection.
type parkedConn struct {
	net.Conn
	wp                   *workerPool
	rc                   syscall.RawConn
	connTime             time.Time
	idleConnTime         *atomic.Int64
	connRequestNum       uint64
	connID               uint64
	previousWriteTimeout time.Duration
	idleDeadline         time.Time

	// owned by the parker's lock
	id         uint64 // key in parker.conns while parked
	registered bool   // the descriptor is in the epoll set
	prev, next *parkedConn
}

type parker struct {
	s      *Server
	epfd   *os.File
	epfdFd int // epfd's descriptor, valid while epfd is open
	mu     sync.Mutex
	conns  map[uint64]*parkedConn
	// parked connections with an idle deadline, oldest first
	head, tail *parkedConn
	timer      *time.Timer
	nextID     uint64
}

// getParker is the server's parker, started on first use; nil when epoll
// is not available.
func (s *Server) getParker() *parker {
	s.parkerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fd)
			return
		}
		// non-blocking, so os.NewFile puts it in the netpoller
		f := os.NewFile(uintptr(fd), "fasthttp-parker")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return
		}
		p := &parker{s: s, epfd: f, epfdFd: fd, conns: make(map[uint64]*parkedConn)}
		p.timer = time.AfterFunc(time.Hour, p.expire)
		p.timer.Stop()
		s.parker.Store(p)
		go p.run(rc)
	})
	return s.parker.Load()
}

// park hands pc over to the parker; false leaves it with the caller.
func (p *parker) park(s *Server, pc *parkedConn) bool {
	if p == nil {
		return false
	}
	if pc.rc == nil {
		sc, ok := pc.Conn.(syscall.Conn)
		if !ok {
			return false
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		pc.rc = rc
	}
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	pc.id = id
	p.conns[id] = pc
	op := syscall.EPOLL_CTL_ADD
	if pc.registered {
		op = syscall.EPOLL_CTL_MOD
	}
	pc.registered = true
	if !pc.idleDeadline.IsZero() {
		pc.prev, pc.next = p.tail, nil
		if p.tail != nil {
			p.tail.next = pc
		} else {
			p.head = pc
			p.timer.Reset(time.Until(pc.idleDeadline))
		}
		p.tail = pc
	}
	p.mu.Unlock()

	// from here on the parker owns pc: an event may resume it at once
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(id)),
		Pad:    int32(uint32(id >> 32)),
	}
	epfd := p.epfdFd
	var cerr error
	err := pc.rc.Control(func(fd uintptr) {
		cerr = syscall.EpollCtl(epfd, op, int(fd), &ev)
		if cerr == syscall.ENOENT && op == syscall.EPOLL_CTL_MOD {
			cerr = syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		} else if cerr == syscall.EEXIST && op == syscall.EPOLL_CTL_ADD {
			cerr = syscall.EpollCtl(epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		}
	})
	if err == nil && cerr == nil {
		return true
	}
	// not registered: take it back unless the shutdown already took it
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[id] != pc {
		return true
	}
	p.removeLocked(pc)
	return false
}

// removeLocked takes pc out of the parker.
func (p *parker) removeLocked(pc *parkedConn) {
	delete(p.conns, pc.id)
	pc.id = 0
	if pc.prev != nil {
		pc.prev.next = pc.next
	} else if p.head == pc {
		p.head = pc.next
	}
	if pc.next != nil {
		pc.next.prev = pc.prev
	} else if p.tail == pc {
		p.tail = pc.prev
	}
	pc.prev, pc.next = nil, nil
}

// run resumes the connections that become readable.
func (p *parker) run(rc syscall.RawConn) {
	var events [128]syscall.EpollEvent
	for {
		err := rc.Read(func(fd uintptr) bool {
			for {
				n, err := syscall.EpollWait(int(fd), events[:], 0)
				if err == syscall.EINTR {
					continue
				}
				if n <= 0 {
					return false // wait until the epoll set is readable
				}
				p.resume(events[:n])
				if n < len(events) {
					return false
				}
			}
		})
		if err != nil {
			return
		}
	}
}

func (p *parker) resume(events []syscall.EpollEvent) {
	for i := range events {
		id := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
		p.mu.Lock()
		pc := p.conns[id]
		if pc != nil {
			p.removeLocked(pc)
		}
		p.mu.Unlock()
		if pc != nil && !pc.wp.Serve(pc) {
			p.s.finishParked(pc)
		}
	}
}

// expire closes the parked connections past their idle deadline.
func (p *parker) expire() {
	now := time.Now()
	var done []*parkedConn
	p.mu.Lock()
	for pc := p.head; pc != nil && !pc.idleDeadline.After(now); pc = p.head {
		p.removeLocked(pc)
		done = append(done, pc)
	}
	if p.head != nil {
		p.timer.Reset(time.Until(p.head.idleDeadline))
	}
	p.mu.Unlock()
	for _, pc := range done {
		p.s.finishParked(pc)
	}
}

// closeAll closes every parked connection (Shutdown).
func (p *parker) closeAll(s *Server) {
	p.mu.Lock()
	done := make([]*parkedConn, 0, len(p.conns))
	for _, pc := range p.conns {
		done = append(done, pc)
	}
	for _, pc := range done {
		p.removeLocked(pc)
	}
	p.mu.Unlock()
	for _, pc := range done {
		s.finishParked(pc)
	}
}

// count is the number of parked connections.
func (p *parker) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}
