package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/storage"
)

// serverPatient reads the practice's copy of the profile's patient.
func serverPatient(t testing.TB, a *App, p *msgPractice, id string) (map[string]any, string) {
	t.Helper()
	prof, err := a.store.Profile(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Store().Read(context.Background(), "Patient", prof.PatientID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeObject(res.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return m, res.VersionID
}

// TestDetailsReadAndUpdated: the details come from the cache with the
// identity read-only (who to ask, as the practice publishes), and a
// change goes to the practice as an update of the whole Patient that keeps
// every other element; the preferred pharmacy is the one the refill form
// offers first afterwards.
func TestDetailsReadAndUpdated(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())

	d, err := a.PatientDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	name, phone, ph := d.Field(DetailName), d.Field(DetailPhone), d.Field(DetailPharmacy)
	if name.Value != "Maya Elena Rivera" || name.Editable || !strings.Contains(name.AskWho, "front desk") {
		t.Errorf("name = %+v, want read-only with who to ask", name)
	}
	if phone.Value == "" || !phone.Editable || d.Field(DetailGender).Editable || d.Field(DetailBirthDate).Editable {
		t.Errorf("phone = %+v, gender/birth date editable?", phone)
	}
	if !strings.HasPrefix(ph.Value, "Organization/") || ph.Display != "Riverside Pharmacy" || len(d.Pharmacies) < 2 {
		t.Fatalf("pharmacy = %+v among %+v", ph, d.Pharmacies)
	}
	if d.Version == "" || d.Update.State != DetailsNone || !d.CanChange {
		t.Fatalf("details = %+v", d)
	}
	before, _ := serverPatient(t, a, p, id)

	bad := []map[DetailKey]string{
		{DetailEmail: "not an address"},
		{DetailPhone: "call me"},
		{DetailName: "Someone Else"},
		{"shoe-size": "9"},
		{DetailPhone: phone.Value}, // nothing changes
	}
	for _, ch := range bad {
		if _, err := a.UpdateDetails(ctx, id, ch, d.Version); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("UpdateDetails(%v) = %v, want ErrInvalidInput", ch, err)
		}
	}
	if _, err := a.UpdateDetails(ctx, id, map[DetailKey]string{DetailName: "X"}, d.Version); err == nil || !strings.Contains(err.Error(), "front desk") {
		t.Errorf("name change: %v, want who to ask", err)
	}

	caremail := d.Pharmacies[1]
	sub, err := a.UpdateDetails(ctx, id, map[DetailKey]string{
		DetailPhone: "(555) 010-7788", DetailEmail: "maya.new@example.org", DetailLanguage: "Spanish",
		DetailStreet: "12 Elm Street", DetailCity: "Cedar Falls", DetailPostalCode: "50613",
		DetailEmergencyName: "Sam Rivera", DetailEmergencyRelationship: "Brother", DetailEmergencyPhone: "555-010-2000",
		DetailPharmacy: caremail.Name,
	}, d.Version)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	prof, _ := a.store.Profile(ctx, id)
	if sub.Ref != "Patient/"+prof.PatientID {
		t.Fatalf("submitted %+v", sub)
	}
	after, version := serverPatient(t, a, p, id)
	got := detailValues(after)
	want := map[DetailKey]string{DetailPhone: "(555) 010-7788", DetailEmail: "maya.new@example.org", DetailLanguage: "es",
		DetailStreet: "12 Elm Street", DetailCity: "Cedar Falls", DetailState: "IA", DetailPostalCode: "50613",
		DetailEmergencyName: "Sam Rivera", DetailEmergencyRelationship: "Brother", DetailEmergencyPhone: "555-010-2000",
		DetailPharmacy: caremail.Ref}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("practice's %s = %q, want %q", k, got[k], v)
		}
	}
	// Read-modify-write: every element not changed is as it was.
	for _, k := range []string{"identifier", "name", "birthDate", "gender", "generalPractitioner", "managingOrganization", "active"} {
		b1, _ := json.Marshal(before[k])
		b2, _ := json.Marshal(after[k])
		if string(b1) != string(b2) {
			t.Errorf("%s changed: %s -> %s", k, b1, b2)
		}
	}
	// The app shows the practice's copy at once, and the refill form
	// offers the new preferred pharmacy first: one source of truth.
	d2, err := a.PatientDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Version != version || d2.Update.State != DetailsSent || d2.Field(DetailEmail).Value != "maya.new@example.org" ||
		d2.Field(DetailLanguage).Display != "Spanish" {
		t.Errorf("after: version %s (practice %s), %+v, email %+v", d2.Version, version, d2.Update, d2.Field(DetailEmail))
	}
	if len(d2.Pharmacies) == 0 || d2.Pharmacies[0].Ref != caremail.Ref || !d2.Pharmacies[0].Preferred {
		t.Errorf("pharmacies after = %+v, want %s preferred first", d2.Pharmacies, caremail.Ref)
	}

	// The practice refuses a pharmacy it does not know, in its words.
	_, err = a.UpdateDetails(ctx, id, map[DetailKey]string{DetailPharmacy: "Organization/nowhere"}, d2.Version)
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(refused.Message, "does not exist") {
		t.Fatalf("unknown pharmacy: %v, want the practice's words", err)
	}
	d3, _ := a.PatientDetails(ctx, id)
	if d3.Update.State != DetailsFailed || d3.Update.Words != refused.Message {
		t.Errorf("state after refusal = %+v", d3.Update)
	}
}

