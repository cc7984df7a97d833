package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/carebook/carebook/app"
)

// cmdWho prints who looked at the profile's record, as the practice's
// own log says (app.WhoLookedAtMyRecord): read live, newest first. A
// practice that does not share its log is exit 1, a sign-in that does
// not include it exit 3, an unreachable practice exit 4, each with the
// app's words.
func cmdWho(ctx context.Context, args []string, e env) error {
	fs := newFlags("who", e)
	pf := addProfileFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.WhoLookedAtMyRecord(ctx, p.ID)
	if err != nil {
		msg := app.WhoMessage(err)
		if errors.Is(err, app.ErrAuditNeedsSignIn) {
			return fmt.Errorf("%s: %w", msg, app.ErrNeedsSignIn)
		}
		return fmt.Errorf("%s (%w)", msg, err)
	}
	if *asJSON {
		type line struct {
			Who   string    `json:"who"`
			Ref   string    `json:"ref"`
			You   bool      `json:"you"`
			What  string    `json:"what"`
			Day   string    `json:"day"`
			Last  time.Time `json:"last"`
			Count int       `json:"count"`
		}
		out := []line{}
		for _, ra := range list {
			out = append(out, line{ra.Who, ra.WhoRef, ra.Self, ra.Kind.Words(), ra.Day.Format(time.DateOnly), ra.Last.UTC(), ra.Count})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "Your practice has recorded nobody looking at your record yet.")
	}
	now := time.Now()
	for _, ra := range list {
		fmt.Fprintln(e.stdout, ra.Line(now))
	}
	return nil
}
