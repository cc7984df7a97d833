package app

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
)

// fakeNotifier collects notifications.
type fakeNotifier struct {
	mu  sync.Mutex
	got []Notification
}

func (f *fakeNotifier) Notify(n Notification) {
	f.mu.Lock()
	f.got = append(f.got, n)
	f.mu.Unlock()
}

// take returns the notifications raised since the last take.
func (f *fakeNotifier) take() []Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.got
	f.got = nil
	return out
}

func ofKind(ns []Notification, k NotificationKind) []Notification {
	var out []Notification
	for _, n := range ns {
		if n.Kind == k {
			out = append(out, n)
		}
	}
	return out
}

// putResource stores a resource at the practice as its staff would.
func putResource(t *testing.T, p *msgPractice, typ, id string, body map[string]any) {
	t.Helper()
	body["resourceType"] = typ
	body["id"] = id
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store().Put(context.Background(), typ, id, b); err != nil {
		t.Fatalf("put %s/%s: %v", typ, id, err)
	}
}

// Made-up words a notification must not show by default.
const (
	newResultName  = "Ferritin level panel"
	newResultValue = "17.5"
	newMessageText = "Please call us about your ferritin"
)

// addResult publishes a new lab report with one value, issued at.
func addResult(t *testing.T, p *msgPractice, patient, id string, at time.Time) {
	t.Helper()
	putResource(t, p, "Observation", id+"-obs", map[string]any{
		"status":            "final",
		"category":          []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}}}},
		"code":              map[string]any{"text": "Ferritin"},
		"subject":           map[string]any{"reference": "Patient/" + patient},
		"effectiveDateTime": at.UTC().Format(time.RFC3339),
		"issued":            at.UTC().Format(time.RFC3339),
		"valueQuantity":     map[string]any{"value": 17.5, "unit": "ng/mL"},
	})
	putResource(t, p, "DiagnosticReport", id, map[string]any{
		"status":            "final",
		"category":          []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}}}},
		"code":              map[string]any{"text": newResultName},
		"subject":           map[string]any{"reference": "Patient/" + patient},
		"effectiveDateTime": at.UTC().Format(time.RFC3339),
		"issued":            at.UTC().Format(time.RFC3339),
		"result":            []any{map[string]any{"reference": "Observation/" + id + "-obs"}},
	})
}

// addAppointment books an appointment for the patient at start.
func addAppointment(t *testing.T, p *msgPractice, patient, id string, start time.Time) {
	t.Helper()
	putResource(t, p, "Appointment", id, map[string]any{
		"status": "booked",
		"start":  start.UTC().Format(time.RFC3339),
		"end":    start.Add(20 * time.Minute).UTC().Format(time.RFC3339),
		"participant": []any{
			map[string]any{"actor": map[string]any{"reference": "Patient/" + patient}, "status": "accepted"},
			map[string]any{"actor": map[string]any{"reference": "Practitioner/dr-park", "display": "Dr. Ana Park"}, "status": "accepted"},
		},
	})
}

// addStaffMessage publishes a message from the practice to the patient.
func addStaffMessage(t *testing.T, p *msgPractice, patient, id, topic string, at time.Time) {
	t.Helper()
	putResource(t, p, "Communication", id, map[string]any{
		"status":    "completed",
		"subject":   map[string]any{"reference": "Patient/" + patient},
		"recipient": []any{map[string]any{"reference": "Patient/" + patient}},
		"sender":    map[string]any{"reference": "Practitioner/dr-park", "display": "Dr. Ana Park"},
		"topic":     map[string]any{"text": topic},
		"sent":      at.UTC().Format(time.RFC3339),
		"payload":   []any{map[string]any{"contentString": newMessageText}},
	})
}

// noPHI fails when a notification's text shows any of words.
func noPHI(t *testing.T, ns []Notification, words ...string) {
	t.Helper()
	for _, n := range ns {
		text := strings.ToLower(n.Title + "\n" + n.Body)
		for _, w := range words {
			if w != "" && strings.Contains(text, strings.ToLower(w)) {
				t.Errorf("notification %q / %q shows %q", n.Title, n.Body, w)
			}
		}
	}
}

