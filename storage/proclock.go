package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockPoll is how often a waiting ProcessLock tries again.
const lockPoll = 20 * time.Millisecond

// ProcessLock takes the lock called name (letters, digits, '-', '_', '.')
// of the data folder: one holder at a time among every process (and every
// Store) that opens this folder, so the app and a scheduled carebook-cli
// never refresh a profile's tokens or send its outbox at once. It waits
// until the lock is free or ctx ends, and returns the function that
// releases it. The lock file (lock-NAME, 0600, empty) stays in the folder;
// the operating system releases the lock when its holder dies, so a killed
// process never leaves it taken.
func (s *Store) ProcessLock(ctx context.Context, name string) (unlock func(), err error) {
	if !validLockName(name) {
		return nil, fmt.Errorf("process lock: %w: name %q", ErrInvalid, name)
	}
	unlock, err = waitForLock(ctx, filepath.Join(s.dir, "lock-"+name), tryLockFile)
	if err != nil {
		return nil, fmt.Errorf("process lock %s: %w", name, err)
	}
	return unlock, nil
}

// waitForLock opens the lock file path (created 0600 if needed) and takes
// its lock with try (tryLockFile or tryLockFileShared), trying again every
// lockPoll until it is free or ctx ends (ctx's error then). It returns
// the function that releases the lock.
func waitForLock(ctx context.Context, path string, try func(*os.File) (bool, error)) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		ok, err := try(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			return func() {
				unlockFile(f) //nolint:errcheck // closing the file releases it in any case
				f.Close()
			}, nil
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func validLockName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return name[0] != '.'
}
