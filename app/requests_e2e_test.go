package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/sync/outbox"
)

// medKey returns the key of the patient's prescription whose medicine's
// name contains name and whose status is status.
func medKey(t testing.TB, a *App, id, name, status string) string {
	t.Helper()
	c, err := a.Chart(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Medications {
		if strings.Contains(m.Medication, name) && m.Status == status {
			return m.Key()
		}
	}
	t.Fatalf("no %s prescription of %q", status, name)
	return ""
}

// requestBySeq finds the request made as outbox item seq.
func requestBySeq(t testing.TB, a *App, id string, seq int64) Request {
	t.Helper()
	rs, err := a.Requests(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Items {
		if r.Seq == seq {
			return r
		}
	}
	t.Fatalf("no request %s among %+v", LocalID(seq), rs)
	return Request{}
}

// serverTasks counts the practice's Tasks carrying the client identifier.
func serverTasks(t testing.TB, p *msgPractice, ident string) int {
	t.Helper()
	q, _, err := store.ParseQuery("Task", url.Values{"identifier": {outbox.IdentifierSystem + "|" + ident}}, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Count = store.MaxCount
	rs, _, err := p.Store().Search(context.Background(), "Task", q)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// TestRefillFollowedToTheEnd: a refill of an active prescription to the
// pharmacy the patient chose is sent, received, and done, with the renewed
// prescription (going to that pharmacy) in the record afterwards.
func TestRefillFollowedToTheEnd(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	lisinopril := medKey(t, a, id, "Lisinopril", "active")

	form, err := a.RequestForm(ctx, id, RequestRefill, lisinopril)
	if err != nil {
		t.Fatal(err)
	}
	if !form.CanSend || form.AboutName != "Lisinopril 10 mg tablet" {
		t.Fatalf("refill form = %+v", form)
	}
	var names []string
	for _, ph := range form.Pharmacies {
		names = append(names, ph.Name)
	}
	if len(form.Pharmacies) < 2 || !form.Pharmacies[0].Preferred || form.Pharmacies[0].Name != "Riverside Pharmacy" ||
		!strings.Contains(strings.Join(names, "|"), "CareMail Pharmacy") {
		t.Fatalf("pharmacies = %+v, want the preferred one (Riverside) first, and CareMail", form.Pharmacies)
	}
	// The medicine whose refill the office is already working on can't be
	// asked for twice.
	if f, err := a.RequestForm(ctx, id, RequestRefill, medKey(t, a, id, "Simvastatin", "active")); err != nil || f.CanSend {
		t.Errorf("simvastatin (refill in progress) form = %+v, %v; want it refused", f, err)
	}

	events, stop := a.Events()
	defer stop()
	sub, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestRefill, About: lisinopril,
		Pharmacy: "caremail pharmacy (MAIL ORDER)", Note: "Five tablets left."})
	if err != nil {
		t.Fatalf("refill: %v", err)
	}
	if !strings.HasPrefix(sub.Ref, "Task/") {
		t.Fatalf("submitted %+v, want the practice's Task", sub)
	}
	waitOutboxChanged(t, events, id)
	r := requestBySeq(t, a, id, sub.Seq)
	if r.State != RequestSent || "Task/"+r.ID != sub.Ref || r.Kind != RequestRefill || r.Pharmacy != "CareMail Pharmacy (mail order)" ||
		r.Note != "Five tablets left." || r.Title != "Refill: Lisinopril 10 mg tablet" || r.LocalID != sub.LocalID {
		t.Fatalf("after sending: %+v", r)
	}
	// The practice's copy is the plain Task the app built.
	res, err := p.Store().Read(ctx, "Task", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var task map[string]any
	if err := json.Unmarshal(res.JSON, &task); err != nil {
		t.Fatal(err)
	}
	if task["status"] != "requested" || task["intent"] != "order" || fmt.Sprint(task["for"]) != "map[reference:Patient/"+practicePatient(t, a, id)+"]" {
		t.Errorf("the practice's Task: %s", res.JSON)
	}
	if f, _ := a.RequestForm(ctx, id, RequestRefill, lisinopril); f.CanSend {
		t.Error("a second refill of the same medicine is offered while the first is open")
	}
	dash, err := a.Dashboard(ctx, id)
	if err != nil || len(dash.Requests) == 0 {
		t.Fatalf("dashboard requests = %+v, %v; want the open refill", dash.Requests, err)
	}

	p.answerNow(t) // the office accepts it
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r = requestBySeq(t, a, id, sub.Seq); r.State != RequestReceived || r.Words != "Accepted by the office" {
		t.Fatalf("after the office accepted: %+v", r)
	}
	p.answerNow(t) // and renews the prescription
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	r = requestBySeq(t, a, id, sub.Seq)
	if r.State != RequestDone || len(r.Outcomes) != 1 {
		t.Fatalf("after the office renewed it: %+v", r)
	}
	o := r.Outcomes[0]
	if o.Label != "Renewed prescription" || !strings.HasPrefix(o.Ref, "MedicationRequest/") ||
		!strings.Contains(o.Name, "Lisinopril") || !strings.Contains(o.Name, "3 refills") || !strings.Contains(o.Name, "CareMail") {
		t.Errorf("outcome = %+v", o)
	}
	renewed := medKey(t, a, id, "Lisinopril", "active")
	if renewed != o.Ref {
		t.Errorf("the active Lisinopril is %s, the outcome names %s", renewed, o.Ref)
	}
	if f, _ := a.RequestForm(ctx, id, RequestRefill, lisinopril); f.CanSend {
		t.Error("the old, completed prescription can still be renewed")
	}
	if f, _ := a.RequestForm(ctx, id, RequestRefill, renewed); !f.CanSend {
		t.Errorf("the renewed prescription can't be renewed: %s", f.Why)
	}
	dash, _ = a.Dashboard(ctx, id)
	for _, open := range dash.Requests {
		if open.Seq == sub.Seq {
			t.Error("the done refill is still on the dashboard")
		}
	}
}

func practicePatient(t testing.TB, a *App, id string) string {
	t.Helper()
	ps, err := a.Profiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == id {
			prof, err := a.store.Profile(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return prof.PatientID
		}
	}
	t.Fatal("no profile")
	return ""
}

func waitOutboxChanged(t testing.TB, events <-chan Event, id string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if oc, ok := ev.(OutboxChanged); ok && oc.ProfileID == id {
				return
			}
		case <-timeout:
			t.Fatal("no OutboxChanged event")
		}
	}
}

// TestRefillDeclined: the prescription is stopped at the practice before
// the office gets to the request: it is declined with the practice's
// reason.
func TestRefillDeclined(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	cetirizine := medKey(t, a, id, "Cetirizine", "active")
	sub, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestRefill, About: cetirizine})
	if err != nil {
		t.Fatal(err)
	}
	if r := requestBySeq(t, a, id, sub.Seq); r.Pharmacy != "Riverside Pharmacy" {
		t.Errorf("without a choice the refill goes to %q, want the preferred pharmacy", r.Pharmacy)
	}
	// A clinician stops the medicine meanwhile.
	mid := strings.TrimPrefix(cetirizine, "MedicationRequest/")
	res, err := p.Store().Read(ctx, "MedicationRequest", mid)
	if err != nil {
		t.Fatal(err)
	}
	stopped := strings.Replace(string(res.JSON), `"status":"active"`, `"status":"stopped"`, 1)
	if _, err := p.Store().Update(ctx, "MedicationRequest", mid, []byte(stopped), res.VersionID); err != nil {
		t.Fatal(err)
	}
	p.answerNow(t)
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	r := requestBySeq(t, a, id, sub.Seq)
	if r.State != RequestDeclined || !strings.Contains(r.Words, "no longer active") || len(r.Outcomes) != 0 {
		t.Fatalf("declined request = %+v", r)
	}
}

