package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/carebook/carebook/app"
)

// detailJSON is one detail in `details --json`.
type detailJSON struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Value    string `json:"value"`             // as stored: language code, Organization/ID, text
	Display  string `json:"display,omitempty"` // for people, when it differs
	Editable bool   `json:"editable"`
	Ask      string `json:"ask,omitempty"` // who to ask when not editable online
}

// detailsJSON is `details --json`.
type detailsJSON struct {
	Version string       `json:"version"`
	Details []detailJSON `json:"details"`
	// Update is the last change made here: state waiting, sent, failed or
	// conflict (choose with --keep), with the practice's words.
	Update *detailsUpdateJSON `json:"update"`
}

type detailsUpdateJSON struct {
	LocalID string `json:"local_id"`
	State   string `json:"state"`
	Words   string `json:"practice_says,omitempty"`
}

// cmdDetails shows or changes the patient's details: `details --data DIR
// [--profile ID] [--json]`, `details --set KEY=VALUE...` to change them,
// `details --keep KEY=yours|practice...` to choose after the practice's
// copy changed meanwhile.
func cmdDetails(ctx context.Context, args []string, e env) error {
	fs := newFlags("details", e)
	pf := addProfileFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	var set, keep multiFlag
	fs.Var(&set, "set", "change a detail: KEY=VALUE (repeatable; an empty VALUE removes it); keys: "+keyList())
	fs.Var(&keep, "keep", "after a conflict: KEY=yours or KEY=practice for each detail listed (repeatable; default yours)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(set) > 0 && len(keep) > 0 {
		return usagef("--set and --keep cannot go together")
	}
	changes := map[app.DetailKey]string{}
	for _, s := range set {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return usagef("--set %q: want KEY=VALUE", s)
		}
		changes[app.DetailKey(strings.TrimSpace(k))] = v
	}
	choices := map[app.DetailKey]bool{}
	for _, s := range keep {
		k, v, ok := strings.Cut(s, "=")
		if !ok || (v != "yours" && v != "practice") {
			return usagef("--keep %q: want KEY=yours or KEY=practice", s)
		}
		choices[app.DetailKey(strings.TrimSpace(k))] = v == "yours"
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	switch {
	case len(changes) > 0:
		d, err := a.PatientDetails(ctx, p.ID)
		if err != nil {
			return err
		}
		sub, err := a.UpdateDetails(ctx, p.ID, changes, d.Version)
		printConflict(e, err)
		return reportAction(e, sub, err)
	case len(keep) > 0:
		c, err := a.DetailsConflictOf(ctx, p.ID)
		if err != nil {
			return err
		}
		sub, err := a.ResolveDetailsConflict(ctx, p.ID, c, choices)
		printConflict(e, err)
		return reportAction(e, sub, err)
	}
	d, err := a.PatientDetails(ctx, p.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		out := detailsJSON{Version: d.Version, Details: []detailJSON{}}
		for _, f := range d.Fields {
			j := detailJSON{Key: string(f.Key), Label: f.Label, Value: f.Value, Editable: f.Editable, Ask: f.AskWho}
			if f.Display != f.Value {
				j.Display = f.Display
			}
			out.Details = append(out.Details, j)
		}
		if d.Update.State != app.DetailsNone {
			out.Update = &detailsUpdateJSON{LocalID: d.Update.LocalID, State: string(d.Update.State), Words: d.Update.Words}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, f := range d.Fields {
		line := fmt.Sprintf("%-26s %s", f.Label, firstOf(f.Display, "—"))
		if !f.Editable {
			line += "  (ask " + f.AskWho + " to change it)"
		}
		fmt.Fprintln(e.stdout, line)
	}
	switch d.Update.State {
	case app.DetailsWaiting:
		fmt.Fprintf(e.stdout, "\nYour last change (%s) waits to be sent.\n", d.Update.LocalID)
	case app.DetailsFailed:
		fmt.Fprintf(e.stdout, "\nYour last change (%s) was refused: %s\n", d.Update.LocalID, d.Update.Words)
	case app.DetailsChoose:
		fmt.Fprintf(e.stdout, "\nYour last change (%s) crossed a change at the practice: choose with --keep KEY=yours|practice.\n", d.Update.LocalID)
	}
	return nil
}

// printConflict shows both versions of a conflict, field by field, on
// stderr (the practice's words follow from the exit path).
func printConflict(e env, err error) {
	var ce *app.DetailsConflictError
	if !errors.As(err, &ce) {
		return
	}
	fmt.Fprintln(e.stderr, "Your details changed at the practice meanwhile. Yours and the practice's now:")
	for _, r := range ce.Conflict.Rows {
		fmt.Fprintf(e.stderr, "  %-22s yours: %-28s practice: %s\n", r.Key, firstOf(r.YoursDisplay, "(none)"), firstOf(r.PracticeDisplay, "(none)"))
	}
	fmt.Fprintln(e.stderr, "Choose with: carebook-cli details --keep KEY=yours|practice ...")
}

func keyList() string {
	var ks []string
	for _, k := range app.DetailKeys() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}
