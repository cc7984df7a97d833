package app

import (
	"context"
	"errors"
	"time"
)

// Background sync: while Carebook runs and is unlocked, every profile is
// synced every Interval (and notifications raised after each sync, see
// notify.go). A round that fails for a reason that may pass (the practice
// unreachable or failing) doubles the wait, up to MaxBackoff; a round that
// succeeds brings it back to Interval. It never runs while locked (the
// keys are needed to read and write the cache) and stops at the lock; the
// screens start it again after unlock, stop it when the window closes and,
// on phones, while the app is not in the foreground. Sync itself never
// runs twice at once for a profile (a round skips a profile whose sync is
// running) and a round syncs the profiles one after the other.

// Clock is the time source of the background sync; tests use a fake one.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of the background sync.
const (
	DefaultSyncInterval = 15 * time.Minute
	DefaultMaxBackoff   = 2 * time.Hour
)

// BackgroundConfig configures StartBackgroundSync; zero values take the
// defaults.
type BackgroundConfig struct {
	Interval   time.Duration // between rounds (DefaultSyncInterval)
	MaxBackoff time.Duration // the longest wait after failures (DefaultMaxBackoff)
	Clock      Clock         // the real clock when nil
	// OnRound, when set, is told after each round how it went (nil: every
	// profile synced or had nothing to do) and how long the next wait is.
	OnRound func(err error, next time.Duration)
}

// StartBackgroundSync starts syncing every profile in the background and
// returns a function that stops it and waits until it has stopped (a
// stop of one that already ended returns at once and stops no other). It
// stops on its own at the lock. There is never more than one: while one
// runs, starting again leaves it running and returns its stop. It does
// not block. Any goroutine.
func (a *App) StartBackgroundSync(cfg BackgroundConfig) (stop func()) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultSyncInterval
	}
	if cfg.MaxBackoff < cfg.Interval {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.Interval)
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	a.bgMu.Lock()
	defer a.bgMu.Unlock()
	if a.bgDone != nil {
		select {
		case <-a.bgDone:
		default:
			return a.bgStop // one runs
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	stop = func() {
		cancel()
		a.bgMu.Lock()
		if a.bgDone == done { // a new one may start at once
			a.bgStop, a.bgDone = nil, nil
		}
		a.bgMu.Unlock()
		<-done
	}
	a.bgStop, a.bgDone = stop, done
	events, unsubscribe := a.bus.Subscribe()
	go func() {
		defer close(done)
		defer unsubscribe()
		a.backgroundLoop(ctx, cfg, events)
	}()
	return stop
}

// BackgroundSyncRunning reports whether the background sync runs.
func (a *App) BackgroundSyncRunning() bool {
	a.bgMu.Lock()
	defer a.bgMu.Unlock()
	if a.bgDone == nil {
		return false
	}
	select {
	case <-a.bgDone:
		return false
	default:
		return true
	}
}

// StopBackgroundSync stops the background sync if it runs, and waits until
// it has stopped. Any goroutine.
func (a *App) StopBackgroundSync() {
	a.bgMu.Lock()
	stop := a.bgStop
	a.bgMu.Unlock()
	if stop != nil {
		stop()
	}
}

func (a *App) backgroundLoop(ctx context.Context, cfg BackgroundConfig, events <-chan Event) {
	failures := 0
	wait := cfg.Interval
	for {
		timer := cfg.Clock.After(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if _, locked := ev.(Locked); locked {
					return
				}
			case <-timer:
				break waiting
			}
		}
		if a.store.Locked() {
			return
		}
		err := a.syncRound(ctx, cfg)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRoundLocked) {
			return
		}
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		wait = backoff(cfg.Interval, cfg.MaxBackoff, failures)
		if cfg.OnRound != nil {
			cfg.OnRound(err, wait)
		}
	}
}

var errRoundLocked = errors.New("app: locked during a background sync")

// backoff is the wait after failures failed rounds in a row: the interval
// doubled for each, at most max.
func backoff(interval, most time.Duration, failures int) time.Duration {
	wait := interval
	for i := 0; i < failures && wait < most; i++ {
		wait *= 2
	}
	return min(wait, most)
}

// syncRound syncs every open profile once, one after the other. It returns
// the first error that may pass by itself (offline, the practice failing);
// a sync already running, a profile waiting for sign-in, ended or with its
// own lock closed are not failures of the round.
func (a *App) syncRound(ctx context.Context, cfg BackgroundConfig) error {
	ps, err := a.Profiles(ctx)
	if err != nil {
		if a.store.Locked() {
			return errRoundLocked
		}
		return err
	}
	var first error
	for _, p := range ps {
		if p.Ended || p.NeedsSignIn || p.Closed {
			// A record with its own lock closed is not synced: nothing of
			// it can be read or written until its owner opens it.
			continue
		}
		if a.store.Locked() {
			return errRoundLocked
		}
		err := a.Sync(ctx, p.ID)
		switch {
		case err == nil, errors.Is(err, ErrSyncRunning), errors.Is(err, ErrNeedsSignIn), errors.Is(err, ErrAccessEnded):
		case ctx.Err() != nil:
			return ctx.Err()
		case a.store.Locked():
			return errRoundLocked
		default:
			if first == nil {
				first = err
			}
		}
	}
	return first
}
