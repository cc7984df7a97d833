package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/staff"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/storage"
)

// startPractice starts the reference practice in-process on 127.0.0.1.
func startPractice(t *testing.T) *demo.Practice {
	t.Helper()
	p, err := demo.Start(context.Background(), demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// bookingCore is the real app core connected to the practice as user,
// synced, with the browser it opens recorded.
type bookingCore struct {
	*app.App
	profile string
	mu      sync.Mutex
	opened  []string
}

func (c *bookingCore) browsed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.opened...)
}

func connectCore(t *testing.T, practice *demo.Practice, user string) *bookingCore {
	t.Helper()
	ctx := context.Background()
	c := &bookingCore{}
	core, err := app.Open(app.Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (app.DemoPractice, error) { return practice.As(user), nil },
		OpenBrowser: func(u string) error { c.mu.Lock(); c.opened = append(c.opened, u); c.mu.Unlock(); return nil },
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
		t.Fatal(err)
	}
	if err := core.Sync(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	c.App, c.profile = core, p.ID
	return c
}

// openVisits shows the visits section of core's record in a test window of
// size, loads run inline.
func openVisits(t *testing.T, core *bookingCore, size fyne.Size) (*recordView, fyne.Window) {
	t.Helper()
	v := buildRecordView(core.App, core.profile, nil, true)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	t.Cleanup(w.Close)
	w.Resize(size)
	v.ShowSection("visits")
	return v, w
}

// pickTime chooses a visit type in the booking page, then taps the first
// free time at least after from now, and returns its button text.
func pickTime(t *testing.T, w fyne.Window, visitType string, after time.Duration, shot ...string) string {
	t.Helper()
	var types *widget.Select
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && types == nil && strings.Contains(strings.Join(s.Options, "|"), "Sick visit") {
			types = s
		}
	})
	if types == nil {
		t.Fatalf("no visit type choice; screen shows: %s", shownText(w.Content()))
	}
	types.SetSelected(visitType)
	limit := time.Now().Add(after)
	var pick, last *wrapButton // the first time after limit; the last shown
	var day time.Time
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			if d, err := time.ParseInLocation("Monday, January 2, 2006", x.Text, time.Local); err == nil {
				day = d
			}
		case *wrapButton:
			clockText, _, _ := strings.Cut(x.Text(), " · ")
			if pick != nil || day.IsZero() || !strings.HasSuffix(clockText, "M") {
				return
			}
			clock, err := time.ParseInLocation("3:04 PM", clockText, time.Local)
			if err != nil {
				return
			}
			last = x
			if time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, time.Local).After(limit) {
				pick = x
			}
		}
	})
	if pick == nil && last != nil {
		// The screen lists the next few days' times: late in the day,
		// none may be that far ahead. The last one shown is the latest.
		pick = last
	}
	if pick == nil {
		t.Fatalf("no free %s time after %v; screen shows: %s", visitType, after, shownText(w.Content()))
	}
	for _, name := range shot {
		screenshot(t, w, name)
	}
	text := pick.Text()
	test.Tap(pick.button)
	return text
}

func typeReason(t *testing.T, w fyne.Window, reason string) {
	t.Helper()
	test.Type(reasonEntry(t, w), reason)
}

