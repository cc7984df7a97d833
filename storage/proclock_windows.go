//go:build windows

package storage

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLockFile takes an exclusive lock of f's first byte without waiting.
func tryLockFile(f *os.File) (bool, error) { return tryLockByte(f, windows.LOCKFILE_EXCLUSIVE_LOCK) }

// tryLockFileShared takes a shared lock of f's first byte without
// waiting: any number of shared holders, none while an exclusive one
// holds it.
func tryLockFileShared(f *os.File) (bool, error) { return tryLockByte(f, 0) }

// tryLockByte locks f's first byte with flags (LOCKFILE_EXCLUSIVE_LOCK,
// or 0 for a shared lock) without waiting: false when another holds a
// lock that excludes it.
func tryLockByte(f *os.File, flags uint32) (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return false, nil
	default:
		return false, err
	}
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
