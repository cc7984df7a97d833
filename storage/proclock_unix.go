//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package storage

import (
	"errors"
	"os"
	"syscall"
)

// tryLockFile takes an exclusive flock on f without waiting. flock locks
// belong to the open file, so two opens in one process exclude each other
// too.
func tryLockFile(f *os.File) (bool, error) { return tryFlock(f, syscall.LOCK_EX) }

// tryLockFileShared takes a shared flock on f without waiting: any
// number of shared holders, none while an exclusive one holds it.
func tryLockFileShared(f *os.File) (bool, error) { return tryFlock(f, syscall.LOCK_SH) }

// tryFlock takes the flock how (LOCK_EX or LOCK_SH) on f without waiting:
// false when another holds a lock that excludes it.
func tryFlock(f *os.File, how int) (bool, error) {
	err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false, nil
	default:
		return false, err
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
