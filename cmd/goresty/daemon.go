package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/goresty/goresty/runtime/errlog"
)

// daemonEnv marks the re-executed child of "daemon on": Go cannot fork,
// so the foreground process starts itself again in a new session and
// waits on a pipe (the child's fd 3) until the child listens or fails.
const daemonEnv = "GORESTY_DAEMON_READY_FD"

// daemonize starts the daemon and returns nginx's exit status: 0 once it
// serves, 1 with its error on stderr when it could not start.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] daemon: %s\n", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] daemon: %s\n", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] daemon: %s\n", err)
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	null.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] daemon: %s\n", err)
		return 1
	}
	msg, _ := io.ReadAll(r)
	r.Close()
	if string(msg) == readyMsg {
		cmd.Process.Release()
		return 0
	}
	err = cmd.Wait()
	if text := strings.TrimSpace(string(msg)); text != "" {
		fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", text)
	} else {
		fmt.Fprintf(os.Stderr, "goresty: [alert] the daemon exited during start-up (%v)\n", err)
	}
	return 1
}

const readyMsg = "ready"

// startup reports how start-up went: to the waiting parent when this is
// the daemon, on stderr otherwise.
type startup struct {
	report *os.File // the daemon's pipe to its parent; nil in the foreground
	daemon bool     // stderr points at the error log
}

// fail logs err (to elog when open) and returns the exit status.
func (s *startup) fail(elog *errlog.Log, err error) int {
	if elog != nil {
		elog.Write(errlog.Emerg, 0, err.Error())
	}
	if s.report != nil {
		io.WriteString(s.report, err.Error())
		s.report.Close()
		s.report = nil
		return 1
	}
	fmt.Fprintf(os.Stderr, "goresty: [emerg] %s\n", err)
	return 1
}

// ready tells the parent that the daemon serves.
func (s *startup) ready() {
	if s.report != nil {
		io.WriteString(s.report, readyMsg)
		s.report.Close()
		s.report = nil
	}
}

// redirectStderr points fd 2 at the error log's file (ngx_log_redirect_stderr),
// so that a daemon holds no descriptor of the terminal or pipe it started from.
func redirectStderr(l *errlog.Log) {
	if f := l.File(); f != nil {
		syscall.Dup3(int(f.Fd()), 2, 0)
	}
}
