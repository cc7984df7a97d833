package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// profileStatus is one profile in `status --json`.
type profileStatus struct {
	ID          string         `json:"id"`
	Label       string         `json:"label"`
	Server      string         `json:"server"`
	Auth        string         `json:"auth"`
	NeedsSignIn bool           `json:"needs_sign_in"`
	AccessEnded bool           `json:"access_ended,omitempty"` // the practice ended a parent's or caregiver's access
	Locked      bool           `json:"locked,omitempty"`       // its own lock is closed: nothing else is known
	LastSync    string         `json:"last_sync,omitempty"`
	Counts      map[string]int `json:"counts"`
	Outbox      map[string]int `json:"outbox"`
}

func cmdStatus(ctx context.Context, args []string, e env) error {
	fs := newFlags("status", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openCache(ctx, *data, e)
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := st.Profiles(ctx)
	if err != nil {
		return err
	}
	var out []profileStatus
	for _, p := range ps {
		s, err := statusOf(ctx, st, p)
		if err != nil {
			return err
		}
		out = append(out, s)
	}
	closed, err := st.LockedProfiles(ctx)
	if err != nil {
		return err
	}
	for _, p := range closed {
		out = append(out, profileStatus{ID: p.ID, Label: p.Label, Locked: true})
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if out == nil {
			out = []profileStatus{}
		}
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no profiles: run carebook-cli connect")
		return nil
	}
	for _, s := range out {
		fmt.Fprintf(e.stdout, "profile %s  %s\n", s.ID, s.Label)
		if s.Locked {
			fmt.Fprintf(e.stdout, "  LOCKED: it has its own passphrase; set %s to open it\n", profilePassphraseVar)
			continue
		}
		fmt.Fprintf(e.stdout, "  server:    %s (auth %s)\n", s.Server, s.Auth)
		switch {
		case s.AccessEnded:
			fmt.Fprintf(e.stdout, "  ACCESS ENDED: the practice no longer gives you access to this record; carebook-cli remove --profile %s lists what was not sent\n", s.ID)
		case s.NeedsSignIn:
			fmt.Fprintf(e.stdout, "  NEEDS SIGN-IN: run carebook-cli signin --profile %s\n", s.ID)
		}
		last := s.LastSync
		if last == "" {
			last = "never"
		}
		fmt.Fprintf(e.stdout, "  last sync: %s\n", last)
		types := make([]string, 0, len(s.Counts))
		total := 0
		for t, n := range s.Counts {
			types = append(types, t)
			total += n
		}
		slices.Sort(types)
		fmt.Fprintf(e.stdout, "  records:   %d\n", total)
		for _, t := range types {
			fmt.Fprintf(e.stdout, "    %-22s %6d\n", t, s.Counts[t])
		}
		var parts []string
		for _, k := range []string{"pending", "failed", "conflict", "sent"} {
			parts = append(parts, fmt.Sprintf("%d %s", s.Outbox[k], k))
		}
		fmt.Fprintf(e.stdout, "  outbox:    %s\n", strings.Join(parts, ", "))
	}
	return nil
}

// notSent is the state a list gives an item waiting on a record whose
// access the practice ended: it cannot be sent.
const notSent = "not sent"

// notSentJSON is notSent in `requests --json`, `appointments --json` and
// `messages --json`, whose states are written as one word (in-progress).
const notSentJSON = "not-sent"

// printNotSent says, under a list of profileID's items, why those marked
// notSent cannot go and where to find them.
func printNotSent(w io.Writer, profileID string) {
	fmt.Fprintf(w, "not sent: the practice ended your access to this record, so Carebook cannot send what waits unless the practice gives the access back; carebook-cli remove --profile %s lists what was not sent, to copy and give the practice another way\n", profileID)
}

func statusOf(ctx context.Context, st *storage.Store, p storage.Profile) (profileStatus, error) {
	s := profileStatus{ID: p.ID, Label: p.Label, Server: p.PracticeURL, Auth: p.Settings[smart.SettingAuth],
		NeedsSignIn: p.Settings[smart.SettingNeedsSignIn] == "true", AccessEnded: app.HasAccessEnded(p), Outbox: map[string]int{}}
	if s.Auth == "" {
		s.Auth = "smart"
	}
	var err error
	if s.Counts, err = st.Counts(ctx, p.ID); err != nil {
		return s, err
	}
	// The app's mark, not the pull's: it stays when the practice ended
	// the access and the record left the device.
	if t := app.LastSync(p); !t.IsZero() {
		s.LastSync = t.Local().Format(time.RFC3339)
	}
	items, err := st.Outbox(ctx, p.ID)
	if err != nil {
		return s, err
	}
	for _, it := range items {
		s.Outbox[string(it.Status)]++
	}
	return s, nil
}
