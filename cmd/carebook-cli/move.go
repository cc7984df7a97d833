package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/carebook/carebook/app"
)

// cmdMovePractice signs a record in at its practice's new address
// (app.MovePractice): its cached record and outbox are kept.
func cmdMovePractice(ctx context.Context, args []string, e env) error {
	fs := newFlags("new-address", e)
	pf := addProfileFlags(fs)
	server := fs.String("server", "", "the practice's new FHIR base URL (required)")
	noBrowser := fs.Bool("no-browser", false, "only print the sign-in URL, do not start a browser")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the sign-in")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *server == "" {
		return usagef("--server is required: the practice's new address")
	}
	a, err := openAppWith(ctx, *pf.data, e, app.Config{OpenBrowser: signInBrowser(e, "at the practice's new address", *noBrowser)})
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := pickProfile(ctx, a, *pf.profile)
	if err != nil {
		return err
	}
	if p.Closed {
		return closedError(p)
	}
	sctx, cancel := context.WithTimeout(ctx, *timeout)
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
