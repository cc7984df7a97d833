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
