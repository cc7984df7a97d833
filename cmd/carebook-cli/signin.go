package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/app"
)

// cmdSignIn signs a profile in again after the practice refused its
// sign-in (sync exited 3), as the app's "Sign in again" does
// (app.SignInAgain): the cached record and the outbox are kept. When a
// parent's or caregiver's new sign-in no longer opens the patient's
// record, the practice ended that access: the profile is closed, kept for
// `remove` (which lists what was not sent), and the command exits 6.
func cmdSignIn(ctx context.Context, args []string, e env) error {
	fs := newFlags("signin", e)
	pf := addProfileFlags(fs)
	sf := addSignInFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, p, err := pf.openWith(ctx, e, sf.config(e, "to your practice"))
	if err != nil {
		return err
	}
	defer a.Close()
	if p.Ended {
		return endedError(p, app.ErrAccessEnded)
	}
	sctx, cancel := sf.wait(ctx)
	defer cancel()
	err = a.SignInAgain(sctx, p.ID)
	switch {
	case errors.Is(err, app.ErrAccessEnded):
		return endedError(p, err)
	case errors.Is(err, app.ErrCancelled):
		return fmt.Errorf("the sign-in was refused or cancelled; profile %s still needs sign-in: %w", p.ID, app.ErrNeedsSignIn)
	case errors.Is(err, app.ErrOtherRecord):
		// Another login on this computer: that record was renewed, not this.
		return fmt.Errorf("the sign-in opened another record; profile %s still needs sign-in with its own login: %w", p.ID, app.ErrNeedsSignIn)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stderr, "carebook-cli: profile %s is signed in again; its record and outbox are kept\n", p.ID)
	return nil
}

// endedError says that the practice ended the access to p's record (err
// wraps app.ErrAccessEnded: exit 6). It names the profile by id: stderr
// carries no record contents, a patient's name included.
func endedError(p app.ProfileInfo, err error) error {
	return fmt.Errorf("the practice no longer gives you access to the record of profile %s; it is kept until you remove it (carebook-cli remove --profile %s lists what was not sent): %w",
		p.ID, p.ID, err)
}
