package app

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestOwnLockClosedRecord: a record with its own lock, closed after the
// app's unlock, is listed with its name and "closed"; background sync and
// notifications pass it by without failing the round; every use case
// fails with ErrProfileClosed; a wrong passphrase changes nothing; the
// right one opens it, and CloseProfile closes it again.
func TestOwnLockClosedRecord(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	dir := t.TempDir()
	a, id := openMsgApp(t, p, dir)
	if err := a.SetOwnLock(ctx, id, "", "short"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("SetOwnLock with a short passphrase: %v, want ErrInvalidInput", err)
	}
	if err := a.SetOwnLock(ctx, id, "", "maya's own lock"); err != nil {
		t.Fatalf("SetOwnLock: %v", err)
	}
	a.Lock()
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	ps, err := a.Profiles(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("Profiles = %+v, %v", ps, err)
	}
	if got := ps[0]; !got.Closed || !got.OwnLock || got.Label == "" || got.Practice == "" || got.Initials == "" || got.LastSync.IsZero() {
		t.Fatalf("closed record listed as %+v: want its name, practice, badge and last sync, closed", got)
	}
	if err := a.Sync(ctx, id); !errors.Is(err, ErrProfileClosed) {
		t.Fatalf("Sync of a closed record: %v, want ErrProfileClosed", err)
	}
	if _, err := a.Outbox(ctx, id); !errors.Is(err, ErrProfileClosed) {
		t.Fatalf("Outbox of a closed record: %v", err)
	}

	fake := &fakeNotifier{}
	a.SetNotifier(fake)
	clock := newFakeClock(time.Now())
	rounds := make(chan round, 4)
	syncs, stopCount := countSyncs(a, id)
	defer stopCount()
	stop := a.StartBackgroundSync(BackgroundConfig{Interval: 15 * time.Minute, Clock: clock,
		OnRound: func(err error, next time.Duration) { rounds <- round{err, next} }})
	clock.Advance(clock.nextWait(t))
	if r := nextRound(t, rounds); r.err != nil {
		t.Fatalf("a round with a closed record failed: %v", r.err)
	}
	stop()
	if n := syncs(); n != 0 {
		t.Fatalf("the background synced the closed record %d times", n)
	}
	if got := fake.take(); len(got) != 0 {
		t.Fatalf("notifications about a closed record: %+v", got)
	}

	// Signing in to the same record again, while it is closed, is refused:
	// a second profile of it, unlocked, would undo its lock.
	if _, err := a.ConnectDemo(ctx); !errors.Is(err, ErrProfileClosed) {
		t.Fatalf("signing in again to the closed record: %v, want ErrProfileClosed", err)
	}
	if ps, err := a.Profiles(ctx); err != nil || len(ps) != 1 {
		t.Fatalf("after signing in again to the closed record: %d profiles (%v), want the one", len(ps), err)
	}

	if err := a.OpenProfile(ctx, id, "a long passphrase"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("OpenProfile with the app's passphrase: %v, want ErrWrongPassphrase", err)
	}
	if err := a.OpenProfile(ctx, id, "maya's own lock"); err != nil {
		t.Fatalf("OpenProfile: %v", err)
	}
	if ps, _ := a.Profiles(ctx); len(ps) != 1 || ps[0].Closed || !ps[0].OwnLock {
		t.Fatalf("after opening: %+v", ps)
	}
	if _, err := a.Dashboard(ctx, id); err != nil {
		t.Fatalf("Dashboard of the opened record: %v", err)
	}
	if err := a.CloseProfile(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Dashboard(ctx, id); !errors.Is(err, ErrProfileClosed) {
		t.Fatalf("Dashboard after CloseProfile: %v, want ErrProfileClosed", err)
	}
}
