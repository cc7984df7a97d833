package main

import (
	"context"
	"fmt"
	"time"

	"github.com/carebook/carebook/app"
)

// cmdLink shows one person's profiles at several practices as one person
// (app.LinkProfiles), as the user confirms it: --profile A --with B. With
// neither flag it lists what the app offers to link (same name and birth
// date at two practices) and the links already made; it changes nothing.
func cmdLink(ctx context.Context, args []string, e env) error {
	fs := newFlags("link", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "one of the two profiles to link")
	with := fs.String("with", "", "the other profile: the same person at another practice")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*profile == "") != (*with == "") {
		return usagef("--profile and --with go together (run without both to list what can be linked)")
	}
	a, err := openApp(ctx, *data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if *profile == "" {
		return listLinks(ctx, a, e)
	}
	p, err := pickProfile(ctx, a, *profile)
	if err != nil {
		return err
	}
	q, err := pickProfile(ctx, a, *with)
	if err != nil {
		return err
	}
	if err := a.LinkProfiles(ctx, p.ID, q.ID); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "linked\t%s (%s)\t%s (%s)\n", p.ID, p.Practice, q.ID, q.Practice)
	return nil
}

// listLinks prints the links made ("linked" lines) and the ones offered
// ("offer" lines): tab-separated profile ids and practices.
func listLinks(ctx context.Context, a *app.App, e env) error {
	ps, err := a.Profiles(ctx)
	if err != nil {
		return err
	}
	shown := map[string]bool{}
	for _, p := range ps {
		if shown[p.ID] {
			continue
		}
		linked, err := a.LinkedProfiles(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(linked) < 2 {
			continue
		}
		line := "linked"
		for _, l := range linked {
			shown[l.ID] = true
			line += fmt.Sprintf("\t%s (%s)", l.ID, l.Practice)
		}
		fmt.Fprintln(e.stdout, line)
	}
	offers, err := a.LinkSuggestions(ctx)
	if err != nil {
		return err
	}
	for _, s := range offers {
		fmt.Fprintf(e.stdout, "offer\t%s (%s)\t%s (%s)\tsame name and birth date: %s, %s\n",
			s.A.ID, s.A.Practice, s.B.ID, s.B.Practice, s.Name, s.BirthDate.Time.Format(time.DateOnly))
	}
	return nil
}

// cmdUnlink undoes a link (app.UnlinkProfiles): --profile shows as a
// person of its own again and is not offered for linking again.
func cmdUnlink(ctx context.Context, args []string, e env) error {
	fs := newFlags("unlink", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "the profile to show on its own again")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *profile == "" {
		return usagef("--profile is required")
	}
	a, err := openApp(ctx, *data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := pickProfile(ctx, a, *profile)
	if err != nil {
		return err
	}
	if err := a.UnlinkProfiles(ctx, p.ID); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "unlinked\t%s (%s)\n", p.ID, p.Practice)
	return nil
}
