package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/app"
)

// cmdRefill asks the practice to renew a prescription: `refill --data DIR
// [--profile ID] --medication MedicationRequest/ID [--pharmacy REF|NAME]
// [--note TEXT]`.
func cmdRefill(ctx context.Context, args []string, e env) error {
	fs := newFlags("refill", e)
	pf := addProfileFlags(fs)
	med := fs.String("medication", "", "the prescription to renew: MedicationRequest/ID (or just the ID)")
	pharmacy := fs.String("pharmacy", "", "where to send it: Organization/ID or a pharmacy's name (default: the preferred pharmacy)")
	note := fs.String("note", "", "a note for the office")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *med == "" {
		return usagef("--medication is required")
	}
	about := *med
	if !strings.Contains(about, "/") {
		about = "MedicationRequest/" + about
	}
	return sendRequest(ctx, e, pf, app.RequestInput{
		Kind: app.RequestRefill, About: about, Pharmacy: *pharmacy, Note: *note,
	})
}

// requestTypes maps `request --type` to the kinds of request.
var requestTypes = map[string]app.RequestKind{
	"copy":       app.RequestLabReportCopy,
	"referral":   app.RequestReferral,
	"correction": app.RequestCorrection,
}

// cmdRequest makes another request: `request --data DIR [--profile ID]
// --type copy|referral|correction [--about TYPE/ID] [--text TEXT] [--wrong
// TEXT] [--should-say TEXT] [--note TEXT]`.
func cmdRequest(ctx context.Context, args []string, e env) error {
	fs := newFlags("request", e)
	pf := addProfileFlags(fs)
	typ := fs.String("type", "", "copy (of a lab report), referral or correction (of the record)")
	about := fs.String("about", "", "the entry it is about: DiagnosticReport/ID (copy; default the latest reports), Condition/ID (referral), any entry (correction)")
	text := fs.String("text", "", "referral: what it is for, e.g. \"dermatologist for a mole check\"")
	wrong := fs.String("wrong", "", "correction: what is wrong in the entry (required)")
	shouldSay := fs.String("should-say", "", "correction: what it should say")
	note := fs.String("note", "", "a note for the office")
	if err := parse(fs, args); err != nil {
		return err
	}
	kind, ok := requestTypes[*typ]
	if !ok {
		return usagef("--type must be copy, referral or correction")
	}
	return sendRequest(ctx, e, pf, app.RequestInput{
		Kind: kind, About: *about, Text: *text, Wrong: *wrong, ShouldSay: *shouldSay, Note: *note,
	})
}

// sendRequest opens the app, sends the request through its use case and
// reports the outcome with the action exit codes.
func sendRequest(ctx context.Context, e env, pf profileFlags, in app.RequestInput) error {
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	sub, err := a.SendRequest(ctx, p.ID, in)
	return reportAction(e, sub, err)
}

// requestJSON is one request in `requests --json`.
type requestJSON struct {
	ID        *string       `json:"id"`       // the practice's Task id; null while not accepted
	LocalID   *string       `json:"local_id"` // "local-N" when made on this device, else null
	Type      string        `json:"type"`     // refill, lab-report-copy, referral, record-correction
	Title     string        `json:"title"`
	About     string        `json:"about,omitempty"`
	State     string        `json:"state"` // waiting, not-sent, sent, received, in-progress, done, declined, cancelled, failed
	Words     string        `json:"practice_says,omitempty"`
	Pharmacy  string        `json:"pharmacy,omitempty"`
	Note      string        `json:"note,omitempty"`
	Outcomes  []outcomeJSON `json:"outcomes,omitempty"`
	CreatedAt string        `json:"created_at,omitempty"`
	UpdatedAt string        `json:"updated_at,omitempty"`
	Open      bool          `json:"open"`
	// AccessEnded: the practice ended this access to the record, so
	// what waited is not-sent.
	AccessEnded bool `json:"access_ended,omitempty"`
	// MayHaveReached: it waits, and an attempt of it may already have
	// reached the practice (app.OutboxEntry.MayHaveReached).
	MayHaveReached bool `json:"may_have_reached,omitempty"`
}

type outcomeJSON struct {
	Label string `json:"label"`
	Ref   string `json:"ref,omitempty"`
	Name  string `json:"name,omitempty"`
}

// cmdRequests lists the requests with their states: `requests --data DIR
// [--profile ID] [--json]`.
func cmdRequests(ctx context.Context, args []string, e env) error {
	fs := newFlags("requests", e)
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
	list, err := a.Requests(ctx, p.ID)
	if err != nil {
		return err
	}
	rs := list.Items
	if *asJSON {
		out := make([]requestJSON, 0, len(rs))
		for _, r := range rs {
			j := toRequestJSON(r)
			if list.AccessEnded {
				j.AccessEnded = true
				if r.State == app.RequestWaiting {
					j.State = notSentJSON
				}
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(rs) == 0 {
		fmt.Fprintln(e.stdout, "no requests")
		return nil
	}
	unsent := false
	for _, r := range rs {
		name := "Task/" + r.ID
		if r.ID == "" {
			name = r.LocalID
		}
		state := string(r.State)
		if r.State == app.RequestWaiting && list.AccessEnded {
			state, unsent = notSent, true
		}
		line := fmt.Sprintf("%-24s %-12s %s", name, state, r.Title)
		if r.Words != "" {
			line += " — " + r.Words
		}
		fmt.Fprintln(e.stdout, line)
		for _, o := range r.Outcomes {
			fmt.Fprintf(e.stdout, "%-24s %-12s %s: %s %s\n", "", "", o.Label, o.Name, o.Ref)
		}
	}
	if unsent {
		printNotSent(e.stdout, p.ID)
	}
	return nil
}

func toRequestJSON(r app.Request) requestJSON {
	j := requestJSON{
		Type: string(r.Kind), Title: r.Title, About: r.About, State: string(r.State),
		Words: r.Words, Pharmacy: r.Pharmacy, Note: r.Note, Open: r.State.Open(),
		CreatedAt: utc(r.Created), UpdatedAt: utc(r.Updated), MayHaveReached: r.MayHaveReached,
	}
	if r.ID != "" {
		id := r.ID
		j.ID = &id
	}
	if r.LocalID != "" {
		local := r.LocalID
		j.LocalID = &local
	}
	for _, o := range r.Outcomes {
		j.Outcomes = append(j.Outcomes, outcomeJSON(o))
	}
	return j
}

// utc formats t in UTC RFC 3339, "" for the zero time.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
