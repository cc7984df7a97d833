package pull

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

func openStore(t *testing.T) (*storage.Store, string) {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(t.TempDir(), storage.Options{Keyring: storage.NewMemoryKeyring(), KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Setup(ctx, "test passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: "http://127.0.0.1/fhir", PatientID: "p1", Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return st, p.ID
}

func seed(srv *fhirtest.Server) {
	srv.Put(`{"resourceType":"Patient","id":"p1","name":[{"family":"Test"}]}`)
	srv.Put(`{"resourceType":"Patient","id":"p2"}`)
	srv.Put(`{"resourceType":"Practitioner","id":"dr1"}`)
	srv.Put(`{"resourceType":"Organization","id":"org1"}`)
	for i := range 25 {
		srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%02d","status":"final","subject":{"reference":"Patient/p1"},"performer":[{"reference":"Practitioner/dr1"}]}`, i))
	}
	srv.Put(`{"resourceType":"Observation","id":"other","status":"final","subject":{"reference":"Patient/p2"}}`)
	srv.Put(`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"asserter":{"reference":"Organization/org1"}}`)
	srv.Put(`{"resourceType":"Condition","id":"c-err","subject":{"reference":"Patient/p1"},"verificationStatus":{"coding":[{"code":"entered-in-error"}]}}`)
	// Malformed: status must be a string. Kept raw, reported.
	srv.Put(`{"resourceType":"Encounter","id":"e-bad","status":5,"subject":{"reference":"Patient/p1"}}`)
	// Not even an id: reported, not stored.
	srv.PutRaw("Encounter", "noid", []byte(`{"resourceType":"Encounter","subject":{"reference":"Patient/p1"}}`))
}

func newAPI(t *testing.T, srv *fhirtest.Server) *fhirapi.Client {
	c, err := fhirapi.New(srv.Base(), fhirapi.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func counts(t *testing.T, st *storage.Store, pid string) map[string]int {
	t.Helper()
	c, err := st.Counts(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCounts(t *testing.T, got map[string]int, want map[string]int) {
	t.Helper()
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: %d cached, want %d (all: %v)", typ, got[typ], n, got)
		}
	}
	for typ, n := range got {
		if _, ok := want[typ]; !ok && n != 0 {
			t.Errorf("unexpected %d cached %s", n, typ)
		}
	}
}

var types = []string{"Patient", "Observation", "Condition", "Encounter", "Communication"}

func TestPerTypeSync(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	seed(srv)
	time.Sleep(overlap) // so the seed is older than the checkpoint overlap
	st, pid := openStore(t)
	var mu sync.Mutex
	var events []Event
	cfg := Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", Types: types, PageSize: 10,
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "per-type" || !res.Full {
		t.Fatalf("mode %q full %v", res.Mode, res.Full)
	}
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Observation": 25, "Condition": 1, "Encounter": 1, "Practitioner": 1, "Organization": 1})
	if len(res.Malformed) != 2 {
		t.Fatalf("malformed = %+v", res.Malformed)
	}
	for _, m := range res.Malformed {
		if m.ID == "e-bad" && !m.Stored || m.ID == "" && m.Stored {
			t.Fatalf("malformed = %+v", res.Malformed)
		}
	}
	r, err := st.Get(ctx, pid, "Observation", "o03")
	if err != nil || r.LastUpdated.IsZero() || !json.Valid(r.JSON) {
		t.Fatalf("o03: %+v, %v", r, err)
	}
	var sawProgress, sawChanged, sawFinished bool
	for _, e := range events {
		switch e := e.(type) {
		case Progress:
			sawProgress = sawProgress || (e.Type == "Observation" && e.Total == 25)
		case Changed:
			sawChanged = sawChanged || slices.Contains(e.Types, "Observation")
		case Finished:
			sawFinished = e.Result.Stored["Observation"] == 25
		}
	}
	if !sawProgress || !sawChanged || !sawFinished {
		t.Fatalf("events: progress %v changed %v finished %v", sawProgress, sawChanged, sawFinished)
	}

	// Nothing new: one request per type, no metadata (cached), nothing
	// stored.
	before := srv.Requests.Load()
	res, err = Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests.Load() - before; n != int64(len(types)) {
		t.Fatalf("incremental with nothing new made %d requests, want %d", n, len(types))
	}
	if res.Full || len(res.ChangedTypes()) != 0 {
		t.Fatalf("nothing new: full %v, changed %v", res.Full, res.ChangedTypes())
	}

	// Changes on the server: an update, a new record, an entered-in-error
	// and a deletion (found by the next reconcile: this server has no
	// history).
	srv.Put(`{"resourceType":"Observation","id":"o01","status":"amended","subject":{"reference":"Patient/p1"}}`)
	srv.Put(`{"resourceType":"Observation","id":"new","status":"final","subject":{"reference":"Patient/p1"}}`)
	srv.Put(`{"resourceType":"Observation","id":"o02","status":"entered-in-error","subject":{"reference":"Patient/p1"}}`)
	srv.Delete("Observation", "o03")
	res, err = Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored["Observation"] != 2 || res.Removed["Observation"] != 1 {
		t.Fatalf("incremental: stored %v removed %v", res.Stored, res.Removed)
	}
	r, _ = st.Get(ctx, pid, "Observation", "o01")
	if !strings.Contains(string(r.JSON), "amended") {
		t.Fatalf("o01 not updated: %s", r.JSON)
	}
	if _, err := st.Get(ctx, pid, "Observation", "o03"); err != nil {
		t.Fatalf("o03 removed before a reconcile: %v", err)
	}
	cfg.ReconcileEvery = -1
	res, err = Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Full || res.Removed["Observation"] != 1 {
		t.Fatalf("reconcile: full %v removed %v", res.Full, res.Removed)
	}
	if _, err := st.Get(ctx, pid, "Observation", "o03"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("o03 after reconcile: %v", err)
	}
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Observation": 24, "Condition": 1, "Encounter": 1, "Practitioner": 1, "Organization": 1})
}

func TestEverythingWithHistory(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{Everything: true, SystemHistory: true})
	defer srv.Close()
	seed(srv)
	time.Sleep(overlap) // so the seed is older than the checkpoint overlap
	st, pid := openStore(t)
	cfg := Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", PageSize: 7}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "everything" {
		t.Fatalf("mode = %q", res.Mode)
	}
	// The fake's $everything holds what refers to the patient: no
	// Practitioner or Organization (they refer to nobody).
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Observation": 25, "Condition": 1, "Encounter": 1})

	before := srv.Requests.Load()
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests.Load() - before; n != 2 { // history + everything
		t.Fatalf("incremental made %d requests, want 2", n)
	}
	srv.Delete("Observation", "o05")
	srv.Put(`{"resourceType":"Observation","id":"o06","status":"entered-in-error","subject":{"reference":"Patient/p1"}}`)
	res, err = Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Full || res.Removed["Observation"] != 2 {
		t.Fatalf("full %v removed %v", res.Full, res.Removed)
	}
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Observation": 23, "Condition": 1, "Encounter": 1})
}

// cutOffSync runs a $everything sync of pages of 5 that is cancelled
// once stopAfter pages were committed (their Progress came), checks it
// failed and left no checkpoint, and returns how many resources the last
// Progress reported done.
func cutOffSync(t *testing.T, srv *fhirtest.Server, st *storage.Store, pid string, stopAfter int) (done int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pages := 0
	cfg := Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", PageSize: 5,
		OnEvent: func(e Event) {
			if p, ok := e.(Progress); ok {
				pages++
				done = p.Done
				if pages == stopAfter {
					cancel()
				}
			}
		}}
	if _, err := Run(ctx, cfg); err == nil {
		t.Fatalf("stop after %d pages: sync finished", stopAfter)
	}
	if _, ok, _ := st.Checkpoint(context.Background(), pid, checkpointEverything); ok {
		t.Fatalf("stop after %d pages: checkpoint advanced", stopAfter)
	}
	return done
}

// TestInterruptedSyncConverges cancels syncs at every page and checks the
// checkpoint never moves past data that was not written.
func TestInterruptedSyncConverges(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{Everything: true, SystemHistory: true})
	defer srv.Close()
	seed(srv)
	st, pid := openStore(t)
	for stopAfter := 1; stopAfter <= 5; stopAfter++ {
		cutOffSync(t, srv, st, pid, stopAfter)
	}
	if _, err := Run(context.Background(), Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1"}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Observation": 25, "Condition": 1, "Encounter": 1})
}

