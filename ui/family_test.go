package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// TestFamilyScreens: a parent and a caregiver with the real core and the
// practice on 127.0.0.1. Whose record it is shows on every screen (badge,
// switcher with the relationship), the dashboard greets the parent, a
// teenager's record says what her practice shares instead of "no results",
// and a caregiver whose access ended is asked to sign in again, then sees
// what was not sent. With
// CAREBOOK_SHOTS set, each screen is written there (make screenshots).
func TestFamilyScreens(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { familyScreens(t, size) })
	}
}

func familyScreens(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	core := openSetUpCore(t, "family passphrase", practice)
	defer core.Close()
	cared, err := core.ConnectDemoAccount(ctx, "lucia")
	if err != nil {
		t.Fatal(err)
	}
	own, err := core.ConnectDemoAccount(ctx, "jose")
	if err != nil {
		t.Fatal(err)
	}
	jose, joseOwn := cared[0], own[0]

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	name := func(s string) string { return "family-" + s + "-" + fmtSize(size) }

	// Adding a family member from the switcher: the demo offers its
	// people; the parent's children are picked in the practice's picker
	// one after the other, and the app shows the one added last.
	q.waitShows(t, w, "Hello, José") // the user's own record comes first
	u.shell.switcher.SetSelected(addProfileChoice())
	q.waitShows(t, w, "Add a family member or practice", "Sign in at their practice with your own portal account",
		"Or try the demo as one of its people:", "Amara Okafor, parent of Leo")
	screenshot(t, w, name("add-family-member"))
	test.Tap(findButton(t, w.Content(), "Amara Okafor, parent of Leo"))
	q.waitShows(t, w, "Hello, Amara", "You're looking at Nia's record (your daughter).", "Nia · your daughter")
	var leo app.ProfileInfo
	ps, err := core.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if strings.HasPrefix(p.Label, "Leo") {
			leo = p
		}
	}
	if leo.ID == "" {
		t.Fatalf("Leo was not added: %+v", ps)
	}

	// A dependent's dashboard greets the parent and says whose record it is.
	u.showUnlockedHomeAt(leo.ID)
	q.waitShows(t, w, "Hello, Amara", "You're looking at Leo's record (your son).",
		"Leo · your son", "Riverside Family Medicine", "Updated just now")
	if strings.Contains(shownText(w.Content()), "Hello, Leo") {
		t.Error("the parent is greeted with her son's name")
	}
	screenshot(t, w, name("dependent-dashboard"))
	assertFits(t, w)

	// The switcher, one tap away: every person with the relationship.
	sw := u.shell.switcher
	for _, want := range []string{"Leo · your son", "Nia · your daughter",
		"José · your father", addProfileChoice()} {
		found := false
		for _, o := range sw.Options {
			found = found || o == want
		}
		if !found {
			t.Errorf("switcher options %q lack %q", sw.Options, want)
		}
	}
	test.Tap(sw)
	screenshot(t, w, name("switcher"))
	for _, o := range w.Canvas().Overlays().List() {
		w.Canvas().Overlays().Remove(o)
	}

	// Choosing Nia shows Nia (not the first record) and what her practice
	// shares with her mother.
	sw.SetSelected("Nia · your daughter")
	q.waitShows(t, w, "Hello, Amara", "You're looking at Nia's record (your daughter).",
		"Nia's practice shares her appointments, immunizations, allergies and billing with you.",
		"Nia's practice does not share her test results with you. The practice says:", "Updated just now")
	if strings.Contains(shownText(w.Content()), "your record shows none in the last year") {
		t.Error("the teen's dashboard says her record shows no check-up while her visits are not shared")
	}
	screenshot(t, w, name("teen-dashboard"))
	u.shell.openSection("results")
	q.waitShows(t, w, "Nia's practice does not share her test results with you. The practice says: From a patient's 12th birthday")
	if shown := shownText(w.Content()); strings.Contains(shown, "No test results on record") {
		t.Error("the teen's results read as if there were none")
	} else if strings.Contains(shown, "Choose a result") {
		t.Errorf("the teen's results, not shared, ask to choose one: %s", shown)
	}
	screenshot(t, w, name("teen-results"))
	// Her visits: her billing mentions a visit, so "no visits" would be
	// false; the practice does not share them.
	u.shell.openSection("visits")
	q.waitShows(t, w, "Nia's practice does not share her visits with you.")
	if strings.Contains(shownText(w.Content()), "No visits on record") {
		t.Error("the teen's visits read as if there were none")
	}
	screenshot(t, w, name("teen-visits"))
	// Her details, in Settings, are named hers, not her mother's.
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "Nia's details", "View and change Nia's details")
	test.Tap(findButton(t, w.Content(), "View and change Nia's details"))
	q.waitShows(t, w, "Nia's details", "How to reach Nia")
	if shown := shownText(w.Content()); strings.Contains(shown, "Your details") || strings.Contains(shown, "How to reach you") {
		t.Errorf("her mother's view of Nia's details calls them hers: %s", shown)
	}
	screenshot(t, w, name("teen-details"))

	// José, on his own record, sees who else can see it, and may end it.
	u.showUnlockedHomeAt(joseOwn.ID)
	q.waitShows(t, w, "Hello, José", "Updated just now")
	selectTab(t, w, "Settings")
	q.waitShows(t, w, "Who can see your record", "Lucía Hernández · your daughter can see your record", "End Lucía's access")
	if sc, ok := u.shell.settingsTab.Content.(*container.Scroll); ok {
		sc.ScrollToBottom()
	}
	screenshot(t, w, name("who-can-see"))

	// The practice ends Lucía's access while a message of hers waits unsent.
	if err := core.Sync(ctx, jose.ID); err != nil {
		t.Fatal(err)
	}
	if err := practice.RevokeAccess(ctx, "lucia", synth.JoseID); err != nil {
		t.Fatal(err)
	}
	opts, err := core.MessageOptions(ctx, jose.ID)
	if err != nil || len(opts.Recipients) == 0 {
		t.Fatalf("message options %+v %v", opts, err)
	}
	_, err = core.SendMessage(ctx, jose.ID, app.Draft{To: opts.Recipients[0].Ref, Topic: "other",
		Subject: "Glasses", Text: "Dad's new glasses are ready at the optician."})
	if !errors.Is(err, app.ErrNeedsSignIn) || errors.Is(err, app.ErrAccessEnded) {
		t.Fatalf("a message written after the access ended: %v, want ErrNeedsSignIn (a refused refresh alone ends nothing)", err)
	}
	// Lucía chooses José: she is asked to sign in again, as for her own
	// record; the practice no longer opens his record to her, so it
	// closes and shows what was not sent.
	time.Sleep(300 * time.Millisecond)
	q.drain()
	u.showUnlockedHomeAt(jose.ID)
	q.waitShows(t, w, "Your practice needs you to sign in again", "Sign in again")
	test.Tap(findButton(t, w.Content(), "Sign in again"))
	q.waitShows(t, w, "Access to José's record has ended",
		"Riverside Family Medicine no longer shares José's record with you",
		"Dad's new glasses are ready at the optician.", "Remove José's record from this device")
	screenshot(t, w, name("access-ended"))
	assertFits(t, w)
}