// TestOtherRequests: a correction from the wrong entry, a copy of a
// report, a referral in words; and bad input that stores nothing.
func TestOtherRequests(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	c, err := a.Chart(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	allergy, report, condition := c.Allergies[0], c.Reports[0], record.Condition{}
	for _, cd := range c.Conditions {
		if cd.Active() {
			condition = cd
		}
	}

	bad := []struct {
		name string
		in   RequestInput
	}{
		{"correction without what is wrong", RequestInput{Kind: RequestCorrection, About: allergy.Key(), ShouldSay: "x"}},
		{"correction of nothing", RequestInput{Kind: RequestCorrection, Wrong: "x"}},
		{"correction of an entry not in the record", RequestInput{Kind: RequestCorrection, About: "Condition/nope", Wrong: "x"}},
		{"referral without words or condition", RequestInput{Kind: RequestReferral}},
		{"referral about a medication", RequestInput{Kind: RequestReferral, About: c.Medications[0].Key()}},
		{"copy of a condition", RequestInput{Kind: RequestLabReportCopy, About: condition.Key()}},
		{"refill of a report", RequestInput{Kind: RequestRefill, About: report.Key()}},
		{"refill of a stopped medicine", RequestInput{Kind: RequestRefill, About: medKey(t, a, id, "Hydrochlorothiazide", "stopped")}},
		{"refill to a pharmacy that is not one", RequestInput{Kind: RequestRefill, About: medKey(t, a, id, "Lisinopril", "active"), Pharmacy: "Pharmacy Nowhere"}},
		{"too long", RequestInput{Kind: RequestReferral, Text: strings.Repeat("a", MaxRequestText+1)}},
		{"unknown kind", RequestInput{Kind: "pizza"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := a.Outbox(ctx, id)
			_, err := a.SendRequest(ctx, id, tt.in)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want invalid input", err)
			}
			if after, _ := a.Outbox(ctx, id); len(after) != len(before) {
				t.Error("bad input was stored")
			}
		})
	}

	good := []struct {
		name      string
		in        RequestInput
		wantTitle string
		wantNote  string
	}{
		{"correction", RequestInput{Kind: RequestCorrection, About: allergy.Key(), Wrong: "I am not allergic to penicillin", ShouldSay: "No known drug allergies"},
			"Correction of the record: " + allergy.Substance, "What is wrong: I am not allergic to penicillin\nWhat it should say: No known drug allergies"},
		{"copy", RequestInput{Kind: RequestLabReportCopy, About: report.Key()}, "Copy of lab report: " + report.Name, ""},
		{"referral in words", RequestInput{Kind: RequestReferral, Text: "Dermatology for a mole check", Note: "Left shoulder"},
			"Referral: Dermatology for a mole check", "Left shoulder"},
		{"referral for a condition", RequestInput{Kind: RequestReferral, About: condition.Key()}, "Referral: " + condition.Name, ""},
	}
	var seqs []int64
	for _, tt := range good {
		sub, err := a.SendRequest(ctx, id, tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		seqs = append(seqs, sub.Seq)
		r := requestBySeq(t, a, id, sub.Seq)
		if r.State != RequestSent || r.Title != tt.wantTitle || r.Note != tt.wantNote || r.About != tt.in.About {
			t.Errorf("%s: %+v", tt.name, r)
		}
	}
	p.answerNow(t)
	p.answerNow(t)
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantOutcome := []string{"Outcome", "Copy of lab report", "Referral", "Referral"}
	for i, seq := range seqs {
		r := requestBySeq(t, a, id, seq)
		if r.State != RequestDone || len(r.Outcomes) != 1 || r.Outcomes[0].Label != wantOutcome[i] || r.Outcomes[0].Name == "" {
			t.Errorf("%s after the office: %+v", good[i].name, r)
		}
	}
}

// TestRequestOfflineSentLater: made while the practice is unreachable, a
// request waits on the device and is sent, once, by the next sync.
func TestRequestOfflineSentLater(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond})
	sub, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: "Physiotherapy for my knee"})
	if !errors.Is(err, ErrQueued) || sub.Ref != "" || sub.LocalID == "" {
		t.Fatalf("offline: %+v, %v; want it queued", sub, err)
	}
	r := requestBySeq(t, a, id, sub.Seq)
	if r.State != RequestWaiting || r.ID != "" || r.LocalID != sub.LocalID || r.Title != "Referral: Physiotherapy for my knee" {
		t.Fatalf("while offline: %+v", r)
	}
	p.Faults().Set(faults.Config{})
	p.advance(time.Hour)
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	r = requestBySeq(t, a, id, sub.Seq)
	if r.State != RequestSent || r.ID == "" {
		t.Fatalf("after the sync: %+v", r)
	}
	entries, _ := a.Outbox(ctx, id)
	for _, e := range entries {
		if e.Seq == sub.Seq {
			if n := serverTasks(t, p, e.Identifier); n != 1 {
				t.Errorf("the practice has %d copies, want 1", n)
			}
		}
	}
	rs, _ := a.Requests(ctx, id)
	n := 0
	for _, x := range rs.Items {
		if x.Title == r.Title {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the request is listed %d times", n)
	}
}