func TestTypeFailureDoesNotAbort(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	seed(srv)
	srv.FailBefore(func(r *http.Request) int {
		switch {
		case strings.HasSuffix(r.URL.Path, "/Condition"):
			return http.StatusInternalServerError
		case strings.HasSuffix(r.URL.Path, "/Encounter"):
			return http.StatusForbidden
		}
		return 0
	})
	st, pid := openStore(t)
	res, err := Run(context.Background(), Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", Types: types})
	if !errors.Is(err, fhirapi.ErrServer) || res.Failed["Condition"] == nil || len(res.Failed) != 1 {
		t.Fatalf("err = %v, failed = %v", err, res.Failed)
	}
	if len(res.Forbidden) != 1 || res.Forbidden[0] != "Encounter" {
		t.Fatalf("forbidden = %v", res.Forbidden)
	}
	if c := counts(t, st, pid); c["Observation"] != 25 {
		t.Fatalf("other types not synced: %v", c)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantType  string
		remove    bool
		malformed bool
	}{
		{"ok", `{"resourceType":"Observation","id":"1","status":"final","meta":{"lastUpdated":"2024-01-01T00:00:00Z"}}`, "Observation", false, false},
		{"entered in error", `{"resourceType":"Observation","id":"1","status":"entered-in-error"}`, "Observation", true, false},
		{"verification error", `{"resourceType":"AllergyIntolerance","id":"1","verificationStatus":{"coding":[{"code":"entered-in-error"}]}}`, "AllergyIntolerance", true, false},
		{"bad status type", `{"resourceType":"Encounter","id":"1","status":["x"]}`, "Encounter", false, true},
		{"bad lastUpdated", `{"resourceType":"Encounter","id":"1","meta":{"lastUpdated":"soon"}}`, "Encounter", false, true},
		{"no id", `{"resourceType":"Encounter"}`, "", false, true},
		{"path-like id", `{"resourceType":"Observation","id":"../../../etc/passwd"}`, "", false, true},
		{"id with a slash", `{"resourceType":"Observation","id":"a/b"}`, "", false, true},
		{"id of 65 characters", `{"resourceType":"Observation","id":"` + strings.Repeat("x", 65) + `"}`, "", false, true},
		{"id of 64 characters", `{"resourceType":"Observation","id":"` + strings.Repeat("x", 64) + `"}`, "Observation", false, false},
		{"path-like type", `{"resourceType":"../Patient","id":"1"}`, "", false, true},
		{"not object", `[1,2]`, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, remove, mal := classify(json.RawMessage(tt.raw))
			if r.Type != tt.wantType || remove != tt.remove || (mal != nil) != tt.malformed {
				t.Fatalf("got %q remove %v mal %+v", r.Type, remove, mal)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want key
		ok   bool
	}{
		{"Observation/1", key{"Observation", "1"}, true},
		{"Observation/1/_history/3", key{"Observation", "1"}, true},
		{"http://x/fhir/Observation/1/_history/3", key{"Observation", "1"}, true},
		{"Observation", key{}, false},
		{"Observation/..%2F..%2Fx", key{}, false},
		{"../Observation/1", key{"Observation", "1"}, true},
		{"x/../1", key{}, false},
	}
	for _, tt := range tests {
		got, ok := parseRef(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRef(%q) = %v, %v", tt.in, got, ok)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add(`{"resourceType":"Observation","id":"1","status":"final","meta":{"lastUpdated":"2024-01-01T00:00:00Z"}}`)
	f.Add(`{"resourceType":"Condition","id":"c","verificationStatus":{"coding":[{"code":"entered-in-error"}]}}`)
	f.Add(`{"resourceType":5,"id":[],"meta":"x"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		r, remove, mal := classify(json.RawMessage(in))
		if r.Type != "" && r.ID == "" {
			t.Fatal("a resource without id would be stored")
		}
		if r.Type == "" && (remove || mal == nil) {
			t.Fatal("an unreadable resource was not reported")
		}
	})
}

// TestHostileIDsNotStored: resources whose id or type is not a FHIR id or
// type name (path-like, a megabyte long) are reported and never stored, so
// nothing later puts them into a URL; the valid ones around them are.
func TestHostileIDsNotStored(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	srv.Put(`{"resourceType":"Patient","id":"p1"}`)
	srv.Put(`{"resourceType":"Observation","id":"good","subject":{"reference":"Patient/p1"}}`)
	hostile := map[string]string{
		"h1": `{"resourceType":"Observation","id":"../../../etc/passwd","subject":{"reference":"Patient/p1"}}`,
		"h2": `{"resourceType":"Observation","id":"` + strings.Repeat("9", 1<<20) + `","subject":{"reference":"Patient/p1"}}`,
		"h3": `{"resourceType":"../Patient","id":"x","subject":{"reference":"Patient/p1"}}`,
	}
	for id, raw := range hostile {
		srv.PutRaw("Observation", id, []byte(raw))
	}
	st, pid := openStore(t)
	res, err := Run(ctx, Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", Types: []string{"Patient", "Observation"}})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Observation": 1})
	if len(res.Malformed) != len(hostile) {
		t.Fatalf("reported %d malformed, want %d: %+v", len(res.Malformed), len(hostile), res.Malformed)
	}
	for _, m := range res.Malformed {
		if m.Stored || m.ID != "" || (m.Type != "" && m.Type != "Observation") {
			t.Errorf("report %.80q", fmt.Sprintf("%+v", m))
		}
	}
}

// TestPerTypeQuestionnaires: on a server without $everything, the
// patient's QuestionnaireResponses are pulled, and the Questionnaire an
// Appointment asks for (supportingInformation) is fetched by id like the
// practitioners it names.
func TestPerTypeQuestionnaires(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	srv.Put(`{"resourceType":"Patient","id":"p1"}`)
	srv.Put(`{"resourceType":"Questionnaire","id":"intake","url":"http://example.org/Questionnaire/intake","status":"active"}`)
	srv.Put(`{"resourceType":"Questionnaire","id":"unused","status":"active"}`)
	srv.Put(`{"resourceType":"Appointment","id":"a1","status":"booked","participant":[{"actor":{"reference":"Patient/p1"}}],"supportingInformation":[{"reference":"Questionnaire/intake"}]}`)
	srv.Put(`{"resourceType":"QuestionnaireResponse","id":"r1","status":"completed","questionnaire":"http://example.org/Questionnaire/intake","subject":{"reference":"Patient/p1"}}`)
	st, pid := openStore(t)
	res, err := Run(ctx, Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", Types: []string{"Patient", "Appointment", "QuestionnaireResponse"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "per-type" {
		t.Fatalf("mode %q", res.Mode)
	}
	wantCounts(t, counts(t, st, pid), map[string]int{"Patient": 1, "Appointment": 1, "QuestionnaireResponse": 1, "Questionnaire": 1})
	if _, err := st.Get(ctx, pid, "Questionnaire", "intake"); err != nil {
		t.Fatalf("the appointment's questionnaire: %v", err)
	}
	if !slices.Contains(DefaultTypes, "QuestionnaireResponse") {
		t.Error("QuestionnaireResponse is not pulled by default")
	}
}