// demoKeptOpen is the demo practice as an app core's, which the core's
// Close must not stop: the test opens another core against it.
type demoKeptOpen struct{ *demo.Practice }

func (demoKeptOpen) Close() error { return nil }

// openEndedOnSend opens, as after a restart, a parent's core on which the
// practice has meanwhile ended her access to Leo's record: the next
// action for Leo is stored, then its send (the demo signing Leo in again
// by itself) finds the access ended. It returns the core and Leo's
// profile id.
func openEndedOnSend(t *testing.T) (*app.App, string) {
	t.Helper()
	ctx := context.Background()
	practice := startPractice(t)
	cfg := app.Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (app.DemoPractice, error) { return demoKeptOpen{practice}, nil },
	}
	first, err := app.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Setup(ctx, "ended on send"); err != nil {
		first.Close()
		t.Fatal(err)
	}
	kids, err := first.ConnectDemoAccount(ctx, "amara")
	if err != nil || len(kids) != 2 {
		first.Close()
		t.Fatalf("the parent adds her children: %+v %v", kids, err)
	}
	leo := kids[0].ID
	if err := first.Sync(ctx, leo); err != nil {
		first.Close()
		t.Fatal(err)
	}
	first.Close()
	if err := practice.RevokeAccess(ctx, "amara", synth.LeoID); err != nil {
		t.Fatal(err)
	}
	core, err := app.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Unlock(ctx, "ended on send"); err != nil {
		t.Fatal(err)
	}
	return core, leo
}

