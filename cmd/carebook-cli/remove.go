package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/app"
)

// cmdRemove removes a profile from this device through app.RemoveProfile:
// the practice's grant is revoked where it offers that, then the profile's
// key is destroyed, then its data. Items the practice has not received
// are listed on stdout (exit 2) and nothing is removed, unless
// --discard-unsent says they may go.
func cmdRemove(ctx context.Context, args []string, e env) error {
	fs := newFlags("remove", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	profile := fs.String("profile", "", "the profile to remove (carebook-cli status lists them)")
	discard := fs.Bool("discard-unsent", false, "remove it even with items not sent yet (they are lost)")
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
	err = a.RemoveProfile(ctx, p.ID, app.RemoveOptions{DiscardUnsent: *discard})
	var unsent *app.UnsentError
	if errors.As(err, &unsent) {
		for _, it := range unsent.Items {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", it.LocalID, it.State, it.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), it.Title())
			fmt.Fprintf(e.stdout, "\t%s\n", indent(it.Text()))
		}
		return usagef("profile %s has %d items not sent yet (listed on stdout): send or copy them, or run again with --discard-unsent",
			p.ID, len(unsent.Items))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "profile %s removed from this device\n", p.ID)
	return nil
}

// indent puts a tab after every newline of s.
func indent(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == '\n' {
			out = append(out, '\t')
		}
	}
	return string(out)
}
