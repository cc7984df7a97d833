package app

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
)

// cardRecord is a small record with everything the emergency card shows
// and things it must never show (a lab value, the address, a note).
var cardRecord = []storage.Resource{
	{Type: "Patient", ID: "p1", JSON: []byte(`{"resourceType":"Patient","id":"p1","name":[{"given":["Rosa"],"family":"Núñez"}],"birthDate":"1961-04-09",
		"address":[{"line":["12 Secret Street"],"city":"Hiddenville"}],
		"contact":[{"relationship":[{"coding":[{"code":"C"}],"text":"Daughter"}],"name":{"given":["Ana"],"family":"Núñez"},"telecom":[{"system":"phone","value":"+1 555 0100"}]}]}`)},
	{Type: "AllergyIntolerance", ID: "a1", JSON: []byte(`{"resourceType":"AllergyIntolerance","id":"a1","code":{"text":"Penicillin"},"patient":{"reference":"Patient/p1"}}`)},
	{Type: "MedicationRequest", ID: "m1", JSON: []byte(`{"resourceType":"MedicationRequest","id":"m1","status":"active","medicationCodeableConcept":{"text":"Lisinopril 10 mg"},"subject":{"reference":"Patient/p1"},
		"note":[{"text":"Private prescriber note"}]}`)},
	{Type: "MedicationRequest", ID: "m2", JSON: []byte(`{"resourceType":"MedicationRequest","id":"m2","status":"stopped","medicationCodeableConcept":{"text":"Old drug"},"subject":{"reference":"Patient/p1"}}`)},
	{Type: "Condition", ID: "c1", JSON: []byte(`{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"Type 2 diabetes"},"subject":{"reference":"Patient/p1"}}`)},
	{Type: "Observation", ID: "bt", JSON: []byte(`{"resourceType":"Observation","id":"bt","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"882-1"}]},
		"valueCodeableConcept":{"text":"O Rh negative"},"effectiveDateTime":"2020-01-01","subject":{"reference":"Patient/p1"}}`)},
	{Type: "Observation", ID: "ldl", JSON: []byte(`{"resourceType":"Observation","id":"ldl","status":"final","code":{"text":"LDL cholesterol"},
		"valueQuantity":{"value":187,"unit":"mg/dL"},"effectiveDateTime":"2026-01-01","subject":{"reference":"Patient/p1"}}`)},
}