// TestStoredAsTheAccessEnded: a request, a message or a cancellation
// stored just as the practice ended the parent's access (ErrQueued with
// ErrAccessEnded) cannot be sent until the practice gives the access back:
// its screen says it is kept on this device, not sent, and why, instead of
// "it will be sent" (the cancellation's page stays, its button disabled,
// instead of showing the visit as waiting to be sent).
func TestStoredAsTheAccessEnded(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(t *testing.T, q uiQueue, core *app.App, leo string) fyne.Window
	}{
		{"a request", func(t *testing.T, q uiQueue, core *app.App, leo string) fyne.Window {
			f := newRequestForm(context.Background(), core, leo, app.RequestReferral, "")
			w := test.NewWindow(f.root)
			w.Resize(fyne.NewSize(360, 740))
			q.waitShows(t, w, "What do you need a referral for?")
			test.Type(findEntries(w.Content())[0], "A hearing test")
			test.Tap(findButton(t, w.Content(), "Send request"))
			return w
		}},
		{"a message", func(t *testing.T, q uiQueue, core *app.App, leo string) fyne.Window {
			v := newMessagesView(context.Background(), core, leo, nil)
			w := test.NewWindow(v.CanvasObject())
			w.Resize(fyne.NewSize(1280, 800))
			v.Refresh()
			q.waitShows(t, w, "New message")
			v.NewMessage(app.NewDraftKey(), nil)
			pumpUntil(t, q, "the composer", func() bool { return v.compose != nil })
			c := v.compose
			c.to.SetSelectedIndex(0)
			c.topic.SetSelectedIndex(0)
			test.Type(c.subject, "Leo's inhaler")
			test.Type(c.text, "Does Leo still need his inhaler at school?")
			test.Tap(findButton(t, w.Content(), "Send"))
			return w
		}},
		{"a cancellation", func(t *testing.T, q uiQueue, core *app.App, leo string) fyne.Window {
			appts, err := core.Appointments(context.Background(), leo)
			if err != nil || len(appts.Upcoming) == 0 {
				t.Fatalf("Leo's visits to come: %+v %v", appts, err)
			}
			v := buildRecordView(core, leo, nil, true)
			w := test.NewWindow(v.CanvasObject())
			v.win = w
			w.Resize(fyne.NewSize(360, 740))
			v.ShowSection("visits")
			openAppointment(t, v, appts.Upcoming[0].Title())
			test.Tap(findButton(t, w.Content(), "Cancel appointment"))
			typeReason(t, w, "Leo has the flu")
			cancel := findButton(t, w.Content(), "Cancel appointment")
			test.Tap(cancel)
			if !cancel.Disabled() {
				t.Error("the cancellation stored stays offered")
			}
			return w
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := useQueue(t)
			test.NewTempApp(t)
			lightTheme(t)
			core, leo := openEndedOnSend(t)
			w := tc.send(t, q, core, leo)
			defer w.Close()
			q.waitShows(t, w, storedAsAccessEndedText())
			if shown := shownText(w.Content()); strings.Contains(shown, "will be sent") {
				t.Errorf("the screen says it will be sent: %s", shown)
			}
			unsent, err := core.Unsent(context.Background(), leo)
			if err != nil || len(unsent) != 1 || unsent[0].Kind == app.KindFormDraft || unsent[0].Kind == app.KindDraft {
				t.Errorf("not sent: %+v %v, want the stored item alone", unsent, err)
			}
		})
	}
}

