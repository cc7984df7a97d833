package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/outbox"
	"github.com/carebook/carebook/sync/pull"
	"github.com/carebook/carebook/sync/smart"
)

// Errors of a sync, for the screens to explain.
var (
	// ErrOffline: the practice could not be reached; the cache is shown as is.
	ErrOffline = errors.New("app: practice unreachable")
	// ErrNeedsSignIn: the practice no longer accepts this device's access
	// (revoked, expired): the patient must sign in again. Nothing they
	// wrote is lost; it waits in the outbox.
	ErrNeedsSignIn = errors.New("app: sign-in needed")
	// ErrSyncRunning: a sync of this profile is already running.
	ErrSyncRunning = errors.New("app: sync already running")
)

// SyncOptions change what a sync does.
type SyncOptions struct {
	// Full pulls the whole record again and removes what the practice no
	// longer has, whenever the last full pull was.
	Full bool
	// OnProgress, when set, receives the pull's progress on the sync's
	// goroutine (the same figures as the SyncProgress events of a type,
	// none dropped or thinned out).
	OnProgress func(SyncProgress)
}

// SyncReport says what a sync did: what it sent and what it brought.
type SyncReport struct {
	// Sent, Failed, Conflicts and Waiting count the outbox items the
	// practice accepted, refused, found in conflict, and that still wait.
	Sent, Failed, Conflicts, Waiting int
	// Mode is how the record was pulled: "everything" or "per-type".
	Mode string
	// Full is true when the whole record was pulled again and reconciled.
	Full bool
	// Written and Removed count cached records; Malformed the server's
	// records that could not be read and were skipped.
	Written, Removed, Malformed int
	// Took is how long the pull took.
	Took time.Duration
}

// Sync brings the profile's cache up to date with its practice and sends
// what the patient wrote (the outbox). Progress and the outcome are
// published as SyncProgress, RecordChanged and SyncFinished events. The
// records that did arrive are kept even when the sync fails midway.
func (a *App) Sync(ctx context.Context, profileID string) error {
	_, err := a.SyncWith(ctx, profileID, SyncOptions{})
	return err
}

// SyncWith is Sync with options, reporting what it did (as far as it got
// when it fails). The command line's sync calls it.
func (a *App) SyncWith(ctx context.Context, profileID string, opts SyncOptions) (SyncReport, error) {
	a.mu.Lock()
	if a.syncing[profileID] {
		a.mu.Unlock()
		return SyncReport{}, ErrSyncRunning
	}
	a.syncing[profileID] = true
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.syncing, profileID)
		a.mu.Unlock()
	}()

	var rep SyncReport
	err := a.sync(ctx, profileID, opts, &rep)
	a.bus.Publish(SyncFinished{ProfileID: profileID, Err: err, Offline: errors.Is(err, ErrOffline)})
	// Reminders are due by the clock, so they come even when the practice
	// could not be reached. Best effort: what is not notified now is next
	// time.
	_, _ = a.notifyAfterSync(ctx, profileID)
	return rep, err
}

func (a *App) sync(ctx context.Context, profileID string, opts SyncOptions, rep *SyncReport) error {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if HasAccessEnded(p) {
		return fmt.Errorf("sync: %w", ErrAccessEnded) // nothing more goes to or comes from the practice
	}
	p, api, err := a.practiceAPI(ctx, profileID)
	if errors.Is(err, ErrAccessEnded) {
		return fmt.Errorf("sync: %w", err)
	}
	if err != nil {
		return a.syncError(ctx, profileID, "connect", err)
	}
	open := p.Settings[settingAuth] == "none"

	// Send first: what the patient wrote matters most, and the pull then
	// brings back the server's copy of it.
	// A sync tries what waits at once, whatever wait an earlier failure
	// set: the patient asked for it, often because they are back online.
	// An upload cut short before (a large photo on a slow link) keeps its
	// wait, and is tried after the pull once due: the record does not
	// wait for an upload the link may not carry.
	sent, err := a.syncSend(ctx, p.ID, api, outbox.Config{IgnoreWait: true, LeaveCut: true}, rep)
	if err != nil {
		return err
	}

	cfg := pull.Config{
		API: api, Store: a.store, ProfileID: p.ID, PatientID: p.PatientID, OpenServer: open, Now: a.cfg.Now,
		OnEvent: func(ev pull.Event) {
			if pr, ok := ev.(pull.Progress); ok {
				progress := SyncProgress{ProfileID: p.ID, Type: pr.Type, Done: pr.Done, Total: max(pr.Total, 0)}
				if opts.OnProgress != nil {
					opts.OnProgress(progress)
				}
				a.bus.Publish(progress)
			}
		},
	}
	if opts.Full {
		cfg.ReconcileEvery = -1
	}
	incomplete, err := a.forgetSetAsideSync(ctx, p)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	res, err := pull.Run(ctx, cfg)
	rep.Mode, rep.Full, rep.Malformed = res.Mode, res.Full, len(res.Malformed)
	for _, n := range res.Stored {
		rep.Written += n
	}
	for _, n := range res.Removed {
		rep.Removed += n
	}
	if !res.Started.IsZero() && !res.Finished.IsZero() {
		rep.Took = res.Finished.Sub(res.Started)
	}
	if changed := res.ChangedTypes(); len(changed) > 0 {
		a.forget(p.ID)
		a.compactSearchIndex(p.ID)
		a.bus.Publish(RecordChanged{ProfileID: p.ID})
		// Best effort: a lock-screen card not made again now is after the
		// next change.
		_ = a.refreshLockScreenCard(ctx, p.ID)
		if slices.Contains(changed, "Communication") {
			// Best effort: a message not announced now is next time.
			_ = a.announceNewMessages(ctx, p.ID)
		}
	}
	if err != nil {
		return a.syncError(ctx, p.ID, "pull", err)
	}
	// Best effort: a practice whose statement can't be read now keeps the
	// notice and limits read before (or the defaults).
	_ = a.refreshMessagePolicy(ctx, p.ID, api)
	// What the practice refused (403) is hidden with its reason, not
	// shown as empty.
	if err := a.noteRefused(ctx, p.ID, a.askWhyHidden(ctx, api, p, res.ForbiddenReasons())); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	now := a.cfg.Now()
	err = a.updateSettings(ctx, p.ID, func(s map[string]string) {
		s[settingLastSync] = now.UTC().Format(time.RFC3339)
		delete(s, settingMovedTo) // it answers where it is
		setResultsBaseline(s, now)
	})
	if err != nil {
		return err
	}
	if incomplete {
		// The record is whole from now on (see recordIncomplete): what the
		// screens left out of an incomplete one, they can show.
		a.bus.Publish(RecordChanged{ProfileID: p.ID})
	}
	if sent.LeftCut > 0 {
		// The cut uploads that are due, now that the record is fresh.
		_, err = a.syncSend(ctx, p.ID, api, outbox.Config{}, rep)
	}
	return err
}

