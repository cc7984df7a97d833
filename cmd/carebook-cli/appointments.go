package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/carebook/carebook/app"
)

// cmdSlots prints the free times the practice offers now (app.FreeSlots),
// asked live: exit 4 when it cannot be reached.
func cmdSlots(ctx context.Context, args []string, e env) error {
	fs := newFlags("slots", e)
	pf := addProfileFlags(fs)
	from := fs.String("from", "", "first day, YYYY-MM-DD in local time (default: today)")
	to := fs.String("to", "", "last day, YYYY-MM-DD, included (default: 30 days after the first)")
	typ := fs.String("type", "", "visit type, its code or name (default: any)")
	provider := fs.String("provider", "", "clinician, TYPE/ID such as Practitioner/dr-park (default: anyone)")
	asJSON := fs.Bool("json", false, "print a JSON array of free times")
	if err := parse(fs, args); err != nil {
		return err
	}
	var q app.SlotQuery
	var err error
	if q.From, err = localDate("--from", *from); err != nil {
		return err
	}
	if q.To, err = localDate("--to", *to); err != nil {
		return err
	}
	if *provider != "" && !validRef(*provider) {
		return usagef("--provider %q: want TYPE/ID, e.g. Practitioner/dr-park", *provider)
	}
	q.VisitType, q.Provider = strings.TrimSpace(*typ), *provider

	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	ft, err := a.FreeSlots(ctx, p.ID, q)
	if err != nil {
		return err
	}
	if *asJSON {
		return printSlotsJSON(e.stdout, ft.Slots())
	}
	printSlots(e.stdout, ft)
	return nil
}

// localDate reads a YYYY-MM-DD day in the local time zone ("" is zero).
func localDate(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, time.Local)
	if err != nil {
		return time.Time{}, usagef("%s %q: want YYYY-MM-DD", flagName, s)
	}
	return t, nil
}

// slotJSON is one free time in `slots --json`.
type slotJSON struct {
	ID          string `json:"id"` // the Slot's id, for book --slot and move --slot
	Start       string `json:"start"`
	End         string `json:"end"`
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref"`
	Type        string `json:"type"`
	TypeCode    string `json:"type_code"`
	Location    string `json:"location,omitempty"`
}

