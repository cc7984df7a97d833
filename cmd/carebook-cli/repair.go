package main

import (
	"context"
	"errors"
	"fmt"
)

// cmdRepair resets the cached record of a profile (or all) whose rows
// cannot be read and downloads it again, through app.RepairRecord.
func cmdRepair(ctx context.Context, args []string, e env) error {
	fs := newFlags("repair", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "repair only this profile id")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, *data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	ps, err := a.Profiles(ctx)
	if err != nil {
		return err
	}
	if *profile != "" {
		p, err := pickProfile(ctx, a, *profile)
		if err != nil {
			return err
		}
		ps = ps[:0]
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return usagef("no profile yet: run carebook-cli connect first")
	}
	var errs []error
	for _, p := range ps {
		rep, err := a.RepairRecord(ctx, p.ID)
		switch {
		case rep.Damaged():
			fmt.Fprintf(e.stderr, "profile %s: removed %d unreadable records and %d unreadable outbox items; the record is downloaded again\n",
				p.ID, rep.Records, rep.Outbox)
		default:
			fmt.Fprintf(e.stderr, "profile %s: nothing damaged\n", p.ID)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("profile %s: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}