// TestDetailsConflictResolvedFieldByField: the practice changes the phone
// and the city while the patient edits phone and e-mail; the update is
// refused (412), both versions are shown field by field, and the patient's
// choice is sent against the practice's new version, keeping its city.
func TestDetailsConflictResolvedFieldByField(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	d, err := a.PatientDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The front desk changes the phone and the city meanwhile.
	m, v := serverPatient(t, a, p, id)
	applyDetails(m, map[DetailKey]string{DetailPhone: "(555) 333-0000", DetailCity: "Iowa City"}, func(string) string { return "" })
	if _, err := p.Store().Update(ctx, "Patient", str(m, "id"), mustJSON(m), v); err != nil {
		t.Fatal(err)
	}

	_, err = a.UpdateDetails(ctx, id, map[DetailKey]string{DetailPhone: "(555) 444-1111", DetailEmail: "maya@example.net"}, d.Version)
	var ce *DetailsConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrRefused) {
		t.Fatalf("update = %v, want a conflict", err)
	}
	rows := map[DetailKey]ConflictRow{}
	for _, r := range ce.Conflict.Rows {
		rows[r.Key] = r
	}
	if len(rows) != 2 || rows[DetailPhone].Yours != "(555) 444-1111" || rows[DetailPhone].Practice != "(555) 333-0000" ||
		!rows[DetailPhone].PracticeChanged || rows[DetailEmail].Yours != "maya@example.net" || rows[DetailEmail].PracticeChanged {
		t.Fatalf("rows = %+v", ce.Conflict.Rows)
	}
	if st, _ := a.PatientDetails(ctx, id); st.Update.State != DetailsChoose || st.Field(DetailCity).Value != "Iowa City" {
		t.Fatalf("state = %+v, city %q", st.Update, st.Field(DetailCity).Value)
	}
	// A newer change is refused until the patient has chosen: it would
	// hide this one, which would then never reach the practice.
	if _, err := a.UpdateDetails(ctx, id, map[DetailKey]string{DetailCity: "Ames"}, ""); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("a newer change while one waits for a choice = %v, want ErrInvalidInput", err)
	}
	// Built again later (after a restart) it says the same.
	again, err := a.DetailsConflictOf(ctx, id)
	if err != nil || len(again.Rows) != 2 || again.Version != ce.Conflict.Version {
		t.Fatalf("DetailsConflictOf = %+v, %v", again, err)
	}

	sub, err := a.ResolveDetailsConflict(ctx, id, again, map[DetailKey]bool{DetailPhone: false, DetailEmail: true})
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if sub.Ref == "" {
		t.Fatalf("resolved %+v", sub)
	}
	final, _ := serverPatient(t, a, p, id)
	got := detailValues(final)
	if got[DetailPhone] != "(555) 333-0000" || got[DetailEmail] != "maya@example.net" || got[DetailCity] != "Iowa City" {
		t.Errorf("practice's copy = phone %q email %q city %q", got[DetailPhone], got[DetailEmail], got[DetailCity])
	}
	after, err := a.PatientDetails(ctx, id)
	if err != nil || after.Update.State != DetailsSent {
		t.Fatalf("after = %+v, %v", after.Update, err)
	}
	entries, _ := a.Outbox(ctx, id)
	for _, e := range entries {
		if e.State == storage.OutboxConflict {
			t.Errorf("the refused change is still in the outbox: %+v", e)
		}
	}
}