func syncNow(t *testing.T, a *App, id string) {
	t.Helper()
	if err := a.Sync(context.Background(), id); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// TestNotificationsEachKindOnce: after the first sync (which announces
// nothing already there), a message, a result, a request's new state, an
// appointment tomorrow and then in an hour, and preventive care due are
// each notified once, with no name, subject, test or value in the text.
func TestNotificationsEachKindOnce(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	patient := practicePatient(t, a, id)
	// The clock goes on to 09:00 the next morning, so that "tomorrow"
	// stays tomorrow while the staff take their two hours below, whenever
	// the test runs.
	y, m, d := p.staffNow().Date()
	p.advance(time.Date(y, m, d+1, 9, 0, 0, 0, p.staffNow().Location()).Sub(p.staffNow()))
	fake := &fakeNotifier{}
	a.SetNotifier(fake)

	// The first sync with notifications on: what the record held is not
	// news; the practice's vaccine recommendation is due.
	syncNow(t, a, id)
	first := fake.take()
	if len(ofKind(first, NotifyMessages))+len(ofKind(first, NotifyResults))+len(ofKind(first, NotifyRequests)) != 0 {
		t.Errorf("first run announced what the record held: %+v", first)
	}
	due := ofKind(first, NotifyCareDue)
	if len(due) != 1 || due[0].Title != "A health reminder is due" || due[0].Body != "Open Carebook to see what." {
		t.Fatalf("care due = %+v, want one private reminder", due)
	}
	syncNow(t, a, id)
	if again := fake.take(); len(again) != 0 {
		t.Fatalf("a sync with nothing new notified %+v", again)
	}

	// A message, a result and an appointment tomorrow arrive.
	now := p.staffNow()
	addStaffMessage(t, p, patient, "note-ferritin", "Your ferritin result", now.Add(-time.Minute))
	addResult(t, p, patient, "rep-ferritin", now.Add(-time.Hour))
	y, m, d = now.Date()
	tomorrow := time.Date(y, m, d+1, 10, 30, 0, 0, now.Location())
	addAppointment(t, p, patient, "appt-tomorrow", tomorrow)
	// And a refill the patient asks for is accepted by the office.
	sub, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestRefill, About: medKey(t, a, id, "Lisinopril", "active"),
		Pharmacy: "Riverside Pharmacy"})
	if err != nil {
		t.Fatalf("refill: %v", err)
	}
	if got := fake.take(); len(got) != 0 {
		t.Fatalf("sending a request notified %+v", got)
	}
	p.answerNow(t)
	syncNow(t, a, id)
	got := fake.take()
	msgs, results, reqs, appts := ofKind(got, NotifyMessages), ofKind(got, NotifyResults), ofKind(got, NotifyRequests), ofKind(got, NotifyAppointments)
	if len(msgs) != 1 || msgs[0].Title != "New message from your practice" {
		t.Errorf("messages = %+v", msgs)
	}
	if len(results) != 1 || results[0].Title != "New result" || !slicesHas(results[0].Keys, "result/DiagnosticReport/rep-ferritin") {
		t.Errorf("results = %+v", results)
	}
	r := requestBySeq(t, a, id, sub.Seq)
	wantKey := "request/Task/" + r.ID + "/" + string(RequestReceived)
	found := false
	for _, n := range reqs {
		found = found || slicesHas(n.Keys, wantKey)
		if n.Title != "A request has an update" {
			t.Errorf("request notification %+v", n)
		}
	}
	if !found {
		t.Errorf("requests = %+v, want %s", reqs, wantKey)
	}
	if len(appts) != 1 || appts[0].Title != "Appointment tomorrow" {
		t.Errorf("appointments = %+v, want one for tomorrow", appts)
	}

	// Names, subjects, tests and values stay off the screen by default.
	c, err := a.Chart(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	pt, _ := c.Patient()
	noPHI(t, append(got, first...), append(strings.Fields(pt.Name), "Park", "ferritin", newResultName, newResultValue,
		newMessageText, "Lisinopril", "Riverside", "COVID", "10:30")...)

	// Nothing twice.
	syncNow(t, a, id)
	if again := fake.take(); len(again) != 0 {
		t.Fatalf("the second sync notified again: %+v", again)
	}

	// In the hour before the appointment: one more reminder, once.
	p.advance(tomorrow.Add(-50 * time.Minute).Sub(p.staffNow()))
	syncNow(t, a, id)
	soon := ofKind(fake.take(), NotifyAppointments)
	if len(soon) != 1 || soon[0].Title != "Appointment in an hour" || soon[0].Body != "Open Carebook for the details." {
		t.Errorf("an hour before: %+v", soon)
	}
	syncNow(t, a, id)
	if again := ofKind(fake.take(), NotifyAppointments); len(again) != 0 {
		t.Errorf("the hour reminder came twice: %+v", again)
	}
}