// openCardCore opens a core with one profile holding cardRecord.
func openCardCore(t *testing.T) (*App, string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	core, err := Open(Config{DataDir: dir, Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.store.CreateProfile(ctx, storage.Profile{PracticeURL: "http://127.0.0.1:1/fhir", PatientID: "p1", Label: "Rosa Núñez"})
	if err != nil {
		t.Fatal(err)
	}
	rs := append([]storage.Resource(nil), cardRecord...)
	for i := range rs {
		rs[i].LastUpdated = time.Now()
	}
	if err := core.store.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	return core, p.ID, dir
}

// TestEmergencyCardOnLockScreen: the card holds allergies, active
// medications, conditions, blood type and the emergency contact; off by
// default; once turned on it is readable while locked, and nothing else
// of the record is (not the record through the app, not on disk in
// clear); turning it off deletes it.
func TestEmergencyCardOnLockScreen(t *testing.T) {
	ctx := context.Background()
	core, pid, dir := openCardCore(t)
	card, err := core.EmergencyCard(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Join(EmergencyCardLines(card), "\n")
	for _, want := range []string{"Penicillin", "Lisinopril 10 mg", "Type 2 diabetes", "Ana Núñez, Daughter, +1 555 0100"} {
		if !strings.Contains(lines, want) {
			t.Errorf("the card lacks %q:\n%s", want, lines)
		}
	}
	if strings.Contains(lines, "Old drug") {
		t.Error("the card lists a stopped medication")
	}
	if card.BloodType != "O Rh negative" || card.Name != "Rosa Núñez" {
		t.Errorf("card name %q blood type %q", card.Name, card.BloodType)
	}

	if on, err := core.LockScreenCardOn(ctx, pid); err != nil || on {
		t.Fatalf("lock-screen card on by default: %v %v", on, err)
	}
	core.Lock()
	if cards, err := core.LockScreenCards(ctx); err != nil || len(cards) != 0 {
		t.Fatalf("locked, before it was turned on: %d cards, %v; want none", len(cards), err)
	}
	if err := core.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := core.SetLockScreenCard(ctx, pid, true); err != nil {
		t.Fatal(err)
	}
	core.Lock()
	cards, err := core.LockScreenCards(ctx)
	if err != nil || len(cards) != 1 {
		t.Fatalf("locked: %d cards, %v; want the one card", len(cards), err)
	}
	got := strings.Join(EmergencyCardLines(cards[0]), "\n")
	if got != lines || cards[0].BloodType != "O Rh negative" {
		t.Errorf("the card read while locked:\n%s\nwant:\n%s", got, lines)
	}
	if on, err := core.LockScreenCardOn(ctx, pid); err != nil || !on {
		t.Errorf("LockScreenCardOn while locked = %v, %v; want true", on, err)
	}
	// Nothing else: the record stays sealed.
	for name, read := range map[string]func() error{
		"Chart":     func() error { _, err := core.Chart(ctx, pid); return err },
		"Documents": func() error { _, err := core.Documents(ctx, pid, ""); return err },
		"Export": func() error {
			_, _, err := core.ExportBytes(ctx, Export{Format: ExportPDF, ProfileIDs: []string{pid}})
			return err
		},
		"Card": func() error { _, err := core.EmergencyCard(ctx, pid); return err },
	} {
		if err := read(); !errors.Is(err, storage.ErrLocked) {
			t.Errorf("%s while locked: %v, want ErrLocked", name, err)
		}
	}
	// On disk, in clear, only the card: not the address, the lab value,
	// the prescriber's note or the stopped drug.
	err = filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// The lab value as the record and a screen write it: "187" alone is
		// found by chance in a random id or a timestamp's nanoseconds.
		for _, secret := range []string{"Secret Street", "Hiddenville", "LDL", `"value":187`, "187 mg/dL", "Private prescriber note", "Old drug"} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds %q in clear", filepath.Base(path), secret)
			}
		}
		if filepath.Base(path) != storage.LockScreenFile && strings.Contains(string(data), "Penicillin") {
			t.Errorf("%s holds the card's allergy in clear", filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, storage.LockScreenFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("card file: %v %v, want readable by its owner only", fi, err)
	}

	if err := core.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := core.SetLockScreenCard(ctx, pid, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, storage.LockScreenFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("turned off, the card file is still there: %v", err)
	}
	core.Lock()
	if cards, err := core.LockScreenCards(ctx); err != nil || len(cards) != 0 {
		t.Errorf("turned off: %d cards while locked, %v", len(cards), err)
	}
}

// TestDocumentsList: every kind of document in the list, newest first,
// searchable, with its text where the cache holds it; saving one gives
// its bytes and a safe file name.
func TestDocumentsList(t *testing.T) {
	ctx := context.Background()
	core, pid, _ := openCardCore(t)
	put := func(typ, id, js string) {
		if err := core.store.Put(ctx, pid, storage.Resource{Type: typ, ID: id, LastUpdated: time.Now(), JSON: []byte(js)}); err != nil {
			t.Fatal(err)
		}
	}
	// "Visit summary" in plain text, "a/b" as a title that is no file name.
	put("DocumentReference", "d1", `{"resourceType":"DocumentReference","id":"d1","status":"current","date":"2026-03-01",
		"type":{"text":"Progress note"},"category":[{"text":"Clinical Note"}],"description":"Visit on 1 March",
		"content":[{"attachment":{"contentType":"text/plain","data":"`+b64("Blood pressure is better.")+`","title":"a/b"}}]}`)
	put("DocumentReference", "d2", `{"resourceType":"DocumentReference","id":"d2","status":"current","date":"2025-05-01",
		"type":{"text":"Patient education"},"description":"Eating well with diabetes",
		"content":[{"attachment":{"contentType":"application/pdf","url":"Binary/b1"}}]}`)
	put("DiagnosticReport", "r1", `{"resourceType":"DiagnosticReport","id":"r1","status":"final","code":{"text":"Lipid panel"},"effectiveDateTime":"2026-01-02",
		"presentedForm":[{"contentType":"application/pdf","data":"`+b64("%PDF-1.4 lipids")+`"}]}`)
	put("Communication", "c1", `{"resourceType":"Communication","id":"c1","status":"completed","sent":"2024-02-02","topic":{"text":"Your referral"},
		"payload":[{"contentAttachment":{"contentType":"application/pdf","title":"Referral letter","data":"`+b64("%PDF-1.4 letter")+`"}}]}`)

	docs, err := core.Documents(ctx, pid, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.Kind.Label()+": "+d.Title)
	}
	want := []string{"Visit summary: Visit on 1 March", "Lab report: Lipid panel", "Health information: Eating well with diabetes", "Sent with a message: Your referral — Referral letter"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("documents:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !docs[0].Offline || docs[0].Text != "Blood pressure is better." || docs[2].Offline {
		t.Errorf("offline/text: %+v %+v", docs[0], docs[2])
	}
	for query, n := range map[string]int{"blood pressure": 1, "LIPID": 1, "diabetes eating": 1, "letter": 1, "nothing like it": 0, "  ": 4} {
		hits, err := core.Documents(ctx, pid, query)
		if err != nil || len(hits) != n {
			t.Errorf("Documents(%q) = %d, %v; want %d", query, len(hits), err, n)
		}
	}
	data, name, err := core.DocumentFile(ctx, pid, "DocumentReference/d1", 0)
	if err != nil || string(data) != "Blood pressure is better." || name != "a-b.txt" {
		t.Errorf("DocumentFile = %q %q %v", data, name, err)
	}
	if _, _, err := core.DocumentFile(ctx, pid, "Observation/ldl", 0); !errors.Is(err, ErrNoDocument) {
		t.Errorf("DocumentFile of a result: %v, want ErrNoDocument", err)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestLockScreenCardFollowsTheRecord: while on, the lock-screen card is
// made again when the record changes (after a sync), so it never shows a
// stale allergy list; off, nothing is written.
func TestLockScreenCardFollowsTheRecord(t *testing.T) {
	ctx := context.Background()
	core, pid, dir := openCardCore(t)
	// Off: a change writes no card.
	if err := core.refreshLockScreenCard(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, storage.LockScreenFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("card off, yet a card file after a change: %v", err)
	}
	if err := core.SetLockScreenCard(ctx, pid, true); err != nil {
		t.Fatal(err)
	}
	if err := core.store.Put(ctx, pid, storage.Resource{Type: "AllergyIntolerance", ID: "a2", LastUpdated: time.Now(),
		JSON: []byte(`{"resourceType":"AllergyIntolerance","id":"a2","code":{"text":"Latex"},"patient":{"reference":"Patient/p1"}}`)}); err != nil {
		t.Fatal(err)
	}
	core.forget(pid) // what a sync that changed the record does
	if err := core.refreshLockScreenCard(ctx, pid); err != nil {
		t.Fatal(err)
	}
	core.Lock()
	cards, err := core.LockScreenCards(ctx)
	if err != nil || len(cards) != 1 {
		t.Fatalf("%d cards, %v", len(cards), err)
	}
	if got := strings.Join(cards[0].Allergies, "; "); !strings.Contains(got, "Latex") || !strings.Contains(got, "Penicillin") {
		t.Errorf("the card after the change lists %q, want Latex and Penicillin", got)
	}
}