// TestRequestsExactlyOnceUnderDroppedReplies: the practice carries out
// half the request creates and drops the reply (the connection closes
// after the commit), others fail with 503: every request exists exactly
// once at the practice after the retries.
func TestRequestsExactlyOnceUnderDroppedReplies(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	p.Faults().Set(faults.Config{DropReplyAfterCommitRate: 0.5, ErrorRate: 0.15, ErrorStatus: http.StatusServiceUnavailable,
		RetryAfter: time.Millisecond, OnlyPaths: "/fhir/Task", Seed: 11})
	const n = 20
	queued := 0
	for i := range n {
		_, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: fmt.Sprintf("Referral number %d", i)})
		switch {
		case errors.Is(err, ErrQueued):
			queued++
		case err != nil:
			t.Fatalf("request %d: %v", i, err)
		}
		// Let waiting items go before the next one.
		for range 20 {
			if pendingTasks(t, a, id) == 0 {
				break
			}
			p.advance(2 * time.Hour)
			if err := a.SendOutbox(ctx, id); err != nil && !errors.Is(err, ErrOffline) {
				t.Fatal(err)
			}
		}
	}
	if queued == 0 {
		t.Fatal("no reply was dropped: the test proves nothing")
	}
	p.Faults().Set(faults.Config{})
	entries, err := a.Outbox(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, e := range entries {
		if e.Kind != outbox.KindTask {
			continue
		}
		if e.State != "sent" {
			t.Errorf("%s is %s (%s)", e.LocalID, e.State, e.LastError)
		}
		sent++
		if c := serverTasks(t, p, e.Identifier); c != 1 {
			t.Errorf("%s is %d times at the practice", e.LocalID, c)
		}
	}
	if sent != n {
		t.Errorf("%d requests in the outbox, want %d", sent, n)
	}
	t.Logf("%d of %d requests were first left waiting by a dropped reply or a 503", queued, n)
}

func pendingTasks(t testing.TB, a *App, id string) int {
	t.Helper()
	entries, err := a.Outbox(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.State == "pending" {
			n++
		}
	}
	return n
}