// TestBookMoveCancelInTheVisits is a patient booking a visit in the visits
// section, at phone and desktop size, against the practice over HTTP:
// choose what for, pick a free time, give a reason, book; then move it and
// cancel it. The practice's Slots follow.
func TestBookMoveCancelInTheVisits(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			practice := startPractice(t)
			core := connectCore(t, practice, "maya")
			_, w := openVisits(t, core, sz.size)
			assertShows(t, w, "Book a visit", "Coming up", "Follow-up visit")

			test.Tap(findButton(t, w.Content(), "Book a visit"))
			assertShows(t, w, "What is the visit for?", "Any kind of visit", "Anyone", "free times from")
			picked := pickTime(t, w, "Sick visit", 48*time.Hour, "booking-1-free-times-"+sz.name)
			assertShows(t, w, "Sick visit", "Book this time?")
			screenshot(t, w, "booking-2-confirm-"+sz.name)
			typeReason(t, w, "Sore throat for a week")
			assertFits(t, w)
			assertMinFits(t, w, sz.size.Width)
			assertTouchTargets(t, w)
			test.Tap(findButton(t, w.Content(), "Book this time"))

			// The new appointment's details open, booked.
			assertShows(t, w, "Status: Booked", "Reason: Sore throat for a week", "Add to calendar", "Move", "Cancel appointment",
				"Before your visit", "Please bring your insurance card")
			assertFits(t, w)
			screenshot(t, w, "booking-3-booked-"+sz.name)
			list, err := core.Appointments(context.Background(), core.profile)
			if err != nil {
				t.Fatal(err)
			}
			var booked app.Appointment
			for _, ap := range list.Upcoming {
				if ap.Reason == "Sore throat for a week" {
					booked = ap
				}
			}
			if booked.ID == "" || !strings.HasPrefix(picked, clockText(booked.Start)) || slotStatus(t, practice, booked.Slot) != "busy" {
				t.Fatalf("picked %q, booked %+v", picked, booked)
			}

			// Add to calendar hands the .ics to the system.
			test.Tap(findButton(t, w.Content(), "Add to calendar"))
			if got := core.browsed(); len(got) != 1 || !strings.HasPrefix(got[0], "http://127.0.0.1:") {
				t.Errorf("Add to calendar opened %v", got)
			} else if resp, err := http.Get(got[0]); err != nil || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
				t.Errorf("the calendar file served: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}

			// Move it.
			test.Tap(findButton(t, w.Content(), "Move"))
			assertShows(t, w, "Move your appointment")
			pickTime(t, w, "Sick visit", 72*time.Hour)
			assertShows(t, w, "Move to this time?")
			test.Tap(findButton(t, w.Content(), "Move to this time"))
			assertShows(t, w, "Status: Booked", "Reason: Sore throat for a week")
			moved, err := core.Appointment(context.Background(), core.profile, booked.ID)
			if err != nil {
				t.Fatal(err)
			}
			if moved.Slot == booked.Slot || slotStatus(t, practice, booked.Slot) != "free" || slotStatus(t, practice, moved.Slot) != "busy" {
				t.Errorf("after the move: %+v (old slot %s)", moved, slotStatus(t, practice, booked.Slot))
			}
			assertShows(t, w, whenText(moved.Start, moved.End))

			// Cancel it.
			test.Tap(findButton(t, w.Content(), "Cancel appointment"))
			assertShows(t, w, "Cancel this appointment?")
			typeReason(t, w, "Feeling better")
			test.Tap(findButton(t, w.Content(), "Cancel appointment"))
			assertShows(t, w, "Status: Cancelled")
			if slotStatus(t, practice, moved.Slot) != "free" {
				t.Errorf("the slot is %s after cancelling", slotStatus(t, practice, moved.Slot))
			}
		})
	}
}

// slotStatus reads a Slot's status at the practice.
func slotStatus(t *testing.T, practice *demo.Practice, id string) string {
	t.Helper()
	r, err := practice.Server().Store().Read(context.Background(), "Slot", id)
	if err != nil {
		t.Fatalf("slot %s: %v", id, err)
	}
	var m struct{ Status string }
	json.Unmarshal(r.JSON, &m)
	return m.Status
}

