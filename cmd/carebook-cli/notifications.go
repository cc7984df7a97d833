package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/carebook/carebook/app"
)

// notificationJSON is one notification in `notifications --json`.
type notificationJSON struct {
	Kind  string   `json:"kind"` // messages, results, requests, appointments, care-due
	Title string   `json:"title"`
	Body  string   `json:"body"`
	Keys  []string `json:"keys"` // what it announces; each is notified once
}

// dueJSON is one item of preventive care due.
type dueJSON struct {
	Key    string `json:"key"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Due    string `json:"due,omitempty"` // YYYY-MM-DD, absent when due now
	Source string `json:"source"`        // "practice" (its recommendation) or "guidance" (general guidance)
}

type notificationsJSON struct {
	Profile string `json:"profile"`
	// Incomplete: the record has not been downloaded in full yet, and
	// general guidance is left out of Due.
	Incomplete    bool               `json:"incomplete"`
	Notifications []notificationJSON `json:"notifications"`
	Due           []dueJSON          `json:"due"`
}

// cmdNotifications lists what the app would notify now and the preventive
// care due: `notifications --data DIR [--profile ID] [--json]`. It only
// reads: nothing is marked as notified.
func cmdNotifications(ctx context.Context, args []string, e env) error {
	fs := newFlags("notifications", e)
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
	ns, err := a.PendingNotifications(ctx, p.ID)
	if err != nil {
		return err
	}
	due, err := a.PreventiveCare(ctx, p.ID)
	if err != nil {
		return err
	}
	incomplete, err := a.RecordIncomplete(ctx, p.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		out := notificationsJSON{Profile: p.ID, Incomplete: incomplete, Notifications: []notificationJSON{}, Due: []dueJSON{}}
		for _, n := range ns {
			out.Notifications = append(out.Notifications, notificationJSON{Kind: string(n.Kind), Title: n.Title, Body: n.Body, Keys: n.Keys})
		}
		for _, d := range due {
			j := dueJSON{Key: d.Key, Title: d.Title, Detail: d.Detail, Source: "practice"}
			if d.Guidance {
				j.Source = "guidance"
			}
			if !d.Due.IsZero() {
				j.Due = d.Due.Time.Format("2006-01-02")
			}
			out.Due = append(out.Due, j)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(ns) == 0 {
		fmt.Fprintln(e.stdout, "nothing to notify now")
	} else {
		fmt.Fprintln(e.stdout, "would notify now:")
		for _, n := range ns {
			fmt.Fprintf(e.stdout, "  [%s] %s — %s\n", n.Kind, n.Title, n.Body)
		}
	}
	if incomplete {
		fmt.Fprintln(e.stdout, "the record has not been downloaded in full yet (run sync): general guidance is left out")
	}
	if len(due) == 0 {
		fmt.Fprintln(e.stdout, "no preventive care due")
		return nil
	}
	fmt.Fprintln(e.stdout, "preventive care due:")
	for _, d := range due {
		fmt.Fprintf(e.stdout, "  %s. %s\n", app.CareDueHeading(d), d.Detail)
	}
	return nil
}
