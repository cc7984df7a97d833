package pull_test

// End-to-end tests over real HTTP against the reference practice server
// (package practice): SMART sign-in through its real authorization pages
// (practice/smart.SignIn plays the browser), full and incremental sync of
// Synthea patients, deletions, token expiry and revocation, and the outbox
// under lost replies.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/practicetest"
	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/faults"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/outbox"
	"github.com/carebook/carebook/sync/pull"
	"github.com/carebook/carebook/sync/smart"
)

// findFixtures finds ../shared/fixtures next to the module root.
func findFixtures() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		return "", false
	}
	return fx, true
}

// shared is the practice server the end-to-end tests share (starting one
// costs seconds under the race detector): the demo practice plus Synthea
// fixtures. TestMain closes it.
var shared struct {
	once  sync.Once
	srv   *practice.Server
	files []string
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Close()
	}
	os.Exit(code)
}

// sharedPractice starts (once) the shared practice with the Synthea
// fixtures it can find (none when they are absent).
func sharedPractice(t testing.TB) (*practice.Server, []string) {
	t.Helper()
	shared.once.Do(func() {
		if fx, ok := findFixtures(); ok {
			files, _ := filepath.Glob(filepath.Join(fx, "synthea", "*.json"))
			if raceEnabled && len(files) > 4 {
				// Under the race detector loading all twelve takes
				// minutes; four of them keep the race coverage. Without
				// -race every fixture is synced.
				files = []string{files[0], files[len(files)/2-1], files[len(files)*3/4-1], files[len(files)-1]}
			}
			shared.files = files
		}
		t0 := time.Now()
		shared.srv, shared.err = practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, Seed: 7, Load: shared.files})
		if shared.err == nil {
			shared.err = shared.srv.Start()
		}
		fmt.Fprintf(os.Stderr, "e2e: practice with %d Synthea fixtures started in %v\n", len(shared.files), time.Since(t0).Round(time.Millisecond))
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv, shared.files
}

