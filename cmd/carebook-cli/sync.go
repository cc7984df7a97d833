package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/outbox"
	"github.com/carebook/carebook/sync/pull"
	"github.com/carebook/carebook/sync/smart"
)

func cmdSync(ctx context.Context, args []string, e env) error {
	fs := newFlags("sync", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "sync only this profile id")
	full := fs.Bool("full", false, "pull everything again and remove what the server no longer has")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openCache(ctx, *data, e)
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := pickProfiles(ctx, st, *profile)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range ps {
		if err := syncProfile(ctx, st, p, *full, *quiet, e); err != nil {
			errs = append(errs, fmt.Errorf("profile %s: %w", p.ID, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// apiFor builds the FHIR client of a profile: with its SMART tokens, or
// none for an open server.
func apiFor(st *storage.Store, p storage.Profile) (*fhirapi.Client, error) {
	opts := fhirapi.Options{}
	if p.Settings[smart.SettingAuth] != "none" {
		opts.Token = smart.NewTokenSource(st, p.ID, fhirapi.NewTokenHTTPClient(0))
	}
	return fhirapi.New(p.PracticeURL, opts)
}

func syncProfile(ctx context.Context, st *storage.Store, p storage.Profile, full, quiet bool, e env) error {
	if p.Settings[smart.SettingNeedsSignIn] == "true" {
		return fmt.Errorf("%w: run carebook-cli connect --server %s", smart.ErrNeedsSignIn, p.PracticeURL)
	}
	api, err := apiFor(st, p)
	if err != nil {
		return err
	}
	// Send first, so the pull brings back the server's view of what was sent.
	// Asked for: what waits is tried now, whatever wait an earlier failure set.
	rep, err := outbox.New(outbox.Config{Store: st, ProfileID: p.ID, API: api, IgnoreWait: true}).Send(ctx)
	if err != nil {
		return err
	}
	if !quiet && (rep.Sent+rep.Failed+rep.Conflicts+rep.Deferred) > 0 {
		fmt.Fprintf(e.stderr, "outbox: %d sent, %d failed, %d conflicts, %d waiting\n", rep.Sent, rep.Failed, rep.Conflicts, rep.Deferred)
	}
	cfg := pull.Config{API: api, Store: st, ProfileID: p.ID, PatientID: p.PatientID,
		OpenServer: p.Settings[smart.SettingAuth] == "none"}
	if full {
		cfg.ReconcileEvery = -1
	}
	if !quiet {
		var last time.Time
		cfg.OnEvent = func(ev pull.Event) {
			switch ev := ev.(type) {
			case pull.Progress:
				if time.Since(last) < 200*time.Millisecond {
					return
				}
				last = time.Now()
				if ev.Total >= 0 {
					fmt.Fprintf(e.stderr, "pull %s: %d/%d\n", ev.Type, ev.Done, ev.Total)
				} else {
					fmt.Fprintf(e.stderr, "pull %s: %d\n", ev.Type, ev.Done)
				}
			case pull.Finished:
				r := ev.Result
				stored, removed := 0, 0
				for _, n := range r.Stored {
					stored += n
				}
				for _, n := range r.Removed {
					removed += n
				}
				fmt.Fprintf(e.stderr, "pull (%s%s): %d records written, %d removed, %d malformed, in %v\n",
					r.Mode, map[bool]string{true: ", full", false: ""}[r.Full], stored, removed, len(r.Malformed),
					r.Finished.Sub(r.Started).Round(time.Millisecond))
			}
		}
	}
	_, err = pull.Run(ctx, cfg)
	return err
}
