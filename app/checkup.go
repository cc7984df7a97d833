package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// The annual check-up guidance on the dashboard counts from the record's
// last routine check-up, one visit among years of them: the id of that
// visit is kept as a sealed value of the profile, in step with every write
// of Encounters (watchCheckUps runs in the write's own transaction), so
// the dashboard reads one Encounter instead of all of them.

// valueLastCheckUp names the sealed value holding the last check-up.
const valueLastCheckUp = "dashboard/last-check-up"

// lastCheckUp is what valueLastCheckUp holds.
type lastCheckUp struct {
	// ID is the Encounter of the last check-up (record.LastCheckUp), ""
	// when the record holds none.
	ID string `json:"id"`
}

// writeWatcher keeps the app's derived values up to date with the
// record's writes (storage.WriteWatcher).
var writeWatcher = storage.WriteWatcher{Types: []string{"Encounter"}, Digest: checkUpDigest, Watch: watchCheckUps}

// checkUp is the watcher's digest of an Encounter (storage.Change.Digest):
// its check-up date, ok false when it was not a check-up. A sync makes it
// ahead of its write (storage.Prepare), so the single writer decodes no
// Encounter.
type checkUp struct {
	when record.Date
	ok   bool
}

func checkUpDigest(r storage.Resource) any {
	when, ok := record.CheckUpDate(record.DecodeEncounter(record.Resource(r)))
	return checkUp{when, ok}
}

// checkUpOf is the check-up date of an Encounter a change stored, from
// its digest (storage makes one for every Encounter stored; without it,
// the Encounter is decoded here).
func checkUpOf(c storage.Change) (record.Date, bool) {
	d, ok := c.Digest.(checkUp)
	if !ok {
		d = checkUpDigest(c.Resource).(checkUp)
	}
	return d.when, d.ok
}

// watchCheckUps keeps valueLastCheckUp in step with the Encounters a
// transaction stored or removed: a later check-up takes the place of the
// one kept; when the one kept changes or goes, or nothing is kept yet
// (a first sync, a cache written before this value existed), the
// profile's Encounters are read again, inside the transaction.
func watchCheckUps(tx *storage.Tx, changes []storage.Change) error {
	kept, known, err := readLastCheckUp(tx.Value)
	if err != nil || !known {
		return rebuildLastCheckUp(tx)
	}
	for _, c := range changes {
		if c.ID == kept.ID {
			// The last check-up changed or went (what tx.Get would read
			// is its new version): another may be the last now.
			return rebuildLastCheckUp(tx)
		}
	}
	best := kept.ID
	var bestDate record.Date
	if best != "" {
		r, err := tx.Get("Encounter", best)
		if err != nil {
			return rebuildLastCheckUp(tx)
		}
		bestDate, _ = record.CheckUpDate(record.DecodeEncounter(record.Resource(r)))
	}
	for _, c := range changes {
		if c.Removed {
			if c.ID == best {
				return rebuildLastCheckUp(tx)
			}
			continue
		}
		when, ok := checkUpOf(c)
		switch {
		case c.ID == best && (!ok || when.Before(bestDate)):
			// A check-up this transaction made the last changed again
			// into an earlier one or none: another may be the last now.
			return rebuildLastCheckUp(tx)
		case c.ID == best:
			bestDate = when
		case ok && (best == "" || when.After(bestDate)):
			best, bestDate = c.ID, when
		}
	}
	if best == kept.ID {
		return nil
	}
	return putLastCheckUp(tx, lastCheckUp{ID: best})
}

// rebuildLastCheckUp finds the last check-up among all the profile's
// Encounters and keeps it.
func rebuildLastCheckUp(tx *storage.Tx) error {
	var best record.Encounter
	var bestDate record.Date
	err := tx.Each("Encounter", func(r storage.Resource) error {
		e := record.DecodeEncounter(record.Resource(r))
		if when, ok := record.CheckUpDate(e); ok && when.After(bestDate) {
			best, bestDate = e, when
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("last check-up: %w", err)
	}
	return putLastCheckUp(tx, lastCheckUp{ID: best.ID})
}

func putLastCheckUp(tx *storage.Tx, v lastCheckUp) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("last check-up: %w", err)
	}
	if err := tx.PutValue(valueLastCheckUp, b); err != nil {
		return fmt.Errorf("last check-up: %w", err)
	}
	return nil
}

// readLastCheckUp reads valueLastCheckUp through value (a store's or a
// transaction's); known is false when none is kept or it does not parse.
func readLastCheckUp(value func(name string) ([]byte, error)) (v lastCheckUp, known bool, err error) {
	b, err := value(valueLastCheckUp)
	if errors.Is(err, storage.ErrNotFound) {
		return lastCheckUp{}, false, nil
	}
	if err != nil {
		return lastCheckUp{}, false, err
	}
	if json.Unmarshal(b, &v) != nil {
		return lastCheckUp{}, false, nil
	}
	return v, true, nil
}

// checkUpEncounters reads the Encounters the dashboard needs: the last
// check-up alone. A cache that keeps none yet (written before it was
// kept) gets it now, in a write transaction of its own so that no sync
// writes Encounters meanwhile; should that fail, every Encounter is read.
func (a *App) checkUpEncounters(ctx context.Context, profileID string, fn func(storage.Resource) error) error {
	value := func(name string) ([]byte, error) { return a.store.Value(ctx, profileID, name) }
	kept, known, err := readLastCheckUp(value)
	if err != nil {
		return fmt.Errorf("last check-up: %w", err)
	}
	if !known {
		err := a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
			if _, known, err := readLastCheckUp(tx.Value); err != nil || known {
				return err
			}
			return rebuildLastCheckUp(tx)
		})
		if err == nil {
			kept, known, err = readLastCheckUp(value)
		}
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("last check-up: %w", err)
		}
	}
	if known && kept.ID == "" {
		return nil
	}
	if known {
		r, err := a.store.Get(ctx, profileID, "Encounter", kept.ID)
		if err == nil {
			return fn(r)
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("last check-up: %w", err)
		}
	}
	if err := a.store.Each(ctx, profileID, "Encounter", fn); err != nil {
		return fmt.Errorf("read record: %w", err)
	}
	return nil
}
