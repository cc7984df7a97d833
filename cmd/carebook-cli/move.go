package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/app"
)

// cmdMovePractice signs a record in at its practice's new address
// (app.MovePractice): its cached record and outbox are kept.
func cmdMovePractice(ctx context.Context, args []string, e env) error {
	fs := newFlags("new-address", e)
	pf := addProfileFlags(fs)
	server := fs.String("server", "", "the practice's new FHIR base URL (required)")
	sf := addSignInFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *server == "" {
		return usagef("--server is required: the practice's new address")
	}
	a, p, err := pf.openWith(ctx, e, sf.config(e, "at the practice's new address"))
	if err != nil {
		return err
	}
	defer a.Close()
	sctx, cancel := sf.wait(ctx)
	defer cancel()
	err = a.MovePractice(sctx, p.ID, *server)
	switch {
	case errors.Is(err, app.ErrBadAddress), errors.Is(err, app.ErrOtherRecord):
		return usagef("%v", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stderr, "carebook-cli: profile %s now syncs with the practice at its new address; its record and outbox are kept\n", p.ID)
	return nil
}
