package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/staff"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/storage"
)

// connectAs opens a new app and connects it to the practice as one of its
// demo accounts, synced.
func connectAs(t testing.TB, practice *demo.Practice, user string) (*App, string) {
	t.Helper()
	ctx := context.Background()
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return practice.As(user), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	if err := core.Sync(ctx, p.ID); err != nil {
		t.Fatalf("sync as %s: %v", user, err)
	}
	return core, p.ID
}

// slotOnServer reads a Slot as the practice holds it.
func slotOnServer(t *testing.T, practice *demo.Practice, id string) map[string]any {
	t.Helper()
	r, err := practice.Server().Store().Read(context.Background(), "Slot", id)
	if err != nil {
		t.Fatalf("slot %s: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal(r.JSON, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFreeSlots asks the practice for free times live: grouped by local
// day, each free on the server and inside the range, with the clinician's
// name and visit type; filtered by visit type and clinician; the visit
// types and clinicians the practice offers listed.
func TestFreeSlots(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")

	all, err := core.FreeSlots(ctx, id, SlotQuery{})
	if err != nil {
		t.Fatalf("FreeSlots: %v", err)
	}
	if len(all.Days) < 10 {
		t.Fatalf("%d days with free times in the next month, want most business days", len(all.Days))
	}
	names := map[string]bool{}
	for _, p := range all.Providers {
		names[p.Name] = true
	}
	if !names["Dr. Elena Park, MD"] || len(all.Providers) != 4 {
		t.Errorf("providers %+v, want the practice's four clinicians by name", all.Providers)
	}
	var video VisitType
	for _, vt := range all.VisitTypes {
		if vt.Code == "telehealth" {
			video = vt
		}
	}
	if video.Name != "Video visit" || len(all.VisitTypes) != 6 {
		t.Errorf("visit types %+v, want the six the practice offers with the video visit", all.VisitTypes)
	}
	now := time.Now()
	limit := localDay(now).AddDate(0, 0, DefaultSlotDays+1)
	for i, d := range all.Days {
		if i > 0 && !d.Day.After(all.Days[i-1].Day) {
			t.Errorf("days out of order: %v after %v", d.Day, all.Days[i-1].Day)
		}
		for _, s := range d.Slots {
			if !localDay(s.Start).Equal(d.Day) {
				t.Errorf("slot %s at %v listed under %v", s.ID, s.Start, d.Day)
			}
			if !s.Start.After(now) || !s.Start.Before(limit) {
				t.Errorf("slot %s at %v outside the range", s.ID, s.Start)
			}
			if s.Provider.Name == "" || s.VisitType.Name == "" || s.Location == "" {
				t.Errorf("slot %+v lacks a clinician, visit type or place", s)
			}
		}
	}
	first := all.Days[0].Slots[0]
	if st := slotOnServer(t, practice, first.ID)["status"]; st != "free" {
		t.Errorf("slot %s offered as free is %v on the server", first.ID, st)
	}

	// One visit type with one clinician, a week.
	from := localDay(now).AddDate(0, 0, 1)
	q := SlotQuery{From: from, To: from.AddDate(0, 0, 6), VisitType: "telehealth", Provider: "Practitioner/dr-park"}
	some, err := core.FreeSlots(ctx, id, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(some.Slots()) == 0 {
		t.Fatal("no free video visit with Dr. Park in a week")
	}
	for _, s := range some.Slots() {
		if s.VisitType.Code != "telehealth" || s.Provider.Ref != "Practitioner/dr-park" || s.Start.Before(from) ||
			!s.Start.Before(from.AddDate(0, 0, 7)) {
			t.Errorf("filtered search gave %+v", s)
		}
	}
	// The name of the visit type works as well as its code.
	byName, err := core.FreeSlots(ctx, id, SlotQuery{From: q.From, To: q.To, VisitType: "video visit", Provider: q.Provider})
	if err != nil || len(byName.Slots()) != len(some.Slots()) {
		t.Errorf("by name: %d slots (%v), by code %d", len(byName.Slots()), err, len(some.Slots()))
	}

	// Bad ranges are bad input, asked of no one.
	for _, bad := range []SlotQuery{{From: from, To: from.AddDate(0, 0, -1)}, {From: from, To: from.AddDate(0, 0, MaxSlotDays+1)}} {
		if _, err := core.FreeSlots(ctx, id, bad); !errorsIs(err, ErrInvalidInput) {
			t.Errorf("FreeSlots(%v..%v) = %v, want ErrInvalidInput", bad.From, bad.To, err)
		}
	}

	// Offline: the practice can't be asked.
	practice.Close()
	if _, err := core.FreeSlots(ctx, id, SlotQuery{}); !errorsIs(err, ErrOffline) {
		t.Errorf("FreeSlots offline = %v, want ErrOffline", err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// freeSlot finds a free time of visit type code at least after from now,
// asked through the app as the booking screen does.
func freeSlot(t *testing.T, core *App, id, code string, after time.Duration, skip ...string) FreeSlot {
	t.Helper()
	ft, err := core.FreeSlots(context.Background(), id, SlotQuery{VisitType: code})
	if err != nil {
		t.Fatalf("FreeSlots: %v", err)
	}
	for _, s := range ft.Slots() {
		if s.Start.After(time.Now().Add(after)) && !slices.Contains(skip, s.ID) {
			return s
		}
	}
	t.Fatalf("no free %s time after %v", code, after)
	return FreeSlot{}
}

// TestBookMoveCancel books a free time, moves it and cancels it with the
// real practice over HTTP: the practice's Slots follow (busy, then free
// again), the appointment shows with its state, place and phone, and its
// calendar file reads back with the right times and place.
func TestBookMoveCancel(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")

	slot := freeSlot(t, core, id, "sick-visit", 48*time.Hour)
	sub, err := core.Book(ctx, id, BookRequest{Slot: slot, Reason: "Sore throat for a week"})
	if err != nil {
		t.Fatalf("Book: %v", err)
	}
	apptID, ok := strings.CutPrefix(sub.Ref, "Appointment/")
	if !ok {
		t.Fatalf("Book gave %+v, want the practice's Appointment", sub)
	}
	if st := slotOnServer(t, practice, slot.ID)["status"]; st != "busy" {
		t.Errorf("booked slot is %v on the server", st)
	}
	ap, err := core.Appointment(ctx, id, apptID)
	if err != nil {
		t.Fatal(err)
	}
	if ap.State != StateBooked || !ap.Start.Equal(slot.Start) || ap.Provider != slot.Provider.Name ||
		ap.Reason != "Sore throat for a week" || ap.Address == "" || ap.Phone == "" || !strings.Contains(ap.Instruction, "insurance card") {
		t.Errorf("booked appointment shows %+v", ap)
	}
	list, err := core.Appointments(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list.Upcoming, func(a Appointment) bool { return a.ID == apptID }) {
		t.Errorf("the booking is not among the upcoming appointments: %+v", list.Upcoming)
	}

	// The calendar file, read back by the library.
	data, name, err := core.AppointmentICS(ctx, id, apptID)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse the .ics: %v\n%s", err, data)
	}
	events := cal.Events()
	if len(events) != 1 || !strings.HasSuffix(name, ".ics") {
		t.Fatalf("%d events in %s", len(events), name)
	}
	start, err1 := events[0].GetStartAt()
	end, err2 := events[0].GetEndAt()
	if err1 != nil || err2 != nil || !start.Equal(slot.Start) || !end.Equal(slot.End) || start.Location() != time.UTC {
		t.Errorf(".ics runs %v – %v (%v %v), want %v – %v in UTC", start, end, err1, err2, slot.Start, slot.End)
	}
	if loc := events[0].GetProperty(ics.ComponentPropertyLocation); loc == nil || !strings.Contains(loc.Value, ap.Address) {
		t.Errorf(".ics location %v, want the address %q", loc, ap.Address)
	}
	if alarms := events[0].Alarms(); len(alarms) != 1 || alarms[0].GetProperty(ics.ComponentPropertyTrigger).Value != "-PT60M" {
		t.Errorf(".ics alarms %+v, want one an hour before", alarms)
	}

	// Move it to another free time.
	other := freeSlot(t, core, id, "sick-visit", 48*time.Hour, slot.ID)
	if _, err := core.Move(ctx, id, apptID, other); err != nil {
		t.Fatalf("Move: %v", err)
	}
	if st := slotOnServer(t, practice, slot.ID)["status"]; st != "free" {
		t.Errorf("the old slot is %v after the move", st)
	}
	if st := slotOnServer(t, practice, other.ID)["status"]; st != "busy" {
		t.Errorf("the new slot is %v after the move", st)
	}
	if ap, _ = core.Appointment(ctx, id, apptID); !ap.Start.Equal(other.Start) || ap.Slot != other.ID {
		t.Errorf("after the move the appointment shows %v (slot %s), want %v", ap.Start, ap.Slot, other.Start)
	}

	// Cancel it.
	if _, err := core.Cancel(ctx, id, apptID, "Feeling better"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if st := slotOnServer(t, practice, other.ID)["status"]; st != "free" {
		t.Errorf("the slot is %v after the cancellation", st)
	}
	if ap, _ = core.Appointment(ctx, id, apptID); ap.State != StateCancelled || ap.Upcoming(time.Now()) {
		t.Errorf("after cancelling: %+v", ap)
	}
	// Nothing more to change: bad input, nothing stored.
	if _, err := core.Cancel(ctx, id, apptID, ""); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("cancelling twice = %v, want ErrInvalidInput", err)
	}
}

// TestTwoPatientsRaceForOneSlot: two patients book the same time at once;
// exactly one gets it, the other the practice's words and other times.
func TestTwoPatientsRaceForOneSlot(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	maya, mayaID := connectAs(t, practice, "maya")
	jose, joseID := connectAs(t, practice, "jose")
	slot := freeSlot(t, maya, mayaID, "follow-up", 48*time.Hour)

	type result struct {
		sub Submitted
		err error
	}
	results := make(chan result, 2)
	startLine := make(chan struct{})
	for _, p := range []struct {
		core *App
		id   string
	}{{maya, mayaID}, {jose, joseID}} {
		go func() {
			<-startLine
			sub, err := p.core.Book(ctx, p.id, BookRequest{Slot: slot})
			results <- result{sub, err}
		}()
	}
	close(startLine)
	var won, lost int
	for range 2 {
		r := <-results
		var refused *RefusedError
		switch {
		case r.err == nil && strings.HasPrefix(r.sub.Ref, "Appointment/"):
			won++
		case errors.As(r.err, &refused) && refused.Conflict:
			lost++
			if !strings.Contains(refused.Message, "just taken by someone else") {
				t.Errorf("the loser reads %q", refused.Message)
			}
		default:
			t.Errorf("booking outcome %+v %v", r.sub, r.err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d won and %d lost the race, want one each", won, lost)
	}
	near, err := jose.NearestFreeSlots(ctx, joseID, slot, 4)
	if err != nil || len(near) == 0 {
		t.Fatalf("nearest free times: %v %v", near, err)
	}
	for _, s := range near {
		if s.ID == slot.ID || s.VisitType.Code != "follow-up" || s.Start.Sub(slot.Start).Abs() > nearestDays*24*time.Hour {
			t.Errorf("nearest time %+v for %v", s, slot.Start)
		}
	}
}

// TestBookingRequestedThenConfirmed: the practice approves annual
// physicals itself: the booking shows as requested until its staff
// confirm it, then as booked after a sync.
func TestBookingRequestedThenConfirmed(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")
	slot := freeSlot(t, core, id, "annual-physical", 48*time.Hour)
	sub, err := core.Book(ctx, id, BookRequest{Slot: slot})
	if err != nil {
		t.Fatal(err)
	}
	apptID := strings.TrimPrefix(sub.Ref, "Appointment/")
	if ap, _ := core.Appointment(ctx, id, apptID); ap.State != StateRequested {
		t.Fatalf("an annual physical shows %q before the practice confirms it", ap.State)
	}
	// The staff confirm what waited long enough (their delay is an hour).
	if err := staffStepAt(practice, time.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ap, _ := core.Appointment(ctx, id, apptID); ap.State != StateBooked {
		t.Errorf("after the practice confirmed it: %q", ap.State)
	}
}

// TestCancelInside24HoursRefused: the practice refuses a cancellation less
// than 24 hours ahead with its words; the app shows them with its phone.
func TestCancelInside24HoursRefused(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")
	soon := addSlotSoon(t, practice, 5*time.Hour)
	sub, err := core.Book(ctx, id, BookRequest{Slot: FreeSlot{ID: soon}})
	if err != nil {
		t.Fatalf("book the time in 5 hours: %v", err)
	}
	apptID := strings.TrimPrefix(sub.Ref, "Appointment/")
	_, err = core.Cancel(ctx, id, apptID, "")
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Message, "less than 24 hours") {
		t.Fatalf("cancel 5 hours ahead = %v, want the practice's refusal", err)
	}
	ap, _ := core.Appointment(ctx, id, apptID)
	if ap.State != StateBooked || !strings.Contains(ap.Problem, "less than 24 hours") || ap.PracticePhone == "" {
		t.Errorf("after the refusal the appointment shows %+v", ap)
	}
}

// TestBookOfflineSentLater: a booking the practice could not take yet is
// kept (waiting: the time is not held) and goes out with a later sync.
func TestBookOfflineSentLater(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	clock := &testClock{now: time.Now()}
	core, id := connectAs(t, practice, "maya")
	core.cfg.Now = clock.Now
	slot := freeSlot(t, core, id, "follow-up", 48*time.Hour)
	practice.Server().Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/Appointment"})
	sub, err := core.Book(ctx, id, BookRequest{Slot: slot, Reason: "Check-up"})
	if !errors.Is(err, ErrQueued) || sub.LocalID == "" {
		t.Fatalf("booking with the practice failing = %+v %v, want ErrQueued", sub, err)
	}
	ap, err := core.Appointment(ctx, id, sub.LocalID)
	if err != nil || ap.State != StateWaiting || !ap.Start.Equal(slot.Start) || ap.Provider == "" {
		t.Fatalf("waiting booking shows %+v %v", ap, err)
	}
	if st := slotOnServer(t, practice, slot.ID)["status"]; st != "free" {
		t.Errorf("the time is %v at the practice before the booking reached it", st)
	}
	practice.Server().Faults().Set(faults.Config{})
	clock.Add(2 * time.Hour) // past the outbox's wait before trying again
	if err := core.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	list, _ := core.Appointments(ctx, id)
	var found Appointment
	for _, a := range list.Upcoming {
		if a.Start.Equal(slot.Start) {
			found = a
		}
	}
	if found.ID == "" || found.State != StateBooked || found.LocalID != sub.LocalID {
		t.Errorf("after the sync the booking shows %+v", found)
	}
	if st := slotOnServer(t, practice, slot.ID)["status"]; st != "busy" {
		t.Errorf("the time is %v at the practice after the sync", st)
	}
}

// staffStepAt runs one pass of the practice's staff as if it were at.
func staffStepAt(practice *demo.Practice, at time.Time) error {
	w := staff.New(practice.Server().Store(), staff.Config{Delay: time.Hour, Now: func() time.Time { return at }})
	return w.Step(context.Background())
}

// addSlotSoon adds a free sick-visit Slot of Dr. Park starting in d.
func addSlotSoon(t *testing.T, practice *demo.Practice, d time.Duration) string {
	t.Helper()
	start := time.Now().Add(d).Truncate(time.Minute).UTC()
	id := "soon-" + start.Format("20060102-1504")
	body, _ := json.Marshal(map[string]any{"resourceType": "Slot", "status": "free",
		"schedule":    map[string]any{"reference": "Schedule/sched-dr-park-sick-visit"},
		"serviceType": []any{map[string]any{"coding": []any{map[string]any{"system": "http://carebook.app/fhir/CodeSystem/visit-type", "code": "sick-visit", "display": "Sick visit"}}}},
		"start":       start.Format(time.RFC3339), "end": start.Add(20 * time.Minute).Format(time.RFC3339)})
	if _, err := practice.Server().Store().Put(context.Background(), "Slot", id, body); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestExactlyOnceUnderDroppedReplies books and cancels 100 times each
// while the practice drops a third of the replies to writes after
// carrying them out: every booking exists once at the practice, every
// cancellation took, and every time is free again.
func TestExactlyOnceUnderDroppedReplies(t *testing.T) {
	if testing.Short() {
		t.Skip("200 actions against the practice")
	}
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")
	n := longLoop(40, 100) // 100 with CAREBOOK_LONG=1 (make test-long)
	ft, err := core.FreeSlots(ctx, id, SlotQuery{From: time.Now().AddDate(0, 0, 2), To: time.Now().AddDate(0, 0, 40)})
	if err != nil {
		t.Fatal(err)
	}
	slots := ft.Slots()
	if len(slots) < n {
		t.Fatalf("only %d free times", len(slots))
	}
	// The client's own retries after a lost reply wait less than in the
	// app (not what is tested here; the outcome is).
	old := clientOptions
	clientOptions.MinBackoff, clientOptions.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
	t.Cleanup(func() { clientOptions = old })
	practice.Server().Faults().Set(faults.Config{DropReplyAfterCommitRate: 0.33, OnlyPaths: "/fhir/Appointment", Seed: 7})
	// until retries an action the practice may or may not have carried
	// out until it has a definite answer, as the patient would tap Retry.
	dropped := 0
	until := func(sub Submitted, err error) (Submitted, error) {
		for tries := 0; errors.Is(err, ErrQueued); tries++ {
			if tries > 20 {
				t.Fatalf("still not sent after %d tries: %v", tries, err)
			}
			dropped++
			sub, err = core.RetryOutboxItem(ctx, id, sub.Seq)
		}
		return sub, err
	}
	var booked []string
	for _, s := range slots[:n] {
		sub, err := until(core.Book(ctx, id, BookRequest{Slot: s}))
		if err != nil {
			t.Fatalf("book %s: %v", s.ID, err)
		}
		booked = append(booked, strings.TrimPrefix(sub.Ref, "Appointment/"))
	}
	for _, appt := range booked {
		if _, err := until(core.Cancel(ctx, id, appt, "")); err != nil {
			t.Fatalf("cancel %s: %v", appt, err)
		}
	}
	practice.Server().Faults().Set(faults.Config{})
	t.Logf("%d bookings and %d cancellations; %d replies lost and the action tried again", n, n, dropped)
	if dropped == 0 {
		t.Fatal("no reply was dropped: the test did not test anything")
	}
	for i, s := range slots[:n] {
		q, _, err := store.ParseQuery("Appointment", url.Values{"slot": {"Slot/" + s.ID}}, false)
		if err != nil {
			t.Fatal(err)
		}
		rs, _, err := practice.Server().Store().Search(ctx, "Appointment", q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].ID != booked[i] {
			t.Errorf("time %s: %d appointments at the practice, want exactly the one booked (%s)", s.ID, len(rs), booked[i])
			continue
		}
		var m struct{ Status string }
		json.Unmarshal(rs[0].JSON, &m)
		if m.Status != "cancelled" || slotOnServer(t, practice, s.ID)["status"] != "free" {
			t.Errorf("time %s: appointment %s, slot %v", s.ID, m.Status, slotOnServer(t, practice, s.ID)["status"])
		}
	}
}
