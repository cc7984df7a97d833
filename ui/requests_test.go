package ui

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	practicesmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// staffPractice is the reference practice on 127.0.0.1 whose staff act
// only when the test moves their clock (and the app's) past their delay.
type staffPractice struct {
	*practice.Server
	mu  sync.Mutex
	now time.Time
}

func (p *staffPractice) clock() time.Time { p.mu.Lock(); defer p.mu.Unlock(); return p.now }

// work moves the clock past the staff's delay and has them do what is due.
func (p *staffPractice) work(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	p.now = p.now.Add(2 * time.Hour)
	p.mu.Unlock()
	if err := p.Staff().Step(context.Background()); err != nil {
		t.Fatalf("staff: %v", err)
	}
}

// SignIn signs the demo patient in on the practice's pages (app.DemoPractice).
func (p *staffPractice) SignIn(ctx context.Context, authorizeURL string) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return practicesmart.SignIn(ctx, &http.Client{Jar: jar, Timeout: 30 * time.Second}, authorizeURL, demo.Username, synth.DemoPassword, "")
}

// openStaffPractice starts the practice and a window of the app signed in
// to it as the demo patient, showing the dashboard.
func openStaffPractice(t *testing.T, q uiQueue, size fyne.Size) (*staffPractice, *UI, fyne.Window) {
	t.Helper()
	p := &staffPractice{now: time.Now()}
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, StaffNow: p.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p.Server = srv
	core, err := app.Open(app.Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		IdleTimeout: -1,
		Now:         p.clock,
		Demo:        func(context.Context) (app.DemoPractice, error) { return p, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	u := NewMainWindow(test.NewTempApp(t), core, Options{Demo: true, Passphrase: "requests in the test"})
	lightTheme(t)
	w := u.Window()
	t.Cleanup(w.Close)
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya", "Updated just now")
	return p, u, w
}

// waitHides runs queued UI work until the window no longer shows text.
func waitHides(t *testing.T, q uiQueue, w fyne.Window, text string) {
	t.Helper()
	deadline := time.After(uiWait)
	for strings.Contains(shownText(w.Content()), text) {
		select {
		case f := <-q:
			f()
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("window still shows %q: %s", text, shownText(w.Content()))
		}
	}
}

// findSelect returns the first visible Select under o.
func findSelect(t *testing.T, o fyne.CanvasObject) *widget.Select {
	t.Helper()
	var found *widget.Select
	walkVisible(o, func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && found == nil {
			found = s
		}
	})
	if found == nil {
		t.Fatalf("no choice on screen: %s", shownText(o))
	}
	return found
}

// TestRefillFollowedInTheWindow: from the medication list, a refill to the
// pharmacy the patient picks is sent, shown open on the dashboard and the
// Requests screen, then received and done with the renewed prescription;
// at phone and desktop size.
func TestRefillFollowedInTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) {
			q := useQueue(t)
			p, u, w := openStaffPractice(t, q, size)

			u.shell.openSection("medications")
			q.waitShows(t, w, "Lisinopril 10 mg tablet")
			selectRow(t, u.shell.record, "Lisinopril")
			q.waitShows(t, w, "Request a refill", "Report an error")
			test.Tap(findButton(t, w.Content(), "Request a refill"))
			q.waitShows(t, w, "Send it to", "Riverside Pharmacy (preferred)", "410 Main Street")
			pick := findSelect(t, w.Content())
			for _, o := range pick.Options {
				if strings.HasPrefix(o, "CareMail") {
					pick.SetSelected(o)
				}
			}
			entries := findEntries(w.Content())
			test.Type(entries[len(entries)-1], "Five tablets left.")
			q.waitShows(t, w, "1 Parcel Way")
			screenshot(t, w, "refill-form-"+fmtSize(size))
			assertFits(t, w)
			assertMinFits(t, w, size.Width)
			assertTouchTargets(t, w)
			test.Tap(findButton(t, w.Content(), "Send request"))
			q.waitShows(t, w, "Sent. Your practice has your request")

			test.Tap(findButton(t, w.Content(), "See your requests"))
			q.waitShows(t, w, "Your requests", "Refill: Lisinopril 10 mg tablet", "Sent to the practice",
				"CareMail Pharmacy (mail order)", "Five tablets left.")
			selectTab(t, w, "Home")
			// The demo patient had asked for a refill of simvastatin already.
			q.waitShows(t, w, "2 open requests", "Refill: Lisinopril 10 mg tablet — Sent to the practice")
			test.Tap(findButton(t, w.Content(), "See requests"))
			q.waitShows(t, w, "Your requests")

			p.work(t) // the office accepts it
			syncNow(t, q, u)
			q.waitShows(t, w, "Received by the office", "Accepted by the office")
			p.work(t) // and renews it
			syncNow(t, q, u)
			q.waitShows(t, w, "Done", "Renewed prescription", "3 refills, sent to CareMail Pharmacy (mail order)")
			screenshot(t, w, "requests-"+fmtSize(size))
			assertFits(t, w)
			assertMinFits(t, w, size.Width)
			assertTouchTargets(t, w)
			if shown := shownText(w.Content()); strings.Index(shown, "Finished") > strings.Index(shown, "Refill: Lisinopril") {
				t.Errorf("the done refill is not among the finished requests: %s", shown)
			}
			test.Tap(findButton(t, w.Content(), "See medications"))
			q.waitShows(t, w, "Active medications", "Lisinopril 10 mg tablet", "Past medications")
			q.drain()
		})
	}
}