func printSlotsJSON(w io.Writer, slots []app.FreeSlot) error {
	out := []slotJSON{}
	for _, s := range slots {
		out = append(out, slotJSON{
			ID: s.ID, Start: s.Start.UTC().Format(time.RFC3339), End: s.End.UTC().Format(time.RFC3339),
			Provider: s.Provider.Name, ProviderRef: s.Provider.Ref, Type: s.VisitType.Name, TypeCode: s.VisitType.Code,
			Location: s.Location,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func printSlots(w io.Writer, ft app.FreeTimes) {
	if len(ft.Days) == 0 {
		fmt.Fprintf(w, "no free time from %s to %s\n", ft.From.Format(time.DateOnly), ft.To.Format(time.DateOnly))
		return
	}
	for _, d := range ft.Days {
		fmt.Fprintln(w, d.Day.Format("Monday 2 January 2006"))
		for _, s := range d.Slots {
			fmt.Fprintf(w, "  %s-%s  %-26s %-18s %s\n", s.Start.Local().Format("15:04"), s.End.Local().Format("15:04"),
				s.Provider.Name, s.VisitType.Name, s.ID)
		}
	}
}

// cmdBook books a free time by its Slot id (app.Book). When the time was
// taken meanwhile the practice's words go to stderr with the nearest free
// times, and the exit code is 6.
func cmdBook(ctx context.Context, args []string, e env) error {
	fs := newFlags("book", e)
	pf := addProfileFlags(fs)
	slot := fs.String("slot", "", "SLOT_ID of a free time (carebook-cli slots lists them)")
	reason := fs.String("reason", "", "the reason for the visit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *slot == "" {
		return usagef("book needs --slot SLOT_ID (carebook-cli slots lists the free times)")
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	sub, err := a.Book(ctx, p.ID, app.BookRequest{Slot: app.FreeSlot{ID: *slot}, Reason: *reason})
	if err == nil {
		if ap, aerr := a.Appointment(ctx, p.ID, strings.TrimPrefix(sub.Ref, "Appointment/")); aerr == nil && ap.State == app.StateRequested {
			fmt.Fprintln(e.stderr, "requested: the practice will confirm this time")
		}
	}
	if errors.Is(err, app.ErrQueued) {
		fmt.Fprintln(e.stderr, "stored, not sent yet: this time is not held for you until the practice has your booking")
	}
	offerNearest(ctx, a, p.ID, *slot, err, e)
	return reportAction(e, sub, err)
}

// offerNearest prints the nearest free times to stderr after a booking or
// move the practice refused because the time was taken.
func offerNearest(ctx context.Context, a *app.App, profileID, slotID string, err error, e env) {
	var refused *app.RefusedError
	if !errors.As(err, &refused) || !refused.Conflict {
		return
	}
	near, nerr := a.NearestFreeSlots(ctx, profileID, app.FreeSlot{ID: slotID}, 5)
	if nerr != nil || len(near) == 0 {
		return
	}
	fmt.Fprintln(e.stderr, "the nearest free times:")
	for _, s := range near {
		fmt.Fprintf(e.stderr, "  %s  %s  %s  %s\n", s.Start.Local().Format("Mon 2 Jan 15:04"), s.Provider.Name, s.VisitType.Name, s.ID)
	}
}

// cmdMove moves an appointment to another free time (app.Move).
func cmdMove(ctx context.Context, args []string, e env) error {
	fs := newFlags("move", e)
	pf := addProfileFlags(fs)
	appt := fs.String("appointment", "", "APPOINTMENT_ID (carebook-cli appointments lists them)")
	slot := fs.String("slot", "", "SLOT_ID of the new time")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" || *slot == "" {
		return usagef("move needs --appointment ID and --slot SLOT_ID")
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	sub, err := a.Move(ctx, p.ID, strings.TrimPrefix(*appt, "Appointment/"), app.FreeSlot{ID: *slot})
	offerNearest(ctx, a, p.ID, *slot, err, e)
	return reportAction(e, sub, err)
}

// cmdCancel cancels an appointment with a reason (app.Cancel).
func cmdCancel(ctx context.Context, args []string, e env) error {
	fs := newFlags("cancel", e)
	pf := addProfileFlags(fs)
	appt := fs.String("appointment", "", "APPOINTMENT_ID (carebook-cli appointments lists them)")
	reason := fs.String("reason", "", "why it is cancelled")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" {
		return usagef("cancel needs --appointment ID")
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	sub, err := a.Cancel(ctx, p.ID, strings.TrimPrefix(*appt, "Appointment/"), *reason)
	var refused *app.RefusedError
	if errors.As(err, &refused) {
		if ap, aerr := a.Appointment(ctx, p.ID, strings.TrimPrefix(*appt, "Appointment/")); aerr == nil && ap.PracticePhone != "" {
			fmt.Fprintln(e.stderr, "the practice's phone number: "+ap.PracticePhone)
		}
	}
	return reportAction(e, sub, err)
}

// appointmentJSON is one appointment in `appointments --json`.
type appointmentJSON struct {
	ID       *string `json:"id"`       // the practice's id; null while queued
	LocalID  *string `json:"local_id"` // "local-N" while not accepted, else null
	State    string  `json:"state"`    // waiting, not-sent, requested, booked, cancelled, missed, done, failed
	Start    *string `json:"start"`
	End      *string `json:"end"`
	Slot     string  `json:"slot,omitempty"` // the booked time's Slot id
	Type     string  `json:"type,omitempty"`
	Provider string  `json:"provider,omitempty"`
	Location string  `json:"location,omitempty"`
	Address  string  `json:"address,omitempty"`
	Phone    string  `json:"phone,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	JoinURL  string  `json:"join_url,omitempty"`
	Change   string  `json:"change,omitempty"`
	Error    string  `json:"error,omitempty"`
	Upcoming bool    `json:"upcoming"`
	// Questions counts the practice's questionnaires for the visit not
	// answered yet (carebook-cli questionnaire shows them).
	Questions int `json:"questions_to_answer,omitempty"`
	// AccessEnded: the practice ended this access to the record, so
	// what waited is not-sent.
	AccessEnded bool `json:"access_ended,omitempty"`
	// MayHaveReached: it waits, and an attempt of it may already have
	// reached the practice (app.OutboxEntry.MayHaveReached).
	MayHaveReached bool `json:"may_have_reached,omitempty"`
}

// cmdAppointments lists the profile's appointments with their states, from
// the cache (app.Appointments).
func cmdAppointments(ctx context.Context, args []string, e env) error {
	fs := newFlags("appointments", e)
	pf := addProfileFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array of appointments")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Appointments(ctx, p.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		out := []appointmentJSON{}
		for _, group := range []struct {
			list     []app.Appointment
			upcoming bool
		}{{list.Upcoming, true}, {list.Past, false}} {
			for _, ap := range group.list {
				state := ap.State
				if list.AccessEnded && ap.State == app.StateWaiting {
					state = notSentJSON
				}
				out = append(out, appointmentJSON{
					ID: optional(ap.ID), LocalID: optional(ap.LocalID), State: state, AccessEnded: list.AccessEnded, MayHaveReached: ap.MayHaveReached,
					Start: utcTime(ap.Start), End: utcTime(ap.End), Slot: ap.Slot, Type: ap.VisitType, Provider: ap.Provider,
					Location: ap.Location, Address: ap.Address, Phone: firstNonEmpty(ap.Phone, ap.PracticePhone),
					Reason: ap.Reason, JoinURL: ap.JoinURL, Change: ap.Change, Error: ap.Problem, Upcoming: group.upcoming,
					Questions: ap.QuestionsToAnswer,
				})
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printAppointments(e.stdout, list, p.ID)
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// printAppointments lists profileID's appointments for a person to read.
func printAppointments(w io.Writer, list app.Appointments, profileID string) {
	if len(list.Upcoming)+len(list.Past) == 0 {
		fmt.Fprintln(w, "no appointments")
		return
	}
	unsent := false
	for _, group := range []struct {
		title string
		list  []app.Appointment
	}{{"coming up", list.Upcoming}, {"past", list.Past}} {
		if len(group.list) == 0 {
			continue
		}
		fmt.Fprintln(w, group.title+":")
		for _, ap := range group.list {
			when := "time to be set"
			if !ap.Start.IsZero() {
				when = ap.Start.Local().Format("Mon 2 Jan 2006 15:04")
			}
			state := ap.State
			if list.AccessEnded && ap.State == app.StateWaiting {
				state, unsent = notSent, true
			}
			fmt.Fprintf(w, "  %s  %-10s %s  [%s]\n", when, state, ap.Title(), firstNonEmpty(ap.ID, ap.LocalID))
			questions := ""
			if ap.QuestionsToAnswer > 0 && group.title == "coming up" {
				questions = "questions to answer before the visit: carebook-cli questionnaire --appointment " + ap.ID
			}
			for _, line := range []string{ap.WhereText(), ap.JoinURL, ap.Change, ap.Problem, questions} {
				if line != "" {
					fmt.Fprintln(w, "      "+line)
				}
			}
		}
	}
	if unsent {
		printNotSent(w, profileID)
	}
}
