package app

import (
	"context"
	"fmt"
	"time"

	"github.com/carebook/carebook/storage"
)

// Activity is one event of the audit trail of this device, in words.
type Activity struct {
	Time time.Time
	Kind string // a storage.Audit* kind
	// What says what happened ("Signed in at the practice"), Who whose
	// record it concerns ("Maya Rivera"; "" for the whole device or a
	// record removed since), ProfileID its opaque id.
	What, Who, ProfileID string
	// Verified is false for a failed unlock recorded while locked and not
	// sealed into the trail yet (the next unlock does it).
	Verified bool
}

// ActivityReport is the trail, newest first, and what its verification
// found: Broken is empty when the whole chain verifies; otherwise the
// trail was altered, cut short or damaged outside Carebook, and each
// string says where (no patient data). The app keeps working either way.
type ActivityReport struct {
	Items  []Activity
	Broken []string
}

// activityWords names each kind of event.
var activityWords = map[string]string{
	storage.AuditSignIn:         "Signed in at the practice",
	storage.AuditUnlockFailed:   "Failed attempt to unlock Carebook",
	storage.AuditExport:         "Record exported",
	storage.AuditKeysChanged:    "Encryption keys changed",
	storage.AuditPassphrase:     "Passphrase changed",
	storage.AuditProfileAdded:   "Record added to this device",
	storage.AuditProfileRemoved: "Record removed from this device",
	storage.AuditAccessEnded:    "Access ended",
	storage.AuditTrailBroken:    "This activity list was found altered",
}

// ActivityLog is the audit trail of this device ("Activity on this
// device"): sign-ins, failed unlocks, exports, key changes, records added
// and removed, access ended; verified as it is read.
func (a *App) ActivityLog(ctx context.Context) (ActivityReport, error) {
	rep, err := a.store.AuditTrail(ctx)
	if err != nil {
		return ActivityReport{}, fmt.Errorf("activity: %w", err)
	}
	names := map[string]string{}
	if ps, err := a.store.Profiles(ctx); err == nil {
		for _, p := range ps {
			names[p.ID] = p.Label
		}
	}
	out := ActivityReport{Broken: rep.Broken}
	for i := len(rep.Entries) - 1; i >= 0; i-- {
		e := rep.Entries[i]
		what := activityWords[e.Kind]
		if what == "" {
			what = e.Kind
		}
		if e.Detail != "" {
			what += ": " + e.Detail
		}
		out.Items = append(out.Items, Activity{Time: e.Time, Kind: e.Kind, What: what, Who: names[e.ProfileID],
			ProfileID: e.ProfileID, Verified: e.Verified})
	}
	return out, nil
}

// audit records an event in the trail. Best effort: the action it records
// happened already, and a failure to record it is no reason to undo it.
func (a *App) audit(ctx context.Context, kind, profileID, detail string) {
	_ = a.store.Audit(ctx, kind, profileID, detail)
}

// ChangeKeys replaces the master key and every record's key and
// re-encrypts everything with the new ones (storage.Rekey); afterwards the
// old keys open nothing. passphrase is required when one protects the app
// (storage.ErrWrongPassphrase otherwise). Nothing is lost: the outbox's
// unsent items are re-encrypted like everything else. A crash part way is
// finished at the next unlock. It takes seconds on a large cache: never on
// the UI goroutine.
func (a *App) ChangeKeys(ctx context.Context, passphrase string) error {
	if err := a.store.Rekey(ctx, passphrase); err != nil {
		return fmt.Errorf("change keys: %w", err)
	}
	a.forget("")
	return nil
}