// TestTakenTimeShowsWordsAndOtherTimes: two patients want the same time;
// the one who books second sees the practice's words and the nearest free
// times, and books one of them with one tap.
func TestTakenTimeShowsWordsAndOtherTimes(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	maya := connectCore(t, practice, "maya")
	jose := connectCore(t, practice, "jose")
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			_, w := openVisits(t, maya, sz.size)
			test.Tap(findButton(t, w.Content(), "Book a visit"))
			pickTime(t, w, "Follow-up visit", 48*time.Hour)
			// Meanwhile José books the very time Maya is looking at.
			ft, err := jose.FreeSlots(context.Background(), jose.profile, app.SlotQuery{VisitType: "follow-up"})
			if err != nil {
				t.Fatal(err)
			}
			var taken app.FreeSlot
			for _, s := range ft.Slots() {
				if s.Start.After(time.Now().Add(48*time.Hour)) && strings.Contains(shownText(w.Content()), longDateText(s.Start)+", "+clockText(s.Start)) {
					taken = s
					break
				}
			}
			if taken.ID == "" {
				t.Fatalf("the time on screen is not among José's free times; screen shows: %s", shownText(w.Content()))
			}
			if _, err := jose.Book(context.Background(), jose.profile, app.BookRequest{Slot: taken}); err != nil {
				t.Fatal(err)
			}
			test.Tap(findButton(t, w.Content(), "Book this time"))
			assertShows(t, w, "This time was just taken by someone else. Please choose another time.",
				"The nearest free times (one tap books it)")
			assertFits(t, w)
			assertMinFits(t, w, sz.size.Width)
			assertTouchTargets(t, w)
			screenshot(t, w, "booking-4-taken-"+sz.name)
			test.Tap(findButtonAfter(t, w.Content(), "The nearest free times", ""))
			assertShows(t, w, "Status: Booked")
			if n := bookingsOf(t, practice, taken.ID); n != 1 {
				t.Errorf("the taken time has %d bookings at the practice", n)
			}
		})
	}
}

// bookingsOf counts the practice's appointments of a Slot that are not
// cancelled.
func bookingsOf(t *testing.T, practice *demo.Practice, slotID string) int {
	t.Helper()
	q, _, err := store.ParseQuery("Appointment", url.Values{"slot": {"Slot/" + slotID}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, err := practice.Server().Store().Search(context.Background(), "Appointment", q)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rs {
		var m struct{ Status string }
		json.Unmarshal(r.JSON, &m)
		if m.Status != "cancelled" {
			n++
		}
	}
	return n
}

// addSoonSlot adds a free sick-visit time of Dr. Park starting in d.
func addSoonSlot(t *testing.T, practice *demo.Practice, d time.Duration, code, display string) app.FreeSlot {
	t.Helper()
	start := time.Now().Add(d).Truncate(time.Minute).UTC()
	id := "soon-" + code + "-" + start.Format("20060102-1504")
	body, _ := json.Marshal(map[string]any{"resourceType": "Slot", "status": "free",
		"schedule":    map[string]any{"reference": "Schedule/sched-dr-park-" + code},
		"serviceType": []any{map[string]any{"coding": []any{map[string]any{"system": "http://carebook.app/fhir/CodeSystem/visit-type", "code": code, "display": display}}}},
		"start":       start.Format(time.RFC3339), "end": start.Add(20 * time.Minute).Format(time.RFC3339)})
	if _, err := practice.Server().Store().Put(context.Background(), "Slot", id, body); err != nil {
		t.Fatal(err)
	}
	return app.FreeSlot{ID: id}
}

// openAppointment selects the appointment row whose title contains title.
func openAppointment(t *testing.T, v *recordView, title string) {
	t.Helper()
	selectRow(t, v, title)
}

// TestCancelInside24HoursShowsTheWords: the practice refuses to cancel an
// appointment a few hours ahead; its words and phone number show.
func TestCancelInside24HoursShowsTheWords(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := connectCore(t, practice, "maya")
	soon := addSoonSlot(t, practice, 5*time.Hour, "sick-visit", "Sick visit")
	if _, err := core.Book(context.Background(), core.profile, app.BookRequest{Slot: soon, Reason: "Fever"}); err != nil {
		t.Fatal(err)
	}
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			v, w := openVisits(t, core, sz.size)
			openAppointment(t, v, "Sick visit")
			assertShows(t, w, "Reason: Fever")
			test.Tap(findButton(t, w.Content(), "Cancel appointment"))
			test.Tap(findButton(t, w.Content(), "Cancel appointment"))
			assertShows(t, w, "Appointments can't be cancelled online less than 24 hours before they start. Please call the office.",
				"The practice's phone number: (555) 201-4400")
			assertFits(t, w)
			assertMinFits(t, w, sz.size.Width)
			assertTouchTargets(t, w)
			screenshot(t, w, "booking-5-cancel-refused-"+sz.name)
		})
	}
}