// serverCounts counts the patient's compartment on the server, by type.
func serverCounts(t testing.TB, srv *practice.Server, patientID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	page := ""
	for {
		rs, _, next, err := srv.Store().Everything(context.Background(), store.EverythingQuery{Patient: patientID, Count: 1000, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			var h struct{ Status string }
			json.Unmarshal(r.JSON, &h)
			if h.Status != "entered-in-error" { // the app removes those
				out[r.Type]++
			}
		}
		if next == "" {
			return out
		}
		page = next
	}
}

func cacheCounts(t testing.TB, st *storage.Store, profileID string) map[string]int {
	t.Helper()
	c, err := st.Counts(context.Background(), profileID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameCounts compares the patient's compartment type by type; shared
// practice types (Practitioner, Organization, ...) may be cached beyond it.
func sameCounts(t testing.TB, server, cache map[string]int) {
	t.Helper()
	for typ, n := range server {
		if cache[typ] != n {
			t.Errorf("%s: cached %d, server has %d", typ, cache[typ], n)
		}
	}
	for typ, n := range cache {
		if _, ok := server[typ]; !ok && !store.SharedType(typ) {
			t.Errorf("%s: cached %d, server has none", typ, n)
		}
	}
}

// synthPatientID finds the server id of the Patient loaded from a Synthea
// bundle file (named First_Last_<uuid>.json, the uuid is its identifier).
func synthPatientID(t testing.TB, srv *practice.Server, file string) string {
	t.Helper()
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	uuid := base[strings.LastIndex(base, "_")+1:]
	q, _, err := store.ParseQuery("Patient", url.Values{"identifier": {"https://github.com/synthetichealth/synthea|" + uuid}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, err := srv.Store().Search(context.Background(), "Patient", q)
	if err != nil || len(rs) != 1 {
		t.Fatalf("patient of %s: %d found, %v", base, len(rs), err)
	}
	return rs[0].ID
}

// TestE2ESyntheaFullSync loads every Synthea fixture into the practice,
// signs in to each chart, syncs, and compares the cache with the server
// type by type.
func TestE2ESyntheaFullSync(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, files := sharedPractice(t)
	if len(files) == 0 {
		t.Skip("no Synthea fixtures at ../shared/fixtures/synthea/*.json next to the module (they live outside the repository): full sync of Synthea patients not tested")
	}
	if raceEnabled {
		t.Logf("race detector on: syncing %d of the Synthea fixtures (run without -race for all)", len(files))
	}
	ctx := context.Background()
	st := practicetest.OpenCache(t)
	for i, f := range files {
		pid := synthPatientID(t, srv, f)
		username, password := fmt.Sprintf("e2e-synthea-%d", i), "e2e password 1"
		if err := srv.Auth().CreateUser(ctx, username, password, "Patient/"+pid); err != nil && !errors.Is(err, psmart.ErrUserExists) {
			t.Fatal(err)
		}
		if err := srv.Auth().AddAccess(ctx, username, pid, psmart.RelationSelf); err != nil {
			t.Fatal(err)
		}
		t.Run(strings.SplitN(filepath.Base(f), "_", 3)[0], func(t *testing.T) {
			p := practicetest.Connect(t, srv, st, username, password, pid)
			res, err := pull.Run(ctx, pull.Config{API: practicetest.API(t, st, p), Store: st, ProfileID: p.ID, PatientID: pid})
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != "everything" || len(res.Malformed) != 0 {
				t.Fatalf("mode %q, malformed %+v", res.Mode, res.Malformed)
			}
			server := serverCounts(t, srv, pid)
			if server["Patient"] != 1 || len(server) < 5 {
				t.Fatalf("the fixture was not loaded: the server's compartment holds %v", server)
			}
			sameCounts(t, server, cacheCounts(t, st, p.ID))
		})
	}
}

// TestE2EIncrementalAndOutbox follows one demo chart through server-side
// changes and deletions, token expiry, the patient's own writes under lost
// replies, and finally revoked access.
func TestE2EIncrementalAndOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	ctx := context.Background()
	srv, _ := sharedPractice(t)
	acct := srv.DemoAccounts()[0]
	pid := acct.PatientIDs[0]
	t.Cleanup(func() { // the test revokes the account's access; the shared practice gets it back
		rel := psmart.Relation(acct.Relations[pid])
		if err := srv.Auth().AddAccessAs(context.Background(), acct.Username, pid, rel, acct.RelatedPersons[pid]); err != nil {
			t.Error(err)
		}
	})
	st := practicetest.OpenCache(t)
	p := practicetest.Connect(t, srv, st, acct.Username, acct.Password, pid)
	api := practicetest.API(t, st, p)
	cfg := pull.Config{API: api, Store: st, ProfileID: p.ID, PatientID: pid}
	if _, err := pull.Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, serverCounts(t, srv, pid), cacheCounts(t, st, p.ID))

	// Server-side changes: a new Observation, an updated one, a deleted
	// one, one marked entered-in-error.
	obs, _, err := srv.Store().Search(ctx, "Observation", mustQuery(t, "Observation", url.Values{"patient": {pid}}))
	if err != nil || len(obs) < 3 {
		t.Fatalf("demo chart has %d observations: %v", len(obs), err)
	}
	if _, err := srv.Store().Put(ctx, "Observation", obs[0].ID, setField(t, obs[0].JSON, "status", "amended")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store().Put(ctx, "Observation", obs[1].ID, setField(t, obs[1].JSON, "status", "entered-in-error")); err != nil {
		t.Fatal(err)
	}
	if err := srv.Store().Delete(ctx, "Observation", obs[2].ID); err != nil {
		t.Fatal(err)
	}
	newObs := fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"e2e"},"subject":{"reference":"Patient/%s"}}`, pid)
	if _, err := srv.Store().Create(ctx, "Observation", []byte(newObs)); err != nil {
		t.Fatal(err)
	}
	// The access token dies early: the sync refreshes and goes on.
	srv.Auth().ExpireAccessTokens()
	res, err := pull.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Full || res.Stored["Observation"] < 2 || res.Removed["Observation"] != 2 {
		t.Fatalf("incremental: full %v stored %v removed %v", res.Full, res.Stored, res.Removed)
	}
	sameCounts(t, serverCounts(t, srv, pid), cacheCounts(t, st, p.ID))
	if r, _ := st.Get(ctx, p.ID, "Observation", obs[0].ID); !strings.Contains(string(r.JSON), "amended") {
		t.Fatal("the update did not reach the cache")
	}

	// The patient writes 70 messages; the practice loses 80% of its
	// replies after committing (first sends, searches and resends alike),
	// at least two lost replies a message in all (before each resend the
	// outbox looks for the message, so a lost create is often found, not
	// sent again). Each message must exist exactly once.
	srv.Faults().Set(faults.Config{DropReplyAfterCommitRate: 0.8, OnlyPaths: "/fhir/Communication", Seed: 1})
	lost := &lostReplies{next: http.DefaultTransport}
	sendAPI, err := fhirapi.New(p.PracticeURL, fhirapi.Options{Token: smart.NewTokenSource(st, p.ID, nil),
		HTTPClient: &http.Client{Transport: lost}, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ob := outbox.New(outbox.Config{Store: st, ProfileID: p.ID, API: sendAPI})
	orgs, _, err := srv.Store().Search(ctx, "Organization", mustQuery(t, "Organization", url.Values{}))
	if err != nil || len(orgs) == 0 {
		t.Fatalf("no Organization to write to: %v", err)
	}
	message := func(text string) []byte {
		return []byte(fmt.Sprintf(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/%s"},"sender":{"reference":"Patient/%s"},"recipient":[{"reference":"Organization/%s"}],"payload":[{"contentString":%q}]}`,
			pid, pid, orgs[0].ID, text))
	}
	const n = 70
	var idents []string
	for i := range n {
		it, err := ob.EnqueueCreate(ctx, outbox.KindMessage, message(fmt.Sprintf("e2e message %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		idents = append(idents, it.Identifier)
	}
	t0 := time.Now()
	sendAll(t, ob, st, p.ID)
	t.Logf("%d messages sent in %v, %d replies lost", n, time.Since(t0), lost.n.Load())
	srv.Faults().Set(faults.Config{})
	if lost.n.Load() < 2*n {
		t.Fatalf("only %d replies were lost; the test wants at least %d", lost.n.Load(), 2*n)
	}
	for _, ident := range idents {
		q := mustQuery(t, "Communication", url.Values{"identifier": {outbox.IdentifierSystem + "|" + ident}})
		rs, _, err := srv.Store().Search(ctx, "Communication", q)
		if err != nil || len(rs) != 1 {
			t.Fatalf("message %s exists %d times on the server (%v)", ident, len(rs), err)
		}
	}

	// A flaky practice: a tenth of the requests answered 503 (Retry-After
	// 1 s) and a tenth of the replies cut in half. Retries (of the request,
	// or of a page whose body was cut) carry full syncs through.
	srv.Faults().Set(faults.Config{ErrorRate: 0.1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Second,
		TruncateBodyRate: 0.1, OnlyPaths: "/fhir/", Seed: 2})
	full := cfg
	full.ReconcileEvery = -1
	full.PageSize = 100 // several pages, several faults
	for range 2 {
		if _, err := pull.Run(ctx, full); err != nil {
			t.Fatalf("flaky sync: %v", err)
		}
	}
	srv.Faults().Set(faults.Config{})
	sameCounts(t, serverCounts(t, srv, pid), cacheCounts(t, st, p.ID))

	// Access revoked: the next sync reports needs-sign-in and marks the
	// profile; the outbox keeps its items.
	pending, _ := ob.EnqueueCreate(ctx, outbox.KindMessage, message("after revoke"))
	if err := srv.Auth().RevokeAccess(ctx, acct.Username, pid); err != nil {
		t.Fatal(err)
	}
	srv.Auth().ExpireAccessTokens()
	_, err = pull.Run(ctx, cfg)
	if !errors.Is(err, smart.ErrNeedsSignIn) && !errors.Is(err, fhirapi.ErrUnauthorized) {
		t.Fatalf("after revoke: %v", err)
	}
	if _, err := ob.Send(ctx); !errors.Is(err, smart.ErrNeedsSignIn) && !errors.Is(err, fhirapi.ErrUnauthorized) {
		t.Fatalf("send after revoke: %v", err)
	}
	got, _ := st.Profile(ctx, p.ID)
	if got.Settings[smart.SettingNeedsSignIn] != "true" {
		t.Fatalf("profile not marked: %v", got.Settings)
	}
	if it, err := st.OutboxItem(ctx, p.ID, pending.Seq); err != nil || it.Status != storage.OutboxPending {
		t.Fatalf("outbox item after revoke: %+v, %v", it, err)
	}
}

// sendAll drains the outbox, moving past the backoff of deferred items.
func sendAll(t *testing.T, ob *outbox.Outbox, st *storage.Store, profileID string) {
	t.Helper()
	ctx := context.Background()
	for range 100 {
		rep, err := ob.Send(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Deferred == 0 {
			break
		}
		// Make deferred items due now.
		items, _ := st.Outbox(ctx, profileID, storage.OutboxPending)
		for _, it := range items {
			it.NextAttempt = time.Time{}
			if err := st.SaveOutboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
	}
	left, _ := st.Outbox(ctx, profileID, storage.OutboxPending, storage.OutboxFailed, storage.OutboxConflict)
	if len(left) != 0 {
		t.Fatalf("%d items not sent; first: %s %q", len(left), left[0].Status, left[0].LastError)
	}
}

func mustQuery(t testing.TB, typ string, v url.Values) store.Query {
	t.Helper()
	q, _, err := store.ParseQuery(typ, v, false)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func setField(t testing.TB, raw []byte, field, value string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m[field] = value
	delete(m, "meta")
	b, _ := json.Marshal(m)
	return b
}

// BenchmarkInitialSyncPractice measures the sync of the practice's scale
// patient (Scale 20: about 20,000 resources) over real HTTP with SMART
// tokens: initial sync vs a bare paged download of the same pages, an
// incremental sync with nothing new (time, requests), and peak heap.
func BenchmarkInitialSyncPractice(b *testing.B) {
	srv := practicetest.Start(b, practice.Config{Scale: 20})
	var acct *synthAccount
	for _, a := range srv.DemoAccounts() {
		if a.Username == "scale" {
			acct = &synthAccount{a.Username, a.Password}
		}
	}
	if acct == nil {
		b.Fatal("the practice has no scale account")
	}
	st := practicetest.OpenCache(b)
	p := practicetest.Connect(b, srv, st, acct.username, acct.password, synth.ScalePatientID)
	api := practicetest.API(b, st, p)
	pull.RunSyncBench(b, api, synth.ScalePatientID, api.Requests)
}

type synthAccount struct{ username, password string }

// lostReplies counts the creates whose reply never came.
type lostReplies struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (l *lostReplies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil && r.Method == http.MethodPost {
		l.n.Add(1)
	}
	return resp, err
}

// TestE2EFaultClasses drives the error classes of the sync layer through
// the practice server's fault injection, one at a time: 429 with
// Retry-After and a server failing for good during pulls, a reply that
// never comes (request timeout), and the outbox's outcomes (422 failed
// while the rest drains, 409 conflict, 503 retried later, 412 from a stale
// If-Match).
func TestE2EFaultClasses(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	ctx := context.Background()
	srv, _ := sharedPractice(t)
	t.Cleanup(func() { srv.Faults().Set(faults.Config{}) })
	var acct *struct{ user, pass, pid string }
	for _, a := range srv.DemoAccounts() {
		if a.Username == "jose" {
			acct = &struct{ user, pass, pid string }{a.Username, a.Password, a.PatientIDs[0]}
		}
	}
	if acct == nil {
		t.Fatal("the demo practice has no account jose")
	}
	st := practicetest.OpenCache(t)
	p := practicetest.Connect(t, srv, st, acct.user, acct.pass, acct.pid)
	cfg := pull.Config{API: practicetest.API(t, st, p), Store: st, ProfileID: p.ID, PatientID: acct.pid, PageSize: 50}
	if _, err := pull.Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	want := serverCounts(t, srv, acct.pid)
	sameCounts(t, want, cacheCounts(t, st, p.ID))
	full := cfg
	full.ReconcileEvery = -1

	t.Run("429 with Retry-After", func(t *testing.T) {
		srv.Faults().Set(faults.Config{ErrorRate: 0.3, ErrorStatus: http.StatusTooManyRequests, RetryAfter: time.Second, OnlyPaths: "/fhir/", Seed: 3})
		defer srv.Faults().Set(faults.Config{})
		start := time.Now()
		if _, err := pull.Run(ctx, full); err != nil {
			t.Fatalf("sync under 429s: %v", err)
		}
		// The client's own backoff is milliseconds here: a second or more
		// means Retry-After was waited for.
		if d := time.Since(start); d < time.Second {
			t.Fatalf("sync took %v: no 429 was waited for", d)
		}
		sameCounts(t, want, cacheCounts(t, st, p.ID))
	})

	lastSync := func() string {
		v, _, err := st.Checkpoint(ctx, p.ID, pull.CheckpointLastSync)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Run("server failing", func(t *testing.T) {
		before := lastSync()
		srv.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusInternalServerError, OnlyPaths: "/fhir/"})
		defer srv.Faults().Set(faults.Config{})
		_, err := pull.Run(ctx, full)
		var oe *fhirapi.OperationOutcomeError
		if !errors.Is(err, fhirapi.ErrServer) || !fhirapi.IsTransient(err) || !errors.As(err, &oe) || oe.Status != 500 {
			t.Fatalf("err = %v, want a 500 OperationOutcomeError", err)
		}
		sameCounts(t, want, cacheCounts(t, st, p.ID)) // nothing lost
		if got := lastSync(); got != before {
			t.Fatalf("a failed sync moved the last sync from %s to %s", before, got)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		srv.Faults().Set(faults.Config{Latency: 3 * time.Second, OnlyPaths: "/fhir/"})
		defer srv.Faults().Set(faults.Config{})
		slow, err := fhirapi.New(p.PracticeURL, fhirapi.Options{Token: smart.NewTokenSource(st, p.ID, nil),
			RequestTimeout: 200 * time.Millisecond, MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		c := full
		c.API = slow
		start := time.Now()
		if _, err := pull.Run(ctx, c); !errors.Is(err, fhirapi.ErrNetwork) {
			t.Fatalf("err = %v, want ErrNetwork (timeout)", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("gave up after %v", d)
		}
		sameCounts(t, want, cacheCounts(t, st, p.ID))
	})

	t.Run("outbox outcomes", func(t *testing.T) {
		clk := time.Now()
		api, err := fhirapi.New(p.PracticeURL, fhirapi.Options{Token: smart.NewTokenSource(st, p.ID, nil), MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		ob := outbox.New(outbox.Config{Store: st, ProfileID: p.ID, API: api, Now: func() time.Time { return clk }})
		orgs, _, err := srv.Store().Search(ctx, "Organization", mustQuery(t, "Organization", url.Values{}))
		if err != nil || len(orgs) == 0 {
			t.Fatalf("no Organization to write to: %v", err)
		}
		enqueueMessage := func(text string) storage.OutboxItem {
			it, err := ob.EnqueueCreate(ctx, outbox.KindMessage, []byte(fmt.Sprintf(
				`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/%s"},"sender":{"reference":"Patient/%s"},"recipient":[{"reference":"Organization/%s"}],"payload":[{"contentString":%q}]}`,
				acct.pid, acct.pid, orgs[0].ID, text)))
			if err != nil {
				t.Fatal(err)
			}
			return it
		}
		enqueue := func(kind, body string) storage.OutboxItem {
			it, err := ob.EnqueueCreate(ctx, kind, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			return it
		}
		item := func(seq int64) storage.OutboxItem {
			it, err := st.OutboxItem(ctx, p.ID, seq)
			if err != nil {
				t.Fatal(err)
			}
			return it
		}
		onServer := func(it storage.OutboxItem) int {
			q := mustQuery(t, "Communication", url.Values{"identifier": {outbox.IdentifierSystem + "|" + it.Identifier}})
			rs, _, err := srv.Store().Search(ctx, "Communication", q)
			if err != nil {
				t.Fatal(err)
			}
			return len(rs)
		}
		send := func(fault faults.Config) outbox.Report {
			srv.Faults().Set(fault)
			defer srv.Faults().Set(faults.Config{})
			rep, err := ob.Send(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}

		// 4xx: the item fails, with the practice's words, and the rest of
		// the queue drains.
		task := enqueue(outbox.KindTask, fmt.Sprintf(`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/%s"}}`, acct.pid))
		after := enqueueMessage("behind a refused request")
		rep := send(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusUnprocessableEntity, OnlyPaths: "/fhir/Task"})
		if rep.Failed != 1 || rep.Sent != 1 {
			t.Fatalf("422: report %+v", rep)
		}
		if it := item(task.Seq); it.Status != storage.OutboxFailed || it.LastError != "Injected fault" {
			t.Fatalf("422: task %s %q", it.Status, it.LastError)
		}
		if it := item(after.Seq); it.Status != storage.OutboxSent || onServer(it) != 1 {
			t.Fatalf("the message behind the refused task: %s, %d on the server", it.Status, onServer(it))
		}

		// 409: a conflict for the patient to see.
		appt := enqueue(outbox.KindAppointment, fmt.Sprintf(`{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/%s"},"status":"accepted"}]}`, acct.pid))
		if rep := send(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusConflict, OnlyPaths: "/fhir/Appointment"}); rep.Conflicts != 1 {
			t.Fatalf("409: report %+v", rep)
		}
		if it := item(appt.Seq); it.Status != storage.OutboxConflict {
			t.Fatalf("409: appointment %s", it.Status)
		}

		// 503: the message waits (at least the Retry-After) and goes once
		// the practice is back.
		later := enqueueMessage("while the practice is down")
		rep = send(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: 90 * time.Second, OnlyPaths: "/fhir/Communication"})
		if it := item(later.Seq); rep.Deferred != 1 || it.Status != storage.OutboxPending || it.NextAttempt.Before(clk.Add(90*time.Second)) {
			t.Fatalf("503: report %+v, item %s next %v", rep, it.Status, it.NextAttempt.Sub(clk))
		}
		clk = clk.Add(2 * time.Hour)
		if rep := send(faults.Config{}); rep.Sent != 1 || onServer(item(later.Seq)) != 1 {
			t.Fatalf("after the practice is back: report %+v", rep)
		}

		// 412: a demographics change made from a version the practice has
		// moved past is a conflict (the practice's own If-Match check).
		r, err := st.Get(ctx, p.ID, "Patient", acct.pid)
		if err != nil {
			t.Fatal(err)
		}
		edit := setField(t, r.JSON, "gender", "other")
		upd, err := ob.EnqueueUpdate(ctx, outbox.KindPatientUpdate, edit, `W/"999999"`)
		if err != nil {
			t.Fatal(err)
		}
		if rep := send(faults.Config{}); rep.Conflicts != 1 {
			t.Fatalf("412: report %+v (%q)", rep, item(upd.Seq).LastError)
		}
		if it := item(upd.Seq); it.Status != storage.OutboxConflict || !strings.Contains(it.LastError, "changed since") {
			t.Fatalf("412: update %s %q", it.Status, it.LastError)
		}
	})
}
