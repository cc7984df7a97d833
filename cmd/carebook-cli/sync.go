package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/carebook/carebook/app"
)

// cmdSync sends what waits in the outbox and brings the cache up to date,
// for one profile or all of them, through the same use case as the app's
// sync (app.SyncWith).
func cmdSync(ctx context.Context, args []string, e env) error {
	fs := newFlags("sync", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "sync only this profile id")
	full := fs.Bool("full", false, "pull everything again and remove what the server no longer has")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, *data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	ps, err := syncTargets(ctx, a, *profile)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range ps {
		if p.Closed {
			if *profile != "" {
				return closedError(p)
			}
			// Said, not failed: its owner has not opened it here.
			fmt.Fprintf(e.stderr, "profile %s (%s): not synced: it has its own lock (set %s to open it)\n",
				p.ID, p.Label, profilePassphraseVar)
			continue
		}
		if err := syncProfile(ctx, a, p, *full, *quiet, e); err != nil {
			errs = append(errs, fmt.Errorf("profile %s: %w", p.ID, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// syncTargets returns the profile id, or every profile when id is "".
func syncTargets(ctx context.Context, a *app.App, id string) ([]app.ProfileInfo, error) {
	if id != "" {
		p, err := pickProfile(ctx, a, id)
		return []app.ProfileInfo{p}, err
	}
	ps, err := a.Profiles(ctx)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, usagef("no profile yet: run carebook-cli connect first")
	}
	return ps, nil
}

// syncProfile syncs one profile, printing its progress and what it did
// on stderr unless quiet.
func syncProfile(ctx context.Context, a *app.App, p app.ProfileInfo, full, quiet bool, e env) error {
	opts := app.SyncOptions{Full: full}
	if !quiet {
		var last time.Time
		opts.OnProgress = func(pr app.SyncProgress) {
			if time.Since(last) < 200*time.Millisecond {
				return
			}
			last = time.Now()
			if pr.Total > 0 {
				fmt.Fprintf(e.stderr, "pull %s: %d/%d\n", pr.Type, pr.Done, pr.Total)
			} else {
				fmt.Fprintf(e.stderr, "pull %s: %d\n", pr.Type, pr.Done)
			}
		}
	}
	rep, err := a.SyncWith(ctx, p.ID, opts)
	if !quiet {
		if rep.Sent+rep.Failed+rep.Conflicts+rep.Waiting > 0 {
			fmt.Fprintf(e.stderr, "outbox: %d sent, %d failed, %d conflicts, %d waiting\n", rep.Sent, rep.Failed, rep.Conflicts, rep.Waiting)
		}
		if rep.Mode != "" {
			mode := rep.Mode
			if rep.Full {
				mode += ", full"
			}
			fmt.Fprintf(e.stderr, "pull (%s): %d records written, %d removed, %d malformed, in %v\n",
				mode, rep.Written, rep.Removed, rep.Malformed, rep.Took.Round(time.Millisecond))
		}
	}
	if errors.Is(err, app.ErrPracticeMoved) {
		return fmt.Errorf("%w (nothing was sent there: sign in at the new address with carebook-cli new-address --profile %s --server %s)",
			err, p.ID, app.PracticeMovedTo(err))
	}
	if errors.Is(err, app.ErrNeedsSignIn) {
		return fmt.Errorf("%w (sign in again: carebook-cli signin --profile %s)", err, p.ID)
	}
	return err
}