// TestBookingOfflineSentLater: a booking the practice cannot take now is
// kept, says plainly that the time is not held, and is booked by a later
// sync.
func TestBookingOfflineSentLater(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := connectCore(t, practice, "maya")
	v, w := openVisits(t, core, fyne.NewSize(360, 740))
	test.Tap(findButton(t, w.Content(), "Book a visit"))
	pickTime(t, w, "Follow-up visit", 48*time.Hour)
	// The connection goes: the practice can't be reached (nothing of it
	// answers but failures, so the booking's request never leaves).
	practice.Server().Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/"})
	test.Tap(findButton(t, w.Content(), "Book this time"))
	assertShows(t, w, "Not sent yet: this time is not held for you until Carebook sends your booking to the practice")
	screenshot(t, w, "booking-6-not-sent-phone")
	list, _ := core.Appointments(context.Background(), core.profile)
	var waiting app.Appointment
	for _, ap := range list.Upcoming {
		if ap.State == app.StateWaiting {
			waiting = ap
		}
	}
	if waiting.LocalID == "" || slotStatus(t, practice, waiting.Slot) != "free" {
		t.Fatalf("waiting booking %+v, slot %s", waiting, slotStatus(t, practice, waiting.Slot))
	}
	practice.Server().Faults().Set(faults.Config{})
	if err := core.Sync(context.Background(), core.profile); err != nil {
		t.Fatal(err)
	}
	v.Refresh() // what the shell does on RecordChanged
	selectRow(t, v, "Follow-up visit with "+waiting.Provider)
	if slotStatus(t, practice, waiting.Slot) != "busy" {
		t.Errorf("the slot is %s after the sync", slotStatus(t, practice, waiting.Slot))
	}
	ap, err := core.Appointment(context.Background(), core.profile, waiting.LocalID)
	if err != nil || ap.State != app.StateBooked || ap.ID == "" {
		t.Fatalf("after the sync: %+v %v", ap, err)
	}
	v.current.md.list.UnselectAll()
	v.Refresh()
	for i, it := range v.current.md.items {
		if it.key == "Appointment/"+ap.ID {
			v.current.md.list.Select(i)
		}
	}
	assertShows(t, w, "Status: Booked")
}