// syncSend sends a profile's outbox for a sync, with cfg's choices, and
// adds what it did to rep (Waiting: what still waits after it). It first
// says that the sync sends (a SyncProgress of no type): the screens would
// otherwise show the last type pulled during an upload after the pull.
func (a *App) syncSend(ctx context.Context, profileID string, api *fhirapi.Client, cfg outbox.Config, rep *SyncReport) (outbox.Report, error) {
	a.bus.Publish(SyncProgress{ProfileID: profileID})
	cfg.Store, cfg.ProfileID, cfg.API, cfg.Now = a.store, profileID, api, a.cfg.Now
	sent, err := outbox.New(cfg).Send(ctx)
	rep.Sent, rep.Failed, rep.Conflicts = rep.Sent+sent.Sent, rep.Failed+sent.Failed, rep.Conflicts+sent.Conflicts
	rep.Waiting = sent.Deferred
	if sent.Sent+sent.Failed+sent.Conflicts > 0 {
		a.bus.Publish(OutboxChanged{ProfileID: profileID})
	}
	if err != nil {
		return sent, a.syncError(ctx, profileID, "send", err)
	}
	return sent, nil
}

// forgetSetAsideSync forgets when profile p was last synced when its
// record is no longer downloaded in full (a data file rebuilt without the
// cached record, see recordIncomplete): the pull downloads it again as at
// a first sync, whose old messages are not announced as new. It reports
// whether the record is incomplete before the sync: one that finishes
// completes it.
func (a *App) forgetSetAsideSync(ctx context.Context, p storage.Profile) (incomplete bool, err error) {
	incomplete, err = a.recordIncomplete(ctx, p)
	if err != nil || !incomplete || p.Settings[settingLastSync] == "" {
		return incomplete, err
	}
	return true, a.updateSettings(ctx, p.ID, func(s map[string]string) { delete(s, settingLastSync) })
}

// syncError classifies a failed sync for the screens.
func (a *App) syncError(ctx context.Context, profileID, step string, err error) error {
	switch {
	case errors.Is(err, smart.ErrNeedsSignIn), errors.Is(err, fhirapi.ErrUnauthorized):
		// For a parent's or caregiver's profile too: a refused refresh
		// says only that this sign-in is over (expired, never renewable,
		// or revoked after a lost reply), not that the practice ended the
		// access. A new sign-in tells (SignInAgain).
		a.bus.Publish(ProfilesChanged{}) // its needs-sign-in mark changed
		return fmt.Errorf("sync: %s: %w: %w", step, ErrNeedsSignIn, err)
	case errors.Is(err, fhirapi.ErrMoved):
		return a.practiceMoved(ctx, profileID, step, err)
	case errors.Is(err, fhirapi.ErrNetwork):
		return fmt.Errorf("sync: %s: %w: %w", step, ErrOffline, err)
	case ctx.Err() != nil:
		return fmt.Errorf("sync: %s: %w", step, ctx.Err())
	default:
		return fmt.Errorf("sync: %s: %w", step, err)
	}
}