func slicesHas(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestNotificationsSwitchedOffAndDetails: a kind switched off is not
// notified (nor later, when switched on again); with details on, the
// text says who wrote and about what, and whose record it is.
func TestNotificationsSwitchedOffAndDetails(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	patient := practicePatient(t, a, id)
	fake := &fakeNotifier{}
	a.SetNotifier(fake)
	syncNow(t, a, id)
	fake.take()

	off := NotificationSettings{Off: map[NotificationKind]bool{}}
	for _, k := range NotificationKinds {
		off.Off[k] = true
	}
	if err := a.SetNotificationSettings(ctx, id, off); err != nil {
		t.Fatal(err)
	}
	now := p.staffNow()
	addStaffMessage(t, p, patient, "note-off", "While switched off", now)
	addResult(t, p, patient, "rep-off", now)
	addAppointment(t, p, patient, "appt-soon", now.Add(40*time.Minute))
	syncNow(t, a, id)
	if got := fake.take(); len(got) != 0 {
		t.Fatalf("switched off, yet notified %+v", got)
	}
	pending, err := a.PendingNotifications(ctx, id)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending while off = %+v, %v", pending, err)
	}

	// Messages back on, with details: what came while off stays quiet;
	// the next message is announced with its sender and subject.
	on := NotificationSettings{Off: map[NotificationKind]bool{NotifyResults: true, NotifyAppointments: true, NotifyCareDue: true, NotifyRequests: true},
		ShowDetails: true}
	if err := a.SetNotificationSettings(ctx, id, on); err != nil {
		t.Fatal(err)
	}
	if got, err := a.NotificationSettings(ctx, id); err != nil || !got.ShowDetails || got.On(NotifyResults) || !got.On(NotifyMessages) {
		t.Fatalf("settings read back = %+v, %v", got, err)
	}
	syncNow(t, a, id)
	if got := fake.take(); len(got) != 0 {
		t.Fatalf("switching on announced what came while off: %+v", got)
	}
	addStaffMessage(t, p, patient, "note-on", "Your appointment letter", p.staffNow())
	pending, err = a.PendingNotifications(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, a, id)
	got := fake.take()
	if len(got) != 1 || got[0].Title != "New message from Dr. Ana Park" || !strings.Contains(got[0].Body, "Your appointment letter") {
		t.Fatalf("with details: %+v", got)
	}
	if len(pending) != 0 {
		t.Errorf("pending before the sync brought the message = %+v", pending)
	}
}

// TestWhoseNotification: with one record no owner is named; with several,
// the owner is said without a name unless details are on.
func TestWhoseNotification(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	prof, err := a.store.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if who, err := a.whose(ctx, prof, false); err != nil || who != "" {
		t.Fatalf("one profile: %q, %v", who, err)
	}
	other := prof
	other.ID, other.Label = "", "Leo Chidi Okafor"
	other.Settings = map[string]string{settingSelf: "false", settingRelation: "son"}
	if _, err := a.store.CreateProfile(ctx, other); err != nil {
		t.Fatal(err)
	}
	ps, _ := a.store.Profiles(ctx)
	for _, x := range ps {
		who, err := a.whose(ctx, x, false)
		if err != nil {
			t.Fatal(err)
		}
		detailed, _ := a.whose(ctx, x, true)
		switch x.Label {
		case "Leo Chidi Okafor":
			if who != "For your son" || detailed != "For Leo" {
				t.Errorf("son: %q / %q", who, detailed)
			}
		default:
			if who != "For you" || !strings.HasPrefix(detailed, "For Maya") {
				t.Errorf("self: %q / %q", who, detailed)
			}
		}
	}
}

