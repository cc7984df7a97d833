package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// catchUpRecords brings, in the background, what an older Carebook wrote
// up to what this one keeps: the months of the record's results and
// reports in clear (redate), and no files in the items the practice
// confirmed (dropSentFiles). Each is done once per profile. One run at a
// time; it stops when the app locks or closes, and the next unlock goes
// on where it stopped.
func (a *App) catchUpRecords() {
	a.mu.Lock()
	if a.searchCtx.Err() != nil || !a.catchingUp.CompareAndSwap(false, true) {
		a.mu.Unlock()
		return
	}
	a.searchWG.Add(1) // Close waits for it, as for the search indexes
	ctx := a.searchCtx
	a.mu.Unlock()
	go func() {
		defer a.searchWG.Done()
		defer a.catchingUp.Store(false)
		ps, err := a.store.Profiles(ctx)
		if err != nil {
			return
		}
		for _, p := range ps {
			if a.store.Locked() || ctx.Err() != nil {
				return
			}
			// Locked, closed or removed meanwhile: the next unlock tries
			// again.
			_ = a.redate(ctx, p.ID)
			_ = a.dropSentFiles(ctx, p.ID)
		}
	}()
}

// valueSentFilesDropped marks a profile whose sent outbox items hold no
// files: since it was set, the outbox drops them as the practice confirms
// each item (see outbox.DropSentFileData).
const valueSentFilesDropped = "outbox/sent-files-dropped"

// dropSentFiles drops the files of the profile's outbox items the
// practice confirmed before the outbox did so itself, unless it was done.
// Every screen that lists the outbox decrypts each item ever sent: a
// photo kept in each would be read again and again for good.
func (a *App) dropSentFiles(ctx context.Context, profileID string) error {
	if _, err := a.store.Value(ctx, profileID, valueSentFilesDropped); !errors.Is(err, storage.ErrNotFound) {
		return err // done before, or unreadable now
	}
	box := outbox.New(outbox.Config{Store: a.store, ProfileID: profileID, Now: a.cfg.Now})
	if _, err := box.DropSentFileData(ctx); err != nil {
		return fmt.Errorf("drop sent files: %w", err)
	}
	return a.store.PutValue(ctx, profileID, valueSentFilesDropped, []byte("1"))
}
