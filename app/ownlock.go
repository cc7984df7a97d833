package app

import (
	"context"
	"fmt"

	"github.com/carebook/carebook/storage"
)

// A lock of one's own: on a shared device a person can give their own
// record a passphrase of its own, so that another family member's unlock
// of the app does not open it (storage wraps its keys under a key derived
// from that passphrase; see storage/ownlock.go). Until it is opened, such
// a record is "closed": the switcher shows whose it is and "locked, tap to
// open", background sync and notifications pass it by, and every use case
// for it fails with ErrProfileClosed. Locking the app closes it again.

// ErrProfileClosed means the record has its own lock and it is closed:
// OpenProfile with its passphrase first. It is storage.ErrProfileLocked.
var ErrProfileClosed = storage.ErrProfileLocked

// ErrWrongPassphrase means a passphrase did not fit; nothing changed.
var ErrWrongPassphrase = storage.ErrWrongPassphrase

// SetOwnLock gives a record a passphrase of its own, or changes it (old
// is then its current passphrase; "" when it has none). The record stays
// open until the app locks or CloseProfile. Slow on purpose (Argon2id):
// never on the UI goroutine. A passphrase too short is ErrInvalidInput
// (with storage.ErrWeakPassphrase); a wrong old one ErrWrongPassphrase.
func (a *App) SetOwnLock(ctx context.Context, profileID, old, passphrase string) error {
	if passphrase == "" {
		return fmt.Errorf("own lock: %w: %w: a passphrase is needed", ErrInvalidInput, storage.ErrWeakPassphrase)
	}
	if err := storage.CheckPassphrase(passphrase); err != nil {
		return fmt.Errorf("own lock: %w: %w", ErrInvalidInput, err)
	}
	if err := a.store.SetProfileLock(ctx, profileID, old, passphrase); err != nil {
		return fmt.Errorf("own lock: %w", err)
	}
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// RemoveOwnLock removes a record's own lock, given its passphrase: the
// app's unlock opens it again.
func (a *App) RemoveOwnLock(ctx context.Context, profileID, passphrase string) error {
	if err := a.store.RemoveProfileLock(ctx, profileID, passphrase); err != nil {
		return fmt.Errorf("remove own lock: %w", err)
	}
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// OpenProfile opens a record's own lock with its passphrase (Argon2id:
// never on the UI goroutine). A wrong passphrase is ErrWrongPassphrase
// and changes nothing. Opening a record that is open already succeeds.
func (a *App) OpenProfile(ctx context.Context, profileID, passphrase string) error {
	if err := a.store.OpenProfile(ctx, profileID, passphrase); err != nil {
		return fmt.Errorf("open record: %w", err)
	}
	a.Touch()
	a.bus.Publish(ProfilesChanged{})
	go a.buildSearchIndexes(context.Background())
	return nil
}

// CloseProfile closes a record that has its own lock (its keys and what
// was decoded of it leave memory): its passphrase is needed again. A
// record without one is left open.
func (a *App) CloseProfile(ctx context.Context, profileID string) error {
	a.saveBeforeLock()
	if err := a.store.CloseProfile(ctx, profileID); err != nil {
		return fmt.Errorf("close record: %w", err)
	}
	a.forget(profileID)
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// OpenProfilesWith opens every closed record whose own passphrase is
// passphrase (the command line's CAREBOOK_PROFILE_PASSPHRASE) and returns
// how many it opened; ErrWrongPassphrase when there are closed records and
// it fits none of them.
func (a *App) OpenProfilesWith(ctx context.Context, passphrase string) (int, error) {
	n, err := a.store.OpenProfilesWith(ctx, passphrase)
	if n > 0 {
		a.bus.Publish(ProfilesChanged{})
	}
	return n, err
}

// closedProfiles lists the records whose own lock is closed, as the
// switcher shows them.
func (a *App) closedProfiles(ctx context.Context) ([]ProfileInfo, error) {
	closed, err := a.store.LockedProfiles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ProfileInfo, 0, len(closed))
	for _, p := range closed {
		info := profileInfo(storage.Profile{ID: p.ID, Label: p.Label, Settings: p.Settings})
		info.OwnLock, info.Closed = true, true
		out = append(out, info)
	}
	return out, nil
}
