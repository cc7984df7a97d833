package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// When a practice's address changes, the patient signs in again at the
// new address; the cached record and what waits to be sent are kept. No
// token is ever sent to the new address before that sign-in: the FHIR
// client follows no permanent redirect to another origin (it reports
// fhirapi.ErrMoved with where it points), and the new address is only
// ever used with the tokens its own sign-in gave.

// settingMovedTo keeps the address a practice said it moved to.
const settingMovedTo = "moved_to"

var (
	// ErrPracticeMoved: the practice answered from its old address that it
	// moved (a permanent redirect to another address). Nothing was sent
	// there; ProfileInfo.MovedTo and PracticeMovedTo say where.
	ErrPracticeMoved = errors.New("app: the practice moved to another address")
	// ErrOtherRecord: the sign-in at a practice's new address opened
	// another person's record; nothing was changed.
	ErrOtherRecord = errors.New("app: that sign-in opened another record")
)

// PracticeMovedTo returns the address a practice said it moved to, from
// an ErrPracticeMoved error ("" for any other).
func PracticeMovedTo(err error) string {
	var me *fhirapi.MovedError
	if errors.As(err, &me) {
		return me.To
	}
	return ""
}

// practiceMoved remembers where the practice of a profile moved, for the
// screens, and returns the error of the step.
func (a *App) practiceMoved(ctx context.Context, profileID, step string, err error) error {
	to := PracticeMovedTo(err)
	if serr := a.updateSettings(ctx, profileID, func(s map[string]string) { s[settingMovedTo] = to }); serr != nil {
		return fmt.Errorf("sync: %s: %w", step, serr)
	}
	a.bus.Publish(ProfilesChanged{})
	return fmt.Errorf("sync: %s: %w: %w", step, ErrPracticeMoved, err)
}

// MovePractice points a profile at its practice's new address: the
// patient signs in there (the system browser, SMART), and once the
// practice opens the same patient's record the profile keeps its cached
// record, its outbox and its settings with the new address and the new
// tokens. The old tokens are never sent to the new address. A sign-in
// that opens another record is ErrOtherRecord and changes nothing; a
// bad address ErrBadAddress, one where no FHIR server answers
// ErrUnreachable or ErrNotFHIR. The demo practice moves by itself.
func (a *App) MovePractice(ctx context.Context, profileID, newAddress string) error {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("new address: %w", err)
	}
	if p.Settings[settingDemo] == "true" {
		return fmt.Errorf("new address: %w: the demo practice keeps its own address", ErrInvalidInput)
	}
	if p.Settings[settingAuth] == "none" {
		return fmt.Errorf("new address: %w: this record needs no sign-in; connect the new address instead", ErrInvalidInput)
	}
	base, err := NormalizeAddress(newAddress)
	if err != nil {
		return err
	}
	if base == p.PracticeURL {
		return fmt.Errorf("new address: %w: that is the practice's address already", ErrInvalidInput)
	}
	if _, err := checkFHIR(ctx, base); err != nil {
		return err
	}
	if a.cfg.OpenBrowser == nil {
		return errors.New("new address: no way to open a browser")
	}
	grant, err := a.grant(ctx, smart.Config{FHIRBase: base, OpenBrowser: a.cfg.OpenBrowser})
	if err != nil {
		return err
	}
	if grant.PatientID != p.PatientID {
		return fmt.Errorf("new address: %w: nothing was changed", ErrOtherRecord)
	}
	a.settingsMu.Lock()
	p, err = a.store.Profile(ctx, profileID)
	if err == nil {
		p.PracticeURL = base
		delete(p.Settings, settingMovedTo)
		err = a.store.UpdateProfile(ctx, p)
	}
	a.settingsMu.Unlock()
	if err != nil {
		return fmt.Errorf("new address: %w", err)
	}
	if err := smart.SaveGrant(ctx, a.store, p.ID, grant); err != nil {
		return fmt.Errorf("new address: save tokens: %w", err)
	}
	a.audit(ctx, storage.AuditSignIn, p.ID, auditMovedSignIn)
	a.bus.Publish(ProfilesChanged{})
	return nil
}
