//go:build !linux

package httpd

import "errors"

func dupCloexec(int) (int, error) { return -1, errors.ErrUnsupported }

func startWatch(int, func()) func() { return func() {} }