// TestRequestedThenConfirmed: the practice confirms annual physicals
// itself; the booking shows as requested until it has.
func TestRequestedThenConfirmed(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := connectCore(t, practice, "maya")
	v, w := openVisits(t, core, fyne.NewSize(1280, 800))
	test.Tap(findButton(t, w.Content(), "Book a visit"))
	pickTime(t, w, "Annual physical", 48*time.Hour)
	test.Tap(findButton(t, w.Content(), "Book this time"))
	assertShows(t, w, "Status: Requested: waiting for the practice to confirm", "Requested")
	screenshot(t, w, "booking-7-requested-desktop")
	worker := staff.New(practice.Server().Store(), staff.Config{Delay: time.Hour, Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if err := worker.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(context.Background(), core.profile); err != nil {
		t.Fatal(err)
	}
	v.Refresh()
	assertShows(t, w, "Status: Booked")
}

// TestJoinButtonOnTime: a video visit's Join button shows from 15 minutes
// before its start until its end, with a clock the test moves, and opens
// the practice's link in the browser.
func TestJoinButtonOnTime(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	q := useQueue(t)
	old := joinCheckEvery
	joinCheckEvery = 10 * time.Millisecond
	t.Cleanup(func() { joinCheckEvery = old })
	practice := startPractice(t)
	core := connectCore(t, practice, "maya")
	ft, err := core.FreeSlots(context.Background(), core.profile, app.SlotQuery{VisitType: "telehealth"})
	if err != nil || len(ft.Slots()) == 0 {
		t.Fatalf("free video visits: %v", err)
	}
	slot := ft.Slots()[0]
	if _, err := core.Book(context.Background(), core.profile, app.BookRequest{Slot: slot, Reason: "Rash follow-up"}); err != nil {
		t.Fatal(err)
	}
	now := slot.Start.Add(-20 * time.Minute)
	var mu sync.Mutex
	old2 := sectionClock
	sectionClock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	t.Cleanup(func() { sectionClock = old2 })
	setNow := func(at time.Time) { mu.Lock(); now = at; mu.Unlock() }
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			setNow(slot.Start.Add(-20 * time.Minute))
			v, w := openVisits(t, core, sz.size)
			openAppointment(t, v, "Video visit")
			q.waitShows(t, w, "A Join button shows here from 15 minutes before it starts", "Add to calendar")
			if strings.Contains(shownText(w.Content()), "Join video visit") {
				t.Fatal("Join shows 20 minutes before the start")
			}
			setNow(slot.Start.Add(-14 * time.Minute))
			q.waitShows(t, w, "Join video visit", "Your video visit is open")
			assertFits(t, w)
			assertMinFits(t, w, sz.size.Width)
			assertTouchTargets(t, w)
			screenshot(t, w, "booking-8-join-"+sz.name)
			before := len(core.browsed())
			test.Tap(findButton(t, w.Content(), "Join video visit"))
			// Carebook asks first: the visit opens in the browser, at the
			// practice's host.
			top := w.Canvas().Overlays().Top()
			if top == nil || !strings.Contains(shownText(top), "your video visit in your browser, at 127.0.0.1") {
				t.Fatalf("no confirmation before leaving for the video visit: %v", top)
			}
			if len(core.browsed()) != before {
				t.Fatal("the browser opened before the patient agreed")
			}
			test.Tap(findButton(t, top, "Open"))
			opened := core.browsed()
			if len(opened) == 0 || !strings.Contains(opened[len(opened)-1], "/visit/") {
				t.Fatalf("Join opened %v", opened)
			}
			if resp, err := http.Get(opened[len(opened)-1]); err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("the join link: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			setNow(slot.End.Add(time.Minute))
			q.waitShows(t, w, "A Join button shows here")
			if strings.Contains(shownText(w.Content()), "Join video visit") {
				t.Error("Join still shows after the end")
			}
		})
	}
}

// TestFreeTimesFitAPhone lists free times of two visit types with a long
// clinician's name at 360 px: each button's text wraps on to a second line
// rather than widening the screen (Fyne's own button kept it on one line
// and the list ran 1-2 px off a phone), and a tap still books that time.
func TestFreeTimesFitAPhone(t *testing.T) {
	test.NewTempApp(t)
	start := time.Date(2026, 12, 7, 10, 30, 0, 0, time.Local)
	long := app.Provider{Ref: "Practitioner/1", Name: "Dr. Alexandra Hernández-Villanueva de la Fuente"}
	slots := []app.FreeSlot{
		{ID: "a", Start: start, End: start.Add(20 * time.Minute), Provider: long,
			VisitType: app.VisitType{Code: "follow", Name: "Follow-up visit by video from home"}},
		{ID: "b", Start: start.Add(time.Hour), End: start.Add(80 * time.Minute), Provider: long,
			VisitType: app.VisitType{Code: "sick", Name: "Sick visit"}},
	}
	var picked string
	objs := slotButtons(slots, func(s app.FreeSlot) { picked = s.ID })
	w := test.NewWindow(newColumn(480, true, objs...))
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	assertMinFits(t, w, 360)
	screenshot(t, w, "booking-0-long-names-phone")
	b := findButton(t, w.Content(), "11:30 AM · Dr. Alexandra")
	test.Tap(b)
	if picked != "b" {
		t.Errorf("tapping the 11:30 time picked %q, want slot b", picked)
	}
}
