package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWhoLookedAtMyRecord: after a sync and a message the doctor answered,
// the practice's log shows the patient's own accesses (with Carebook) and
// the doctor's, newest first; reading it records nothing; a sign-in
// without the scope, a practice that does not share its log and an
// unreachable practice each get their own answer.
func TestWhoLookedAtMyRecord(t *testing.T) {
	ctx := context.Background()
	p, a, id, to := openMsgAppTo(t)
	d := Draft{To: to, Topic: "medical", Subject: "Results", Text: "Are my results in?", DraftKey: DraftNew}
	if _, err := a.SendMessage(ctx, id, d); err != nil {
		t.Fatal(err)
	}
	p.work(t)      // the practice reads it
	p.answerNow(t) // and the doctor answers

	list, err := a.WhoLookedAtMyRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var self, doctor *RecordAccess
	total := 0
	for i, ra := range list {
		total += ra.Count
		if i > 0 && ra.Last.After(list[i-1].Last) {
			t.Errorf("not newest first: %v after %v", ra.Last, list[i-1].Last)
		}
		switch {
		case ra.Self && ra.Kind == AccessLooked && self == nil:
			self = &list[i]
		case ra.WhoRef == "Practitioner/dr-park" && ra.Kind == AccessLooked:
			doctor = &list[i]
		}
	}
	if self == nil || self.Who != "You (Carebook)" || self.Count < 2 {
		t.Errorf("the patient's own access: %+v in %+v", self, list)
	}
	if doctor == nil || !strings.HasPrefix(doctor.Who, "Dr. Elena Park") {
		t.Fatalf("the doctor's access: %+v in %+v", doctor, list)
	}
	if line := doctor.Line(doctor.Day); !strings.HasPrefix(line, "Dr. Elena Park") || !strings.Contains(line, "looked at your record · ") {
		t.Errorf("line = %q", line)
	}
	again, err := a.WhoLookedAtMyRecord(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ra := range again {
		n += ra.Count
	}
	if n != total {
		t.Errorf("looking at the log changed it: %d then %d events", total, n)
	}

	// A sign-in from before the practice shared its log.
	prof, err := a.store.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	scope := prof.Settings[settingScope]
	if !strings.Contains(scope, scopeAuditEvents) {
		t.Fatalf("the sign-in did not ask for %s: %q", scopeAuditEvents, scope)
	}
	setProfile := func(change func(*profileEdit)) {
		t.Helper()
		pr, err := a.store.Profile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e := profileEdit{scope: pr.Settings[settingScope], url: pr.PracticeURL}
		change(&e)
		pr.Settings[settingScope], pr.PracticeURL = e.scope, e.url
		if e.url != p.FHIRBase() {
			pr.Settings[settingDemo] = "" // not the demo practice: no reconnecting to it
		}
		if err := a.store.UpdateProfile(ctx, pr); err != nil {
			t.Fatal(err)
		}
	}
	setProfile(func(e *profileEdit) { e.scope = strings.ReplaceAll(scope, scopeAuditEvents, "") })
	if _, err := a.WhoLookedAtMyRecord(ctx, id); !errors.Is(err, ErrAuditNeedsSignIn) || !strings.Contains(WhoMessage(err), "Sign in to the practice again") {
		t.Errorf("without the scope: %v (%q)", err, WhoMessage(err))
	}
	setProfile(func(e *profileEdit) { e.scope = scope })

	// A practice that does not offer AuditEvent.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","rest":[{"mode":"server","resource":[{"type":"Patient","interaction":[{"code":"read"}]}]}]}`))
	}))
	defer plain.Close()
	setProfile(func(e *profileEdit) { e.url = plain.URL + "/fhir" })
	if _, err := a.WhoLookedAtMyRecord(ctx, id); !errors.Is(err, ErrAuditNotOffered) || WhoMessage(err) != "Your practice does not share who looked at your record." {
		t.Errorf("not offered: %v", err)
	}

	// Unreachable.
	plain.Close()
	if _, err := a.WhoLookedAtMyRecord(ctx, id); !errors.Is(err, ErrOffline) || !strings.Contains(WhoMessage(err), "connect to the internet") {
		t.Errorf("offline: %v", err)
	}
}

type profileEdit struct{ scope, url string }
