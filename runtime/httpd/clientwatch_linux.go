package httpd

import (
	"os"
	"syscall"
)

func dupCloexec(fd int) (int, error) {
	nfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(nfd), nil
}

// startWatch waits in Go's netpoller for the duplicated descriptor fd to
// become readable and calls gone once a peek reads the end of the stream
// (or an error); stop ends the watch and closes fd.
func startWatch(fd int, gone func()) (stop func()) {
	f := os.NewFile(uintptr(fd), "client")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [1]byte
		closed := false
		err := raw.Read(func(s uintptr) bool {
			n, _, err := syscall.Recvfrom(int(s), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case n == 0 && err == nil:
				closed = true
				return true
			case err == syscall.EAGAIN || err == syscall.EINTR:
				return false
			case err != nil:
				closed = true
				return true
			}
			// data (a pipelined request, an unread body): the client
			// is there; wait for the next change
			return false
		})
		if err == nil && closed {
			gone()
		}
	}()
	return func() {
		f.Close() // wakes the Read above
		<-done
	}
}
