package app

import (
	"context"
	"fmt"

	"github.com/carebook/carebook/storage"
)

// RepairRecord resets a profile's cached record when part of it cannot be
// read (a damaged disk, a file changed behind the app's back): rows that do
// not open are removed, the profile's sync starts over, and the whole
// record is downloaded again at once. What the patient wrote and has not
// sent is kept (an item too damaged to open is counted in the report).
// The report says what was removed; the error is the download's, if it
// failed (the repair itself stands: the next sync downloads the record).
func (a *App) RepairRecord(ctx context.Context, profileID string) (storage.RepairReport, error) {
	rep, err := a.store.Repair(ctx, profileID)
	if err != nil {
		return rep, fmt.Errorf("repair record: %w", err)
	}
	if rep.Damaged() {
		a.forget(profileID)
		a.bus.Publish(RecordChanged{ProfileID: profileID})
		a.bus.Publish(OutboxChanged{ProfileID: profileID})
	}
	if err := a.Sync(ctx, profileID); err != nil {
		return rep, fmt.Errorf("repair record: download again: %w", err)
	}
	return rep, nil
}

// RebuildDataFile repairs the data file in dataDir ("" the default) when
// it cannot be opened because part of it is damaged (storage.ErrCorrupt)
// and the damage lies in the cached record: the file is rebuilt without
// the cache, the damaged one kept beside it (see storage.RebuildDamaged),
// and each profile's next sync downloads its record again. What the
// patient wrote and has not sent, their sign-ins and settings are kept.
// The damaged copy goes after storage.DamagedCopyKeep, and older copies
// with this rebuild. Nothing needs unlocking first, and nothing else may
// have the file open: it fails with storage.ErrInUse while another
// Carebook program (a second window, carebook-cli) has the folder open,
// and with storage.ErrNotRebuildable when the damage reaches what cannot
// be downloaded again, changing nothing either way.
func RebuildDataFile(dataDir string) (storage.RebuildReport, error) {
	dataDir, err := storage.DirOrDefault(dataDir)
	if err != nil {
		return storage.RebuildReport{}, fmt.Errorf("rebuild data file: %w", err)
	}
	rep, err := storage.RebuildDamaged(dataDir)
	if err != nil {
		return rep, fmt.Errorf("rebuild data file: %w", err)
	}
	return rep, nil
}
