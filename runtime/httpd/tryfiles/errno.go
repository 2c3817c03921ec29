package tryfiles

import (
	"errors"
	"syscall"
)

// isNotDirOrLong: the errors try_files skips silently beside ENOENT.
func isNotDirOrLong(err error) bool {
	var en syscall.Errno
	return errors.As(err, &en) && (en == syscall.ENOTDIR || en == syscall.ENAMETOOLONG)
}