// TestDetailsExactlyOnceUnderDroppedReply: the practice carries out the
// update and drops the reply; the retry (412: the version moved) finds
// the practice holds what was sent, so the change counts once and is
// shown sent, not as a conflict.
func TestDetailsExactlyOnceUnderDroppedReply(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	d, err := a.PatientDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	_, v0 := serverPatient(t, a, p, id)
	p.Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyPaths: "/fhir/Patient", RetryAfter: time.Millisecond})
	_, err = a.UpdateDetails(ctx, id, map[DetailKey]string{DetailPhone: "(555) 777-1234"}, d.Version)
	p.Faults().Set(faults.Config{})
	if err != nil && !errors.Is(err, ErrQueued) {
		t.Fatalf("update: %v", err)
	}
	if errors.Is(err, ErrQueued) {
		p.advance(2 * time.Hour)
		if err := a.SendOutbox(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	m, v1 := serverPatient(t, a, p, id)
	if detailValues(m)[DetailPhone] != "(555) 777-1234" {
		t.Fatalf("phone = %q", detailValues(m)[DetailPhone])
	}
	if v0 == v1 || v1 != next(t, v0) {
		t.Errorf("versions %s -> %s, want exactly one update", v0, v1)
	}
	if st, _ := a.PatientDetails(ctx, id); st.Update.State != DetailsSent {
		t.Errorf("state = %+v", st.Update)
	}
}

func next(t *testing.T, v string) string {
	t.Helper()
	var n int
	if err := json.Unmarshal([]byte(v), &n); err != nil {
		t.Fatalf("version %q: %v", v, err)
	}
	b, _ := json.Marshal(n + 1)
	return string(b)
}

// TestDetailsWaitWhileThePracticeIsDown: a change made while the practice
// answers 503 is stored and shown as waiting, with the new values; the
// next send delivers it.
func TestDetailsWaitWhileThePracticeIsDown(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	d, err := a.PatientDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond})
	sub, err := a.UpdateDetails(ctx, id, map[DetailKey]string{DetailEmail: "maya@offline.example"}, d.Version)
	if !errors.Is(err, ErrQueued) || sub.LocalID == "" {
		t.Fatalf("update while down = %+v, %v; want it queued", sub, err)
	}
	w, err := a.PatientDetails(ctx, id)
	if err != nil || w.Update.State != DetailsWaiting || w.Field(DetailEmail).Value != "maya@offline.example" {
		t.Fatalf("while waiting: %+v, email %q, %v", w.Update, w.Field(DetailEmail).Value, err)
	}
	if _, err := a.UpdateDetails(ctx, id, map[DetailKey]string{DetailPhone: "555 010 0000"}, w.Version); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a second change while one waits: %v, want ErrInvalidInput", err)
	}
	p.Faults().Set(faults.Config{})
	p.advance(2 * time.Hour)
	if err := a.SendOutbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	m, _ := serverPatient(t, a, p, id)
	if got := detailValues(m)[DetailEmail]; got != "maya@offline.example" {
		t.Fatalf("practice's e-mail = %q", got)
	}
	if st, _ := a.PatientDetails(ctx, id); st.Update.State != DetailsSent || st.Field(DetailEmail).Value != "maya@offline.example" {
		t.Errorf("after sending: %+v, email %q", st.Update, st.Field(DetailEmail).Value)
	}
}
