package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// TestLockKeepsTheFormTyping: the patient writes a note in a refill's
// form and picks a pharmacy, then taps Lock at once, before any pause.
// After unlocking, the same medication's form holds the note and the
// pharmacy; more typing, then leaving the form at once (Back, then
// Home) and coming back, is there too; once the request is sent, nothing of it waits unsent.
func TestLockKeepsTheFormTyping(t *testing.T) {
	q := useQueue(t)
	core, u, w := openMsgWindow(t, q, fyne.NewSize(360, 740))
	pid := u.shell.current.ID

	// openForm opens the refill form of lisinopril and returns its note.
	openForm := func() (*widget.Select, *widget.Entry) {
		t.Helper()
		u.shell.openSection("medications")
		q.waitShows(t, w, "Lisinopril 10 mg tablet")
		selectRow(t, u.shell.record, "Lisinopril")
		q.waitShows(t, w, "Request a refill")
		test.Tap(findButton(t, w.Content(), "Request a refill"))
		q.waitShows(t, w, "Send it to", "Note for the office")
		entries := findEntries(w.Content())
		return findSelect(t, w.Content()), entries[len(entries)-1]
	}
	pharmacy, note := openForm()
	for _, o := range pharmacy.Options {
		if strings.HasPrefix(o, "CareMail") {
			pharmacy.SetSelected(o)
		}
	}
	typed := "Five tablets left, typed up to the Lock: ."
	test.Type(note, typed)
	test.Tap(findButton(t, w.Content(), "Lock"))
	q.waitShows(t, w, "Carebook is locked")
	findEntries(w.Content())[0].SetText(msgPassphrase)
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "Hello, Maya")

	pharmacy, note = openForm()
	pumpUntil(t, q, "the note back in the form", func() bool { return note.Text == typed })
	if !strings.HasPrefix(pharmacy.Selected, "CareMail") {
		t.Errorf("pharmacy after the lock = %q, want CareMail's", pharmacy.Selected)
	}
	screenshotBothSizes(t, w, "drafts-refill-after-lock")

	more := " And the pharmacy closes at noon."
	note.SetText(note.Text + more)
	test.Tap(findButton(t, w.Content(), "Back"))
	selectTab(t, w, "Home")
	q.waitShows(t, w, "Hello, Maya")
	_, note = openForm()
	pumpUntil(t, q, "the note back after leaving the screen", func() bool { return note.Text == typed+more })

	test.Tap(findButton(t, w.Content(), "Send request"))
	q.waitShows(t, w, "Sent. Your practice has your request")
	ctx := context.Background()
	unsent, err := core.Unsent(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range unsent {
		if strings.Contains(e.Text(), "pharmacy closes at noon") {
			t.Errorf("after sending, still unsent: %s: %s", e.Title(), e.Text())
		}
	}

	// The form of a refill asked for already shows no words, then those
	// of a draft left over (written elsewhere), which Discard removes.
	test.Tap(findButton(t, w.Content(), "Back"))
	q.waitShows(t, w, "Request a refill")
	test.Tap(findButton(t, w.Content(), "Request a refill"))
	q.waitShows(t, w, "A refill of this medicine is already requested")
	if shown := shownText(w.Content()); strings.Contains(shown, "You wrote") {
		t.Errorf("the sent refill's words are still offered: %s", shown)
	}
	c, err := core.Chart(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	key := ""
	for _, m := range c.Medications {
		if strings.HasPrefix(m.Medication, "Lisinopril") && m.Status == "active" {
			key = app.RequestDraftKey(app.RequestRefill, m.Key())
		}
	}
	if err := core.SaveFormDraft(ctx, pid, key, app.FormDraft{Note: "Written on another day."}); err != nil {
		t.Fatal(err)
	}
	test.Tap(findButton(t, w.Content(), "Back"))
	q.waitShows(t, w, "Request a refill")
	test.Tap(findButton(t, w.Content(), "Request a refill"))
	q.waitShows(t, w, "A refill of this medicine is already requested", "You wrote: Written on another day.")
	test.Tap(findButton(t, w.Content(), "Discard draft"))
	pumpUntil(t, q, "the draft left over discarded", func() bool {
		_, ok, err := core.FormDraft(ctx, pid, key)
		return err == nil && !ok
	})
	q.drain()
}

// openMsgWindow shows Maya's record at the messages practice in a main
// window of size, once its dashboard is up to date; both close when the
// test ends.
func openMsgWindow(t *testing.T, q uiQueue, size fyne.Size) (*app.App, *UI, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	lightTheme(t) // captures in daylight colours, as the others
	core := openMsgCore(t, startMsgPractice(t), t.TempDir())
	t.Cleanup(func() { core.Close() })
	u := NewMainWindow(fyne.CurrentApp(), core, Options{})
	w := u.Window()
	t.Cleanup(w.Close)
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya", "Updated just now")
	return core, u, w
}

// TestBookingKeepsTheReason: the reason typed for a new booking survives
// a lock taken at once, comes back whichever free time the patient picks
// next, also right after leaving the page, and is gone once booked.
func TestBookingKeepsTheReason(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	core := connectCore(t, startPractice(t), "maya")
	size := fyne.NewSize(360, 740)
	// reasonOfATime opens the booking page of a new view, picks a time
	// and returns the reason's entry.
	reasonOfATime := func() (fyne.Window, *widget.Entry) {
		t.Helper()
		_, w := openVisits(t, core, size)
		test.Tap(findButton(t, w.Content(), "Book a visit"))
		assertShows(t, w, "free times from")
		pickTime(t, w, "Sick visit", 48*time.Hour)
		assertShows(t, w, "Book this time?", "Reason for the visit")
		return w, reasonEntry(t, w)
	}
	_, entry := reasonOfATime()
	reason := "Sore throat for a week, typed up to the lock."
	test.Type(entry, reason)
	core.Lock()
	if err := core.Unlock(context.Background(), "a long passphrase"); err != nil {
		t.Fatal(err)
	}

	w, entry := reasonOfATime()
	if entry.Text != reason {
		t.Fatalf("reason after the lock = %q, want %q", entry.Text, reason)
	}
	screenshotBothSizes(t, w, "drafts-booking-reason-after-lock")
	more := " And a fever since Tuesday."
	entry.SetText(entry.Text + more)
	test.Tap(findButton(t, w.Content(), "Back"))
	pickTime(t, w, "Sick visit", 72*time.Hour)
	assertShows(t, w, "Book this time?")
	if entry = reasonEntry(t, w); entry.Text != reason+more {
		t.Fatalf("reason after leaving the page = %q, want %q", entry.Text, reason+more)
	}
	test.Tap(findButton(t, w.Content(), "Book this time"))
	assertShows(t, w, "Status: Booked", "Reason: "+reason+more)

	if _, entry = reasonOfATime(); entry.Text != "" {
		t.Errorf("reason of a new booking after booking = %q, want none", entry.Text)
	}
}

// TestCancelKeepsTheReason: the reason typed for cancelling a visit
// survives a lock taken at once and comes back when the cancel page of
// the same visit opens again (listed meanwhile among what was not sent);
// emptied, it is no draft; it is gone once the cancellation is stored.
func TestCancelKeepsTheReason(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	ctx := context.Background()
	core := connectCore(t, startPractice(t), "maya")
	visit := changeableVisit(t, core)
	key := app.CancelDraftKey(visit.ID)
	// cancelPage opens the visit's cancel page in a new view and returns
	// its reason's entry.
	cancelPage := func() (fyne.Window, *widget.Entry) {
		t.Helper()
		v, w := openVisits(t, core, fyne.NewSize(360, 740))
		openAppointment(t, v, visit.Title())
		test.Tap(findButton(t, w.Content(), "Cancel appointment"))
		assertShows(t, w, "Cancel this appointment?")
		return w, reasonEntry(t, w)
	}
	lock := func() {
		t.Helper()
		core.Lock()
		if err := core.Unlock(ctx, "a long passphrase"); err != nil {
			t.Fatal(err)
		}
	}
	_, entry := cancelPage()
	reason := "I am away that week, typed up to the lock."
	test.Type(entry, reason)
	lock()
	w, entry := cancelPage()
	if entry.Text != reason {
		t.Fatalf("reason after the lock = %q, want %q", entry.Text, reason)
	}
	unsent, err := core.Unsent(ctx, core.profile)
	if err != nil || len(unsent) != 1 || unsent[0].Title() != "Draft of a reason to cancel a visit" || unsent[0].Text() != reason {
		t.Errorf("not sent: %+v %v; want the reason's draft", unsent, err)
	}

	entry.SetText("")
	lock()
	if d, ok, err := core.FormDraft(ctx, core.profile, key); err != nil || ok {
		t.Errorf("draft of the emptied reason = %+v (ok %v, %v); want none", d, ok, err)
	}

	test.Type(entry, "Feeling better")
	test.Tap(findButton(t, w.Content(), "Cancel appointment"))
	assertShows(t, w, "Status: Cancelled")
	if d, ok, err := core.FormDraft(ctx, core.profile, key); err != nil || ok {
		t.Errorf("draft after cancelling = %+v (ok %v, %v); want none", d, ok, err)
	}
}

// changeableVisit is a visit of core's patient to come that can still
// be moved or cancelled.
func changeableVisit(t *testing.T, core *bookingCore) app.Appointment {
	t.Helper()
	appts, err := core.Appointments(context.Background(), core.profile)
	if err != nil {
		t.Fatal(err)
	}
	for _, ap := range appts.Upcoming {
		if ap.Changeable(time.Now()) {
			return ap
		}
	}
	t.Fatalf("no visit to cancel among %+v", appts.Upcoming)
	return app.Appointment{}
}

// bookNewPatientVisit books the last free new-patient time, a visit with
// questions to answer before it, and returns the time.
func bookNewPatientVisit(t *testing.T, core *bookingCore) app.FreeSlot {
	t.Helper()
	ctx := context.Background()
	ft, err := core.FreeSlots(ctx, core.profile, app.SlotQuery{VisitType: "new-patient"})
	if err != nil || len(ft.Slots()) == 0 {
		t.Fatalf("free new-patient times: %v", err)
	}
	slot := ft.Slots()[len(ft.Slots())-1]
	if _, err := core.Book(ctx, core.profile, app.BookRequest{Slot: slot}); err != nil {
		t.Fatal(err)
	}
	return slot
}

// formInputs is what a form's inputs hold: its texts, then its choices.
func formInputs(w fyne.Window) []string {
	var out []string
	for _, e := range findEntries(w.Content()) {
		out = append(out, e.Text)
	}
	for _, r := range radioGroups(w.Content()) {
		out = append(out, r.Selected)
	}
	return out
}

// reasonEntry is the booking page's reason (its only multi-line entry).
func reasonEntry(t *testing.T, w fyne.Window) *widget.Entry {
	t.Helper()
	for _, e := range findEntries(w.Content()) {
		if e.MultiLine {
			return e
		}
	}
	t.Fatalf("no reason to type into; screen shows: %s", shownText(w.Content()))
	return nil
}

// TestReferralNameIsNoDraft: a referral asked from a condition starts
// with the condition's name, which the patient did not write. A note
// typed and then cleared leaves the form as it opened: no draft is kept
// (none to list as unsent, none to hold the record's removal back), and
// the form opens again with the name.
func TestReferralNameIsNoDraft(t *testing.T) {
	q := useQueue(t)
	core, u, w := openMsgWindow(t, q, fyne.NewSize(1280, 800))
	ctx := context.Background()
	pid := u.shell.current.ID
	c, err := core.Chart(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	var cond record.Condition
	for _, cd := range c.Conditions {
		if cd.Active() {
			cond = cd
			break
		}
	}
	name := conditionName(cond)
	if name == "" {
		t.Fatal("no current condition to ask a referral for")
	}
	openForm := func() (text, note *widget.Entry) {
		t.Helper()
		u.shell.openSection("conditions")
		q.waitShows(t, w, name)
		selectRow(t, u.shell.record, name)
		q.waitShows(t, w, "Ask for a referral")
		test.Tap(findButton(t, w.Content(), "Ask for a referral"))
		q.waitShows(t, w, "What do you need a referral for?", "Note for the office")
		entries := findEntries(w.Content())
		return entries[len(entries)-2], entries[len(entries)-1]
	}
	text, note := openForm()
	if text.Text != name {
		t.Fatalf("referral form opens with %q, want the condition's name %q", text.Text, name)
	}
	test.Type(note, "Soon, please.")
	note.SetText("")
	core.Lock() // saves what the form holds at once
	if err := core.Unlock(ctx, msgPassphrase); err != nil {
		t.Fatal(err)
	}
	if d, ok, err := core.FormDraft(ctx, pid, app.RequestDraftKey(app.RequestReferral, cond.Key())); err != nil || ok {
		t.Errorf("draft of a form left as it opened = %+v, %v, %v; want none", d, ok, err)
	}
	q.waitShows(t, w, "Hello, Maya")
	if text, _ = openForm(); text.Text != name {
		t.Errorf("referral form opens again with %q, want %q", text.Text, name)
	}
	q.drain()
}

// TestQuestionsKeepTheAnswers: the answers to the questions before a
// visit survive a lock taken at once and leaving the page, and are gone
// once sent.
func TestQuestionsKeepTheAnswers(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	core := connectCore(t, startPractice(t), "maya")
	ctx := context.Background()
	slot := bookNewPatientVisit(t, core)
	// openQuestions opens the questions' page in a new view of the record
	// (as after an unlock).
	openQuestions := func() fyne.Window {
		t.Helper()
		v, w := openVisits(t, core, fyne.NewSize(360, 740))
		openAppointment(t, v, "New patient visit with "+slot.Provider.Name)
		test.Tap(findButton(t, w.Content(), "Answer 6 questions"))
		assertShows(t, w, "Before your first visit", "Send answers")
		return w
	}
	w := openQuestions()
	radioGroups(w.Content())[0].SetSelected("Yes")
	assertShows(t, w, "Which ones, and how often do you take them? *")
	entries := findEntries(w.Content())
	typed := "Knee pain when climbing stairs, typed up to the lock."
	test.Type(entries[0], typed)
	test.Type(entries[3], "03/15/2024")
	core.Lock()
	if err := core.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	w = openQuestions()
	want := []string{typed, "", "", "03/15/2024", "Yes", ""}
	if got := formInputs(w); !slices.Equal(got, want) {
		t.Fatalf("answers after the lock = %q, want %q", got, want)
	}
	screenshotBothSizes(t, w, "drafts-questions-after-lock")

	entries = findEntries(w.Content())
	entries[1].SetText("Ibuprofen 200 mg when needed")
	entries[2].SetText("Penicillin")
	radioGroups(w.Content())[1].SetSelected("Used to smoke")
	test.Tap(findButton(t, w.Content(), "Back"))
	test.Tap(findButton(t, w.Content(), "Answer 6 questions"))
	want = []string{typed, "Ibuprofen 200 mg when needed", "Penicillin", "03/15/2024", "Yes", "Used to smoke"}
	if got := formInputs(w); !slices.Equal(got, want) {
		t.Fatalf("answers after leaving the page = %q, want %q", got, want)
	}
	test.Tap(findButton(t, w.Content(), "Send answers"))
	assertShows(t, w, "Answers sent: Before your first visit")
	if left, err := core.FormDrafts(ctx, core.profile); err != nil || len(left) != 0 {
		t.Errorf("drafts after sending the answers = %+v, %v; want none", left, err)
	}
}

// TestDiscardRestoredDraft: a draft brought back after a lock (a booking's
// reason, a reason for cancelling a visit, the answers to the questions
// before a visit) has a "Discard draft" beside the form's own button,
// which empties the form and removes the draft at once: nothing is listed
// as not sent, and the form opens empty again.
func TestDiscardRestoredDraft(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	ctx := context.Background()
	core := connectCore(t, startPractice(t), "maya")
	size := fyne.NewSize(360, 740)
	visit := changeableVisit(t, core)
	slot := bookNewPatientVisit(t, core)
	for _, tc := range []struct {
		name string
		// open opens the form in a new view (as after an unlock).
		open  func() fyne.Window
		write func(w fyne.Window)
		want  []string // what write leaves in the form, brought back
	}{
		{"booking-reason", func() fyne.Window {
			_, w := openVisits(t, core, size)
			test.Tap(findButton(t, w.Content(), "Book a visit"))
			pickTime(t, w, "Sick visit", 48*time.Hour)
			assertShows(t, w, "Book this time?", "Reason for the visit")
			return w
		}, func(w fyne.Window) {
			test.Type(reasonEntry(t, w), "Sore throat for a week.")
		}, []string{"Sore throat for a week."}},
		{"cancel-reason", func() fyne.Window {
			v, w := openVisits(t, core, size)
			openAppointment(t, v, visit.Title())
			test.Tap(findButton(t, w.Content(), "Cancel appointment"))
			assertShows(t, w, "Cancel this appointment?")
			return w
		}, func(w fyne.Window) {
			test.Type(reasonEntry(t, w), "I am away that week.")
		}, []string{"I am away that week."}},
		{"questions", func() fyne.Window {
			v, w := openVisits(t, core, size)
			openAppointment(t, v, "New patient visit with "+slot.Provider.Name)
			test.Tap(findButton(t, w.Content(), "Answer 6 questions"))
			assertShows(t, w, "Before your first visit", "Send answers")
			return w
		}, func(w fyne.Window) {
			radioGroups(w.Content())[0].SetSelected("Yes")
			test.Type(findEntries(w.Content())[0], "Knee pain when climbing stairs.")
			radioGroups(w.Content())[1].SetSelected("Used to smoke")
		}, []string{"Knee pain when climbing stairs.", "", "", "", "Yes", "Used to smoke"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.write(tc.open())
			core.Lock() // saves what the form holds at once
			if err := core.Unlock(ctx, "a long passphrase"); err != nil {
				t.Fatal(err)
			}
			w := tc.open()
			if got := formInputs(w); !slices.Equal(got, tc.want) {
				t.Fatalf("the form after the lock holds %q, want %q", got, tc.want)
			}
			screenshot(t, w, "drafts-discard-"+tc.name+"-"+fmtSize(size))
			assertMinFits(t, w, size.Width)
			test.Tap(findButton(t, w.Content(), "Discard draft"))
			for _, s := range formInputs(w) {
				if s != "" {
					t.Errorf("the form after Discard draft holds %q, want nothing", formInputs(w))
					break
				}
			}
			deadline := time.Now().Add(uiWait)
			for {
				unsent, err := core.Unsent(ctx, core.profile)
				if err == nil && len(unsent) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not sent after Discard draft: %+v %v; want nothing", unsent, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, s := range formInputs(tc.open()) {
				if s != "" {
					t.Errorf("the form opened after Discard draft holds %q, want nothing", s)
				}
			}
		})
	}
}
