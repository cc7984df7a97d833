package app

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
)

// fakeClock is a Clock the test moves. Every After call is reported on
// asked, so the test knows the loop waits (and for how long) before it
// moves the clock: no sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	asked  chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, asked: make(chan time.Duration, 64)}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	c.mu.Unlock()
	c.asked <- d
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(c.now) {
			tm.ch <- c.now
		} else {
			kept = append(kept, tm)
		}
	}
	c.timers = kept
}

// nextWait returns the wait the loop asked for next.
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.asked:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("the background sync did not wait for its next round")
		return 0
	}
}

type round struct {
	err  error
	next time.Duration
}

func nextRound(t *testing.T, rounds <-chan round) round {
	t.Helper()
	select {
	case r := <-rounds:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("no background round ended")
		return round{}
	}
}

// countSyncs counts the SyncFinished events of a profile until stop.
func countSyncs(a *App, id string) (count func() int, stop func()) {
	events, unsubscribe := a.Events()
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			if f, ok := ev.(SyncFinished); ok && f.ProfileID == id {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}
	}()
	return func() int { mu.Lock(); defer mu.Unlock(); return n }, func() { unsubscribe(); <-done }
}

// TestBackgroundSyncIntervalAndBackoff: a round every interval; failing
// rounds double the wait up to the most; a good round brings it back.
func TestBackgroundSyncIntervalAndBackoff(t *testing.T) {
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	fake := &fakeNotifier{}
	a.SetNotifier(fake)
	clock := newFakeClock(time.Now())
	rounds := make(chan round, 16)
	syncs, stopCount := countSyncs(a, id)
	defer stopCount()

	stop := a.StartBackgroundSync(BackgroundConfig{Interval: 15 * time.Minute, MaxBackoff: time.Hour, Clock: clock,
		OnRound: func(err error, next time.Duration) { rounds <- round{err, next} }})
	defer stop()
	if d := clock.nextWait(t); d != 15*time.Minute {
		t.Fatalf("first wait %v, want the interval", d)
	}
	clock.Advance(14 * time.Minute)
	select {
	case r := <-rounds:
		t.Fatalf("a round ran before the interval: %+v", r)
	default:
	}
	clock.Advance(time.Minute)
	if r := nextRound(t, rounds); r.err != nil || r.next != 15*time.Minute {
		t.Fatalf("good round: %+v", r)
	}
	if n := syncs(); n != 1 {
		t.Fatalf("%d syncs in one round, want 1", n)
	}
	if got := ofKind(fake.take(), NotifyCareDue); len(got) != 1 {
		t.Errorf("the background round notified %+v, want the care due", got)
	}

	// The practice fails: 30 min, 1 h, then 1 h (the most).
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond})
	want := []time.Duration{30 * time.Minute, time.Hour, time.Hour}
	wait := clock.nextWait(t)
	for _, w := range want {
		clock.Advance(wait)
		r := nextRound(t, rounds)
		if r.err == nil || r.next != w {
			t.Fatalf("failing round: %+v, want an error and a wait of %v", r, w)
		}
		wait = clock.nextWait(t)
		if wait != w {
			t.Fatalf("asked to wait %v, want %v", wait, w)
		}
	}
	p.Faults().Set(faults.Config{})
	clock.Advance(wait)
	if r := nextRound(t, rounds); r.err != nil || r.next != 15*time.Minute {
		t.Fatalf("round after recovery: %+v", r)
	}
}

// TestBackgroundSyncOneAtATimeAndStopsOnLock: starting again while one
// runs starts no second one; a profile whose sync is running is skipped
// (not a failure); the lock stops it, and no round runs while locked.
func TestBackgroundSyncOneAtATimeAndStopsOnLock(t *testing.T) {
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	clock := newFakeClock(time.Now())
	rounds := make(chan round, 16)
	syncs, stopCount := countSyncs(a, id)
	defer stopCount()
	cfg := BackgroundConfig{Interval: 15 * time.Minute, Clock: clock,
		OnRound: func(err error, next time.Duration) { rounds <- round{err, next} }}

	first := a.StartBackgroundSync(cfg)
	clock.nextWait(t)
	second := a.StartBackgroundSync(cfg) // the first goes on; no other starts
	defer second()
	select {
	case d := <-clock.asked:
		t.Fatalf("a second background sync started (waits %v)", d)
	default:
	}
	if !a.BackgroundSyncRunning() {
		t.Fatal("not running")
	}
	_ = first

	// A sync of the profile is running (as if the patient tapped
	// Refresh): the round skips it without counting a failure.
	a.mu.Lock()
	a.syncing[id] = true
	a.mu.Unlock()
	clock.Advance(15 * time.Minute)
	if r := nextRound(t, rounds); r.err != nil || r.next != 15*time.Minute {
		t.Fatalf("round with a sync running: %+v", r)
	}
	if n := syncs(); n != 0 {
		t.Fatalf("%d syncs ran beside the running one", n)
	}
	a.mu.Lock()
	delete(a.syncing, id)
	a.mu.Unlock()
	clock.nextWait(t)

	// Locking stops it: no round follows, however long the wait.
	a.bgMu.Lock()
	done := a.bgDone
	a.bgMu.Unlock()
	a.Lock()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the background sync did not stop at the lock")
	}
	clock.Advance(24 * time.Hour)
	select {
	case r := <-rounds:
		t.Fatalf("a round ran while locked: %+v", r)
	default:
	}
	if err := a.Unlock(context.Background(), "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	if n := syncs(); n != 0 {
		t.Fatalf("%d syncs while locked", n)
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{{0, 15 * time.Minute}, {1, 30 * time.Minute}, {2, time.Hour}, {3, 2 * time.Hour}, {4, 2 * time.Hour}, {60, 2 * time.Hour}} {
		if got := backoff(15*time.Minute, 2*time.Hour, c.failures); got != c.want {
			t.Errorf("backoff after %d failures = %v, want %v", c.failures, got, c.want)
		}
	}
}
