package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestProcessLock: the lock of a data folder has one holder at a time, also
// between two Stores of one folder (two processes hold two opens of the
// file, as these do); a waiter gives up when its context ends; the holder's
// release lets the next one in.
func TestProcessLock(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()

	unlock, err := a.ProcessLock(ctx, "token-p1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := b.ProcessLock(short, "token-p1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second holder: err = %v, want DeadlineExceeded", err)
	}
	// Another name is another lock.
	other, err := b.ProcessLock(ctx, "outbox-p1")
	if err != nil {
		t.Fatal(err)
	}
	other()

	got := make(chan error, 1)
	go func() {
		u, err := b.ProcessLock(ctx, "token-p1")
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the lock was taken while held (err %v)", err)
	case <-time.After(3 * lockPoll):
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	fi, err := os.Stat(filepath.Join(dir, "lock-token-p1"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v, %v", fi, err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if _, err := a.ProcessLock(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("name %q: err = %v, want ErrInvalid", bad, err)
		}
	}
}
