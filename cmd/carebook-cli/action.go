package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/carebook/carebook/app"
)

// exitRefused: the practice refused an action (any 4xx other than an
// authorization failure); the item stays in the outbox, marked failed.
const exitRefused = 6

// openApp opens and unlocks the cache in dir and builds the app core
// around it, for the action subcommands: they call the same use cases as
// the screens. Close the returned app.
func openApp(ctx context.Context, dir string, e env) (*app.App, error) {
	return openAppWith(ctx, dir, e, app.Config{})
}

// openAppWith is openApp with the app's settings.
func openAppWith(ctx context.Context, dir string, e env, cfg app.Config) (*app.App, error) {
	st, err := openCache(ctx, dir, e)
	if err != nil {
		return nil, err
	}
	return app.OpenWithStore(cfg, st), nil
}

// profileFlags are the --data and --profile flags of a command that acts
// for one person's record.
type profileFlags struct{ data, profile *string }

func addProfileFlags(fs *flag.FlagSet) profileFlags {
	return profileFlags{
		data:    fs.String("data", "", "cache folder (default: the app's)"),
		profile: fs.String("profile", "", "profile id (needed when there are several)"),
	}
}

// open opens the app on the cache of --data and picks the profile of
// --profile (or the only one), which must be open (a record with its own
// lock needs CAREBOOK_PROFILE_PASSPHRASE). The caller closes the app.
func (f profileFlags) open(ctx context.Context, e env) (*app.App, app.ProfileInfo, error) {
	return f.openWith(ctx, e, app.Config{})
}

// openWith is open with the app's settings (a sign-in's browser).
func (f profileFlags) openWith(ctx context.Context, e env, cfg app.Config) (*app.App, app.ProfileInfo, error) {
	a, p, err := f.openAnyWith(ctx, e, cfg)
	if err == nil && p.Closed {
		a.Close()
		return nil, app.ProfileInfo{}, closedError(p)
	}
	return a, p, err
}

// openAny is open also for a record whose own lock is closed.
func (f profileFlags) openAny(ctx context.Context, e env) (*app.App, app.ProfileInfo, error) {
	return f.openAnyWith(ctx, e, app.Config{})
}

func (f profileFlags) openAnyWith(ctx context.Context, e env, cfg app.Config) (*app.App, app.ProfileInfo, error) {
	a, err := openAppWith(ctx, *f.data, e, cfg)
	if err != nil {
		return nil, app.ProfileInfo{}, err
	}
	p, err := pickProfile(ctx, a, *f.profile)
	if err != nil {
		a.Close()
		return nil, app.ProfileInfo{}, err
	}
	return a, p, nil
}

// pickProfile returns the profile an action is for: id, or the only
// profile when id is "". With several profiles and no id it is bad input.
func pickProfile(ctx context.Context, a *app.App, id string) (app.ProfileInfo, error) {
	ps, err := a.Profiles(ctx)
	if err != nil {
		return app.ProfileInfo{}, err
	}
	if id != "" {
		for _, p := range ps {
			if p.ID == id {
				return p, nil
			}
		}
		return app.ProfileInfo{}, usagef("no profile %q", id)
	}
	switch len(ps) {
	case 0:
		return app.ProfileInfo{}, usagef("no profile yet: run carebook-cli connect first")
	case 1:
		return ps[0], nil
	default:
		return app.ProfileInfo{}, usagef("%d profiles: choose one with --profile (carebook-cli status lists them)", len(ps))
	}
}

// reportAction prints an action's outcome the documented way: the
// practice's reference (Type/id) on stdout when it accepted it; the local
// id when it is stored but not accepted yet (or the practice refused it).
// The returned error sets the exit code (4 queued, 3 needs sign-in, 6
// refused with the practice's words on stderr).
func reportAction(e env, sub app.Submitted, err error) error {
	switch {
	case err == nil && sub.Ref != "":
		fmt.Fprintln(e.stdout, sub.Ref)
	case err == nil:
		// Accepted without a copy to name: the next sync brings it.
		fmt.Fprintln(e.stdout, sub.LocalID)
	case sub.LocalID != "":
		fmt.Fprintln(e.stdout, sub.LocalID)
	}
	return err
}

// actionExitCode maps the outcomes of app actions to exit codes; 0 when err
// is not one of them.
func actionExitCode(err error) int {
	switch {
	case errors.Is(err, app.ErrInvalidInput):
		return exitUsage
	case errors.Is(err, app.ErrRefused), errors.Is(err, app.ErrAccessEnded):
		return exitRefused
	case errors.Is(err, app.ErrNeedsSignIn):
		return exitNeedsSignIn
	case errors.Is(err, app.ErrQueued), errors.Is(err, app.ErrOffline):
		return exitNetwork
	}
	return 0
}