// TestRequestsInTheWindow: a refill declined with the practice's reason;
// a correction from the entry that is wrong; a referral made offline and
// sent by the next sync.
func TestRequestsInTheWindow(t *testing.T) {
	size := fyne.NewSize(1280, 800)
	q := useQueue(t)
	p, u, w := openStaffPractice(t, q, size)
	ctx := context.Background()

	// Declined: the medicine is stopped at the practice before the office
	// gets to the refill.
	u.shell.openSection("medications")
	q.waitShows(t, w, "Cetirizine (Zyrtec) 10 mg tablet")
	selectRow(t, u.shell.record, "Cetirizine")
	q.waitShows(t, w, "Request a refill")
	test.Tap(findButton(t, w.Content(), "Request a refill"))
	q.waitShows(t, w, "Send it to")
	test.Tap(findButton(t, w.Content(), "Send request"))
	q.waitShows(t, w, "Sent. Your practice has your request")
	c, err := u.core.Chart(ctx, u.shell.current.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Medications {
		if strings.HasPrefix(m.Medication, "Cetirizine") {
			res, err := p.Store().Read(ctx, "MedicationRequest", m.ID)
			if err != nil {
				t.Fatal(err)
			}
			body := strings.Replace(string(res.JSON), `"status":"active"`, `"status":"stopped"`, 1)
			if _, err := p.Store().Update(ctx, "MedicationRequest", m.ID, []byte(body), res.VersionID); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.work(t)
	u.shell.openRequests()
	syncNow(t, q, u)
	q.waitShows(t, w, "Declined", "This medicine is no longer active in your record")
	screenshot(t, w, "request-declined-"+fmtSize(size))
	// A message to the office about it, referring to the request.
	// What is typed stays when the patient goes back and comes again.
	question := "I still need it for the allergy season. Can we talk?"
	test.Tap(findButton(t, w.Content(), "Message the office"))
	q.waitShows(t, w, "Subject: About my request: Refill: Cetirizine (Zyrtec) 10 mg tablet", "Send message")
	test.Type(findEntries(w.Content())[0], question)
	test.Tap(findButton(t, w.Content(), "Back to requests"))
	q.waitShows(t, w, "Message the office")
	test.Tap(findButton(t, w.Content(), "Message the office"))
	q.waitShows(t, w, "Send message")
	pumpUntil(t, q, "the question back in the form", func() bool { return findEntries(w.Content())[0].Text == question })
	screenshotBothSizes(t, w, "drafts-message-the-office")
	// Discard draft empties the form and removes the draft; the form
	// opens empty again, and what is written then is sent.
	test.Tap(findButton(t, w.Content(), "Discard draft"))
	if text := findEntries(w.Content())[0].Text; text != "" {
		t.Errorf("the message after Discard draft = %q, want none", text)
	}
	pumpUntil(t, q, "the message's draft discarded", func() bool {
		drafts, err := u.core.Drafts(ctx, u.shell.current.ID)
		return err == nil && len(drafts) == 0
	})
	test.Tap(findButton(t, w.Content(), "Back to requests"))
	q.waitShows(t, w, "Message the office")
	test.Tap(findButton(t, w.Content(), "Message the office"))
	q.waitShows(t, w, "Send message")
	if text := findEntries(w.Content())[0].Text; text != "" {
		t.Errorf("the message opened again after Discard draft = %q, want none", text)
	}
	test.Type(findEntries(w.Content())[0], question)
	test.Tap(findButton(t, w.Content(), "Send message"))
	q.waitShows(t, w, "Sent. The answer will be among your messages.")
	drafts, err := u.core.Drafts(ctx, u.shell.current.ID)
	if err != nil || len(drafts) != 0 {
		t.Errorf("drafts after sending the question = %+v, %v; want none", drafts, err)
	}
	test.Tap(findButton(t, w.Content(), "Back to requests"))

	// A correction, from the allergy that is wrong.
	u.shell.openSection("allergies")
	q.waitShows(t, w, "Penicillin allergy")
	selectRow(t, u.shell.record, "Penicillin allergy")
	q.waitShows(t, w, "Report an error")
	test.Tap(findButton(t, w.Content(), "Report an error"))
	q.waitShows(t, w, "Ask to correct your record", "What is wrong?", "What should it say?")
	test.Tap(findButton(t, w.Content(), "Send request"))
	q.waitShows(t, w, "Say what is wrong in this entry.")
	entries := findEntries(w.Content())
	test.Type(entries[0], "I was tested in 2024: not allergic to penicillin.")
	test.Type(entries[1], "No known drug allergies.")
	test.Tap(findButton(t, w.Content(), "Send request"))
	q.waitShows(t, w, "Sent. Your practice has your request")
	test.Tap(findButton(t, w.Content(), "See your requests"))
	q.waitShows(t, w, "Correction of the record: Penicillin allergy",
		"What is wrong: I was tested in 2024: not allergic to penicillin.")

	// Offline: a referral waits on the device, then the sync sends it.
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond})
	test.Tap(findButton(t, w.Content(), "Ask for a referral"))
	q.waitShows(t, w, "What do you need a referral for?")
	test.Type(findEntries(w.Content())[0], "Physiotherapy for my knee")
	test.Tap(findButton(t, w.Content(), "Send request"))
	q.waitShows(t, w, "Saved on this device. It will be sent when Carebook reaches your practice.")
	test.Tap(findButton(t, w.Content(), "Back to requests"))
	q.waitShows(t, w, "Referral: Physiotherapy for my knee", "Waiting to be sent")
	screenshot(t, w, "request-waiting-"+fmtSize(size))
	p.Faults().Set(faults.Config{})
	syncNow(t, q, u)
	waitHides(t, q, w, "Waiting to be sent")
	q.waitShows(t, w, "Referral: Physiotherapy for my knee")
	q.drain()
}
