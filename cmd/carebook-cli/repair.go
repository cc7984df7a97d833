package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// cmdRepair resets the cached record of a profile (or all) whose rows
// cannot be read and downloads it again, through app.RepairRecord; a data
// file too damaged to open is first rebuilt without its cached record
// (app.RebuildDataFile).
func cmdRepair(ctx context.Context, args []string, e env) error {
	fs := newFlags("repair", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "repair only this profile id")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, *data, e)
	if errors.Is(err, storage.ErrCorrupt) {
		// The file itself is damaged: rebuilt without its cached record
		// (downloaded again below), if the damage lies there.
		rep, rerr := app.RebuildDataFile(*data)
		if errors.Is(rerr, storage.ErrInUse) {
			return fmt.Errorf("%w; it cannot be rebuilt while another Carebook program (the app, another carebook-cli) has it open: close that program and run repair again: %w", err, rerr)
		}
		if rerr != nil {
			return fmt.Errorf("%w; it cannot be rebuilt: %w", err, rerr)
		}
		fmt.Fprintf(e.stderr, "the data file was damaged in its cached record: rebuilt without it (what you wrote and has not been sent, your sign-ins and settings are kept); the damaged file is kept as %s for %d days\n",
			rep.DamagedCopy, int(storage.DamagedCopyKeep/(24*time.Hour)))
		for _, old := range rep.Removed {
			fmt.Fprintf(e.stderr, "removed the damaged file an earlier rebuild kept: %s\n", old)
		}
		a, err = openApp(ctx, *data, e)
	}
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
