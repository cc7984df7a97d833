package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// errTrailBroken: the audit trail did not verify (exit 1, after listing it).
var errTrailBroken = errors.New("the activity trail of this device was altered or damaged")

// cmdActivity prints the audit trail of this device, newest first, through
// app.ActivityLog; a trail that does not verify is listed and reported
// (exit 1).
func cmdActivity(ctx context.Context, args []string, e env) error {
	fs := newFlags("activity", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, *data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.ActivityLog(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type item struct {
			Time      time.Time `json:"time"`
			Kind      string    `json:"kind"`
			What      string    `json:"what"`
			ProfileID string    `json:"profile,omitempty"`
			Verified  bool      `json:"verified"`
		}
		out := struct {
			Items  []item   `json:"items"`
			Broken []string `json:"broken"`
		}{Items: []item{}, Broken: rep.Broken}
		if out.Broken == nil {
			out.Broken = []string{}
		}
		for _, it := range rep.Items {
			out.Items = append(out.Items, item{it.Time.UTC(), it.Kind, it.What, it.ProfileID, it.Verified})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, it := range rep.Items {
			mark := ""
			if !it.Verified {
				mark = " (not verified yet)"
			}
			fmt.Fprintf(e.stdout, "%s\t%s\t%s%s\n", it.Time.UTC().Format(time.RFC3339), orDash(it.ProfileID), it.What, mark)
		}
	}
	if len(rep.Broken) > 0 {
		for _, b := range rep.Broken {
			fmt.Fprintf(e.stderr, "carebook-cli activity: %s\n", b)
		}
		return errTrailBroken
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdRekey replaces the master key and every profile's key and re-encrypts
// the cache (app.ChangeKeys); a rotation a crash cut short is finished.
func cmdRekey(ctx context.Context, args []string, e env) error {
	fs := newFlags("rekey", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, *data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.ChangeKeys(ctx, e.getenv(passphraseVar)); err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "carebook-cli: the encryption keys were changed; the old keys open nothing any more")
	return nil
}
