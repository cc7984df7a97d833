package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Who uses the data file.
//
// Several Carebook programs may use one data folder at once (the app and
// carebook-cli, two windows of the app): SQLite keeps their reads and
// writes apart. Rebuilding a damaged file (RebuildDamaged) replaces the
// file itself, which nothing else may have open: a program still holding
// the old file would go on writing to the damaged copy, and lose what it
// wrote. So every open Store holds a shared lock on the file lock-open of
// its folder, from Open to Close, and RebuildDamaged takes that lock
// exclusively: it refuses (ErrInUse) while any Store of the folder is
// open, in this process or another, and an Open started during a rebuild
// waits for it to end. The operating system releases the lock of a
// program that dies, so a killed program never leaves the folder in use.

// ErrInUse means another Carebook program (the app, carebook-cli, a
// second window of the app) has the data folder open, so its file cannot
// be rebuilt now; or, from Open, that a rebuild of the file did not end
// within openWait. Nothing was changed.
var ErrInUse = errors.New("storage: the data file is in use by another Carebook program")

// inUseLockFile is the lock file every open Store holds shared.
const inUseLockFile = "lock-open"

// openWait bounds how long Open waits for a rebuild of the file (which
// takes a second or two) to end.
var openWait = 30 * time.Second

// lockInUse takes the lock of the data folder dir that tells who uses its
// file: shared (an open Store) or exclusive (a rebuild). It tries for up
// to wait, then fails with ErrInUse. The lock file is created (0600) if
// needed and stays in the folder.
func lockInUse(dir string, exclusive bool, wait time.Duration) (release func(), err error) {
	try := tryLockFileShared
	if exclusive {
		try = tryLockFile
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	release, err = waitForLock(ctx, filepath.Join(dir, inUseLockFile), try)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil, ErrInUse
	case err != nil:
		return nil, fmt.Errorf("lock the data folder: %w", err)
	}
	return release, nil
}
