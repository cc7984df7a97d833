package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/internal/i18n"
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

// activityWhat names a kind of event in the current language; "" for a
// kind it does not know.
func activityWhat(kind string) string {
	switch kind {
	case storage.AuditSignIn:
		return i18n.L("Signed in at the practice")
	case storage.AuditUnlockFailed:
		return i18n.L("Failed attempt to unlock Carebook")
	case storage.AuditExport:
		return i18n.L("Record exported")
	case storage.AuditKeysChanged:
		return i18n.L("Encryption keys changed")
	case storage.AuditPassphrase:
		return i18n.L("Passphrase changed")
	case storage.AuditProfileAdded:
		return i18n.L("Record added to this device")
	case storage.AuditProfileRemoved:
		return i18n.L("Record removed from this device")
	case storage.AuditAccessEnded:
		return i18n.L("Access ended")
	case storage.AuditTrailBroken:
		return i18n.L("This activity list was found altered")
	case storage.AuditFileRebuilt:
		return i18n.L("Damaged data file rebuilt; records downloaded again")
	}
	return ""
}

// The few words recorded with an event (never patient data) are stored as
// written, in English or as a short key, and read in the current language
// when listed: the trail is sealed, so what it holds never changes.
const (
	auditDocumentFile = "document-file" // a document saved to a file
	auditViewer       = "system-viewer" // the health summary opened to print
	auditExportTo     = " to "          // "<format> to <where>" of an export

	auditPracticeEnded = "practice-ended-access"  // the practice ended access to a record
	auditMovedSignIn   = "signed-in-new-address"  // signed in at the practice's new address
	auditYouEnded      = "you-ended-proxy-access" // the patient ended a proxy's access
)

// activityDetail is the words recorded with an event in the current
// language: known words and keys translated, anything else as recorded.
func activityDetail(detail string) string {
	switch detail {
	case auditDocumentFile, "document to a file":
		return i18n.L("document to a file")
	case auditPracticeEnded, "the practice ended access to this record":
		return i18n.L("the practice ended access to this record")
	case auditMovedSignIn, "signed in at the practice's new address":
		return i18n.L("signed in at the practice's new address")
	case auditYouEnded, "you asked the practice to end a person's access":
		return i18n.L("you asked the practice to end a person's access")
	}
	format, where, ok := strings.Cut(detail, auditExportTo)
	if !ok {
		return detail
	}
	if _, err := ParseExportFormat(format); err != nil {
		return detail
	}
	f := map[string]any{"Format": format}
	switch where {
	case "a file":
		return i18n.L("{{.Format}} to a file", f)
	case ExportToAppFile, "a file (saved from the app)":
		return i18n.L("{{.Format}} to a file (saved from the app)", f)
	case "standard output":
		return i18n.L("{{.Format}} to standard output", f)
	case auditViewer, "the system viewer, to print":
		return i18n.L("{{.Format}} to the system viewer, to print", f)
	}
	return detail
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
		what := activityWhat(e.Kind)
		if what == "" {
			what = e.Kind
		}
		if e.Detail != "" {
			what = i18n.L("{{.What}}: {{.Detail}}", map[string]any{"What": what, "Detail": activityDetail(e.Detail)})
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
