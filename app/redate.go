package app

import (
	"context"
	"errors"

	"github.com/carebook/carebook/storage"
)

// datedTypes are the types whose own month storage keeps in clear (see
// ownDate).
var datedTypes = []string{"Observation", "DiagnosticReport"}

// valueDated marks a profile whose resources of datedTypes all carry
// their month (written by this ownDate, or redated): a cache written
// before (before schema 6, or when only results carried it) is redated
// once, in the background after unlock, so its dashboard too reads only
// what it shows. A new ownDate needs a new name.
const valueDated = "dashboard/dated-v2"

// redateBatch is how many resources one redating transaction looks at:
// a sync waiting for the writer waits for no more than that.
const redateBatch = 2000

// redateRecords redates, in the background, the profiles that need it.
// One runs at a time; it stops when the app locks or closes.
func (a *App) redateRecords() {
	a.mu.Lock()
	if a.searchCtx.Err() != nil || !a.redating.CompareAndSwap(false, true) {
		a.mu.Unlock()
		return
	}
	a.searchWG.Add(1) // Close waits for it, as for the search indexes
	ctx := a.searchCtx
	a.mu.Unlock()
	go func() {
		defer a.searchWG.Done()
		defer a.redating.Store(false)
		ps, err := a.store.Profiles(ctx)
		if err != nil {
			return
		}
		for _, p := range ps {
			if a.store.Locked() || ctx.Err() != nil {
				return
			}
			_ = a.redate(ctx, p.ID) // locked, closed or removed meanwhile: the next unlock tries again
		}
	}()
}

// redate gives a profile's resources of datedTypes their month in clear,
// unless it was done.
func (a *App) redate(ctx context.Context, profileID string) error {
	if _, err := a.store.Value(ctx, profileID, valueDated); !errors.Is(err, storage.ErrNotFound) {
		return err // done before, or unreadable now
	}
	var after int64
	for {
		next, done, err := a.store.RedateStep(ctx, profileID, datedTypes, after, redateBatch)
		if err != nil {
			return err
		}
		if done {
			break
		}
		after = next
	}
	return a.store.PutValue(ctx, profileID, valueDated, []byte("1"))
}