// TestWaitingOnAnEndedRecord: on a record whose access the practice
// ended, what waits there says it cannot be sent, never that it will be,
// on every screen that shows it (storedAsAccessEndedText, or
// accessEndedFlag in a list row), and nothing offers to send it: a
// request in Requests and on the dashboard, the dashboard's count (a
// cancellation too, stored first: the record, with the visit, goes from
// the device as the access ends), a booking in the visits (list and
// page), a message in the Messages list.
func TestWaitingOnAnEndedRecord(t *testing.T) {
	ctx := context.Background()
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	core, leo := openEndedOnSend(t)
	appts, err := core.Appointments(ctx, leo)
	if err != nil || len(appts.Upcoming) == 0 {
		t.Fatalf("Leo's visits to come: %+v %v", appts, err)
	}
	visit := appts.Upcoming[0]
	opts, err := core.MessageOptions(ctx, leo)
	if err != nil || len(opts.Recipients) == 0 {
		t.Fatalf("message options %+v %v", opts, err)
	}
	start := time.Now().Add(96 * time.Hour).Truncate(time.Hour)
	for _, send := range []struct {
		what string
		send func() (app.Submitted, error)
	}{
		{"a cancellation", func() (app.Submitted, error) { return core.Cancel(ctx, leo, visit.ID, "Leo has the flu") }},
		{"a request", func() (app.Submitted, error) {
			return core.SendRequest(ctx, leo, app.RequestInput{Kind: app.RequestReferral, Text: "A hearing test"})
		}},
		{"a booking", func() (app.Submitted, error) {
			return core.Book(ctx, leo, app.BookRequest{Slot: app.FreeSlot{ID: "ended-record-slot", Start: start, End: start.Add(20 * time.Minute),
				VisitType: app.VisitType{Code: "ear-check", Name: "Ear check"}}})
		}},
		{"a message", func() (app.Submitted, error) {
			return core.SendMessage(ctx, leo, app.Draft{To: opts.Recipients[0].Ref, Topic: "other",
				Subject: "Leo's ears", Text: "Leo's ears hurt again."})
		}},
	} {
		if _, err := send.send(); !storedAsAccessEnded(err) {
			t.Fatalf("%s on the ended record: %v, want it stored as the access ended", send.what, err)
		}
	}
	q.drain()
	promises := func(t *testing.T, w fyne.Window, where string) {
		t.Helper()
		shown := shownText(w.Content())
		for _, promise := range []string{"will be sent", "waiting to be sent", "Waiting to be sent", "Not sent yet", "Send now", "Retry", "Try again"} {
			if strings.Contains(shown, promise) {
				t.Errorf("%s says %q: %s", where, promise, shown)
			}
		}
	}
	show := func(o fyne.CanvasObject, size fyne.Size) fyne.Window {
		w := test.NewWindow(o)
		t.Cleanup(w.Close)
		w.Resize(size)
		return w
	}
	phone, desktop := fyne.NewSize(360, 740), fyne.NewSize(1280, 800)

	rv := newRequestsView(ctx, core, leo)
	w := show(rv.CanvasObject(), phone)
	rv.Refresh()
	q.waitShows(t, w, "Referral: A hearing test", storedAsAccessEndedText())
	promises(t, w, "Requests")

	dv := newDashboardView(ctx, core, leo, nil)
	w = show(dv.CanvasObject(), phone)
	dv.Refresh()
	q.waitShows(t, w, "4 items not sent", "Referral: A hearing test — "+accessEndedFlag())
	promises(t, w, "the dashboard")

	v := buildRecordView(core, leo, nil, true)
	w = show(v.CanvasObject(), desktop)
	v.win = w
	v.ShowSection("visits")
	q.waitShows(t, w, "Ear check", accessEndedFlag())
	promises(t, w, "the visits")
	openAppointment(t, v, "Ear check")
	q.waitShows(t, w, storedAsAccessEndedText())
	promises(t, w, "the booking")

	mv := newMessagesView(ctx, core, leo, nil)
	w = show(mv.CanvasObject(), desktop)
	mv.Refresh()
	q.waitShows(t, w, "Leo's ears", accessEndedFlag())
	promises(t, w, "the Messages list")
}

// TestRemoveAnEndedRecordSaysWhyNotSent: removing a record whose access
// the practice ended, from Settings while it is still on show (a send
// found the access ended; the next sync closes it), lists what would be
// lost saying it cannot be sent, instead of "keep the record: Carebook
// sends it" and "waiting to be sent". The test waits for that sync, then
// removes as Settings' "Remove from this device" does.
func TestRemoveAnEndedRecordSaysWhyNotSent(t *testing.T) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core, leo := openEndedOnSend(t)
	if _, err := core.SendRequest(ctx, leo, app.RequestInput{Kind: app.RequestReferral, Text: "A hearing test"}); !storedAsAccessEnded(err) {
		t.Fatalf("a request on the ended record: %v, want it stored as the access ended", err)
	}
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	u.showUnlockedHomeAt(leo)
	q.waitShows(t, w, "Access to Leo's record has ended")
	u.shell.removeProfile(u.shell.current, app.RemoveOptions{})
	dlg := q.waitOverlay(t, w, "Not sent yet", "Referral: A hearing test", "cannot be sent", accessEndedFlag())
	if shown := shownText(dlg); strings.Contains(shown, "Carebook sends it") || strings.Contains(shown, "waiting to be sent") {
		t.Errorf("the list of what was not sent promises sending: %s", shown)
	}
}
