package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// profilePassphraseVar opens the records that have a lock of their own
// (every command: those it fits); newProfilePassphraseVar is the new one
// for own-lock.
const (
	profilePassphraseVar    = "CAREBOOK_PROFILE_PASSPHRASE"
	newProfilePassphraseVar = "CAREBOOK_NEW_PROFILE_PASSPHRASE"
)

// openOwnLocks opens the records whose own passphrase is in
// CAREBOOK_PROFILE_PASSPHRASE, when it is set.
func openOwnLocks(ctx context.Context, st *storage.Store, e env) error {
	pass := e.getenv(profilePassphraseVar)
	if pass == "" {
		return nil
	}
	if _, err := st.OpenProfilesWith(ctx, pass); err != nil {
		return fmt.Errorf("%s: %w", profilePassphraseVar, err)
	}
	return nil
}

// closedError is what a command says of a record whose own lock is closed.
func closedError(p app.ProfileInfo) error {
	return fmt.Errorf("profile %s has its own lock: set %s to its passphrase: %w",
		p.ID, profilePassphraseVar, app.ErrProfileClosed)
}

// cmdOwnLock gives a record a passphrase of its own, changes it or removes
// it, through the app's use cases.
func cmdOwnLock(ctx context.Context, args []string, e env) error {
	fs := newFlags("own-lock", e)
	pf := addProfileFlags(fs)
	remove := fs.Bool("remove", false, "remove the record's own lock (its passphrase in "+profilePassphraseVar+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	current, next := e.getenv(profilePassphraseVar), e.getenv(newProfilePassphraseVar)
	if !*remove && next == "" {
		return usagef("set %s to the record's new passphrase (and %s to its current one when it has one)",
			newProfilePassphraseVar, profilePassphraseVar)
	}
	if *remove && current == "" {
		return usagef("set %s to the record's passphrase to remove its lock", profilePassphraseVar)
	}
	a, p, err := pf.openAny(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if *remove {
		if err := a.RemoveOwnLock(ctx, p.ID, current); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "carebook-cli: profile %s has no lock of its own any more: the app's unlock opens it\n", p.ID)
		return nil
	}
	old := ""
	if p.OwnLock {
		old = current
	}
	if err := a.SetOwnLock(ctx, p.ID, old, next); err != nil {
		if errors.Is(err, storage.ErrWeakPassphrase) {
			return usagef("%s: %v", newProfilePassphraseVar, err)
		}
		return err
	}
	fmt.Fprintf(e.stderr, "carebook-cli: profile %s now has its own passphrase: other commands open it with %s\n", p.ID, profilePassphraseVar)
	return nil
}