// TestFirstSyncResultsAreNew: after the first sync the results of the
// last weeks are new on the dashboard until opened; opening one marks
// only it seen.
func TestFirstSyncResultsAreNew(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	d, err := a.Dashboard(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.NewResults) == 0 {
		t.Fatal("the first sync marked every result as seen")
	}
	for _, g := range d.NewResults {
		if when := g.Issued; !when.IsZero() && when.Time.Before(p.staffNow().Add(-newResultsWindow)) {
			t.Errorf("%s issued %s counts as new", g.Title, when)
		}
	}
	n := len(d.NewResults)
	opened := d.NewResults[0]
	if err := a.MarkResultOpened(ctx, id, opened.Key()); err != nil {
		t.Fatal(err)
	}
	// Another sync does not make seen what was not opened.
	syncNow(t, a, id)
	d, err = a.Dashboard(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.NewResults) != n-1 {
		t.Fatalf("after opening one of %d: %d new", n, len(d.NewResults))
	}
	for _, g := range d.NewResults {
		if g.Key() == opened.Key() {
			t.Errorf("%s still new after being opened", opened.Key())
		}
	}
	for _, at := range d.Attention {
		for _, o := range opened.Results {
			if at.Kind == record.AttentionAbnormalResult && at.Key == o.Key() {
				t.Errorf("opened result %s still asks for attention", o.Key())
			}
		}
	}
	if len(d.Due) == 0 || d.Due[0].Guidance {
		t.Errorf("due = %+v, want the practice's recommendation first", d.Due)
	}
}

// TestCareDueHeading: the practice's recommendation whose date has gone by
// is headed "Overdue: …" (dashboard, notification, command line), as its
// detail says "Overdue since …"; one due today or later is headed "Due:
// …"; in English and Spanish. Before, an overdue one read "Due: …" above
// "Overdue since …".
func TestCareDueHeading(t *testing.T) {
	now := time.Date(2026, time.December, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang, due, heading, detail string
	}{
		{"en", "2026-11-20", "Overdue: Zoster vaccine — recommended by your practice", "Overdue since "},
		{"en", "2026-12-05", "Overdue: Zoster vaccine — recommended by your practice", "Overdue since "},
		{"en", "2026-12-06", "Due: Zoster vaccine — recommended by your practice", "Due "},
		{"es", "2026-11-20", "Con retraso: Zoster vaccine — recomendado por su centro médico", "Pendiente desde "},
		{"es", "2026-12-20", "Pendiente: Zoster vaccine — recomendado por su centro médico", "Toca el "},
	} {
		t.Run(tc.lang+" "+tc.due, func(t *testing.T) {
			i18n.SetLanguage(tc.lang)
			t.Cleanup(func() { i18n.SetLanguage("en") })
			c := record.Load([]record.Resource{
				{Type: "Patient", ID: "p", JSON: []byte(`{"resourceType":"Patient","id":"p","birthDate":"1950-01-01"}`)},
				{Type: "ImmunizationRecommendation", ID: "r1", JSON: []byte(`{"resourceType":"ImmunizationRecommendation","id":"r1","date":"2026-11-01",
					"recommendation":[{"vaccineCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"187","display":"Zoster vaccine"}]}],
					"forecastStatus":{"coding":[{"code":"due"}]},
					"dateCriterion":[{"code":{"coding":[{"system":"http://loinc.org","code":"30980-7"}]},"value":"` + tc.due + `"}]}]}`)},
			})
			var got []string
			for _, it := range record.PreventiveCare(c, now) {
				if !it.Guidance {
					got = append(got, CareDueHeading(it)+" / "+it.Detail)
				}
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.heading+" / "+tc.detail) {
				t.Errorf("due %s on %s: %q; want %q above %q…", tc.due, now.Format(time.DateOnly), got, tc.heading, tc.detail)
			}
		})
	}
}
