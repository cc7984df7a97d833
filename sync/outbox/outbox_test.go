package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/smart"
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

func newAPI(t *testing.T, srv *fhirtest.Server) *fhirapi.Client {
	c, err := fhirapi.New(srv.Base(), fhirapi.Options{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clock is a test clock that the test moves forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func message(i int) []byte {
	return []byte(fmt.Sprintf(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/p1"},"payload":[{"contentString":"message %d"}]}`, i))
}

// countByIdentifier maps each client identifier to its copies on the server.
func countByIdentifier(t *testing.T, srv *fhirtest.Server, typ string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, raw := range srv.Resources(typ) {
		var r struct {
			Identifier []struct{ System, Value string } `json:"identifier"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		for _, id := range r.Identifier {
			if id.System == IdentifierSystem {
				out[id.Value]++
			}
		}
	}
	return out
}

// TestLostRepliesNeverDuplicate: the server commits every message and then
// drops the connection before answering, 200 times. Each message must exist
// exactly once on the server, with conditional create and without it
// (search before resend).
func TestLostRepliesNeverDuplicate(t *testing.T) {
	for _, f := range []fhirtest.Features{
		{ConditionalCreate: true},
		{ConditionalCreate: false},
		// A server that ignores the identifier search answers a resend's
		// lookup with every message: only ours may count as found.
		{ConditionalCreate: false, IgnoreIdentifierSearch: true},
		{ConditionalCreate: true, IgnoreIdentifierSearch: true},
	} {
		conditional := f.ConditionalCreate
		t.Run(fmt.Sprintf("conditional=%v,ignore-identifier=%v", conditional, f.IgnoreIdentifierSearch), func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(f)
			defer srv.Close()
			srv.DropAfterCommit(func(r *http.Request) bool { return true }) // every committed create loses its reply
			st, pid := openStore(t)
			clk := &clock{now: time.Now()}
			ob := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now, MinBackoff: time.Second})
			n := 200
			if !conditional {
				n = 60 // each lost reply costs a whole Send round here
			}
			for i := range n {
				if _, err := ob.EnqueueCreate(ctx, KindMessage, message(i)); err != nil {
					t.Fatal(err)
				}
			}
			for round := 0; round < 3*n; round++ {
				rep, err := ob.Send(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Deferred == 0 {
					break
				}
				clk.Add(2 * time.Hour)
			}
			sent, err := st.Outbox(ctx, pid, storage.OutboxSent)
			if err != nil {
				t.Fatal(err)
			}
			if len(sent) != n {
				t.Fatalf("%d items sent, want %d", len(sent), n)
			}
			copies := countByIdentifier(t, srv, "Communication")
			if len(copies) != n {
				t.Fatalf("%d distinct messages on the server, want %d", len(copies), n)
			}
			for ident, c := range copies {
				if c != 1 {
					t.Fatalf("message %s exists %d times", ident, c)
				}
			}
			// The server's resources are cached.
			if c, _ := st.Counts(ctx, pid); c["Communication"] != n {
				t.Fatalf("cached Communications = %d", c["Communication"])
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	var unavailable atomic.Bool
	srv.FailBefore(func(r *http.Request) int {
		switch {
		case unavailable.Load():
			return http.StatusServiceUnavailable
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Task"):
			return http.StatusUnprocessableEntity
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Appointment"):
			return http.StatusConflict
		}
		return 0
	})
	st, pid := openStore(t)
	clk := &clock{now: time.Now()}
	ob := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now})
	task, _ := ob.EnqueueCreate(ctx, KindTask, []byte(`{"resourceType":"Task","status":"requested","intent":"order"}`))
	appt, _ := ob.EnqueueCreate(ctx, KindAppointment, []byte(`{"resourceType":"Appointment","status":"proposed"}`))
	msg, _ := ob.EnqueueCreate(ctx, KindMessage, message(1))

	rep, err := ob.Send(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.Conflicts != 1 || rep.Sent != 1 {
		t.Fatalf("report = %+v", rep)
	}
	for _, tt := range []struct {
		seq  int64
		want storage.OutboxStatus
	}{{task.Seq, storage.OutboxFailed}, {appt.Seq, storage.OutboxConflict}, {msg.Seq, storage.OutboxSent}} {
		it, err := st.OutboxItem(ctx, pid, tt.seq)
		if err != nil || it.Status != tt.want || it.Attempts != 1 {
			t.Fatalf("item %d: %+v, %v", tt.seq, it, err)
		}
		if tt.want != storage.OutboxSent && it.LastError == "" {
			t.Fatalf("item %d has no error to show", tt.seq)
		}
	}

	// 5xx: stays pending with a later NextAttempt, and draining stops.
	unavailable.Store(true)
	m2, _ := ob.EnqueueCreate(ctx, KindMessage, message(2))
	m3, _ := ob.EnqueueCreate(ctx, KindMessage, message(3))
	rep, err = ob.Send(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deferred != 2 || !rep.NextAttempt.After(clk.Now()) {
		t.Fatalf("report = %+v", rep)
	}
	it2, _ := st.OutboxItem(ctx, pid, m2.Seq)
	it3, _ := st.OutboxItem(ctx, pid, m3.Seq)
	if it2.Status != storage.OutboxPending || it2.Attempts != 1 || it3.Attempts != 0 {
		t.Fatalf("m2 %+v, m3 %+v", it2, it3)
	}
	// Not due yet: nothing is sent even once the server is back.
	unavailable.Store(false)
	if rep, _ := ob.Send(ctx); rep.Sent != 0 || rep.Deferred != 2 {
		t.Fatalf("report before due = %+v", rep)
	}
	// A sync someone asked for does not wait.
	eager := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now, IgnoreWait: true})
	if rep, _ := eager.Send(ctx); rep.Sent != 2 {
		t.Fatalf("report of a send that ignores the wait = %+v", rep)
	}

	// A failed item can be retried by the patient.
	srv.FailBefore(nil)
	if err := ob.Retry(ctx, task.Seq); err != nil {
		t.Fatal(err)
	}
	if rep, _ := ob.Send(ctx); rep.Sent != 1 {
		t.Fatalf("report after retry = %+v", rep)
	}
}

func TestUpdateConflictAndLostReply(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	srv.Put(`{"resourceType":"Patient","id":"p1","telecom":[{"system":"phone","value":"1"}]}`) // version 1
	st, pid := openStore(t)
	clk := &clock{now: time.Now()}
	ob := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now})

	// The reply to the first (committed) update is lost: the resend gets
	// 412, but the server holds our change, so the item is sent.
	var drops atomic.Int32
	srv.DropAfterCommit(func(r *http.Request) bool { return drops.Add(1) == 1 })
	it, _ := ob.EnqueueUpdate(ctx, KindPatientUpdate, []byte(`{"resourceType":"Patient","id":"p1","telecom":[{"system":"phone","value":"2"}]}`), `W/"1"`)
	for range 3 {
		if _, err := ob.Send(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)
	}
	got, _ := st.OutboxItem(ctx, pid, it.Seq)
	if got.Status != storage.OutboxSent {
		t.Fatalf("lost-reply update: %+v", got)
	}
	// A stale edit (from version 1 while the server is at 2) is a conflict.
	it, _ = ob.EnqueueUpdate(ctx, KindPatientUpdate, []byte(`{"resourceType":"Patient","id":"p1","telecom":[{"system":"phone","value":"3"}]}`), `W/"1"`)
	if _, err := ob.Send(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = st.OutboxItem(ctx, pid, it.Seq)
	if got.Status != storage.OutboxConflict {
		t.Fatalf("stale update: %+v", got)
	}
}

func TestConcurrentSendsSerialized(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{}) // no conditional create: a double send would duplicate
	defer srv.Close()
	st, pid := openStore(t)
	api := newAPI(t, srv)
	for i := range 30 {
		if _, err := New(Config{Store: st, ProfileID: pid}).EnqueueCreate(ctx, KindMessage, message(i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := New(Config{Store: st, ProfileID: pid, API: api}).Send(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	copies := countByIdentifier(t, srv, "Communication")
	if len(copies) != 30 {
		t.Fatalf("%d messages on the server", len(copies))
	}
	for _, c := range copies {
		if c != 1 {
			t.Fatal("a message was sent twice")
		}
	}
}

func TestEnqueueValidation(t *testing.T) {
	st, pid := openStore(t)
	ob := New(Config{Store: st, ProfileID: pid})
	tests := []struct {
		name   string
		create bool
		body   string
	}{
		{"not json", true, `nope`},
		{"no type", true, `{"status":"x"}`},
		{"no identifier slot", true, `{"resourceType":"Patient"}`},
		{"update without id", false, `{"resourceType":"Patient"}`},
	}
	for _, tt := range tests {
		var err error
		if tt.create {
			_, err = ob.EnqueueCreate(context.Background(), KindMessage, []byte(tt.body))
		} else {
			_, err = ob.EnqueueUpdate(context.Background(), KindPatientUpdate, []byte(tt.body), "")
		}
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	it, err := ob.EnqueueCreate(context.Background(), KindMessage, []byte(`{"resourceType":"Communication","id":"local","identifier":[{"system":"x","value":"y"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var p payload
	json.Unmarshal(it.Payload, &p)
	if !strings.Contains(string(p.Resource), it.Identifier) || strings.Contains(string(p.Resource), `"local"`) || !strings.Contains(string(p.Resource), `"y"`) {
		t.Fatalf("payload resource = %s", p.Resource)
	}
}

// failingToken is a token source that cannot give a token.
type failingToken struct{ err error }

func (f failingToken) AccessToken(context.Context) (string, error) { return "", f.err }
func (failingToken) Refused(string)                                {}

// TestNoTokenKeepsItemsPending: when no access token can be had, nothing
// reaches the server, so no item may be marked failed. A token endpoint
// that is down is transient (the item waits); anything else (a locked
// keyring, sign-in needed) stops the drain with the error.
func TestNoTokenKeepsItemsPending(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantError bool
	}{
		{"token endpoint down", fmt.Errorf("smart: refresh: %w: token endpoint: HTTP 503", fhirapi.ErrServer), false},
		{"token endpoint unreachable", fmt.Errorf("smart: refresh: %w: token endpoint: connection refused", fhirapi.ErrNetwork), false},
		{"keyring locked", fmt.Errorf("smart: load token: %w", storage.ErrLocked), true},
		{"client refused", errors.New("smart: refresh: token endpoint refused: invalid_client"), true},
		{"needs sign-in", smart.ErrNeedsSignIn, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
			defer srv.Close()
			st, pid := openStore(t)
			api, err := fhirapi.New(srv.Base(), fhirapi.Options{Token: failingToken{tt.err}, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			clk := &clock{now: time.Now()}
			ob := New(Config{Store: st, ProfileID: pid, API: api, Now: clk.Now})
			a, _ := ob.EnqueueCreate(ctx, KindMessage, message(1))
			b, _ := ob.EnqueueCreate(ctx, KindMessage, message(2))
			rep, err := ob.Send(ctx)
			if (err != nil) != tt.wantError || (err != nil && !errors.Is(err, tt.err)) {
				t.Fatalf("Send error = %v, want error %v", err, tt.wantError)
			}
			if rep.Failed != 0 || rep.Sent != 0 {
				t.Fatalf("report = %+v", rep)
			}
			if !tt.wantError && rep.Deferred != 2 {
				t.Fatalf("transient token failure: report = %+v", rep)
			}
			for _, seq := range []int64{a.Seq, b.Seq} {
				it, err := st.OutboxItem(ctx, pid, seq)
				if err != nil || it.Status != storage.OutboxPending {
					t.Fatalf("item %d: %+v, %v", seq, it, err)
				}
			}
			if n := srv.Requests.Load(); n != 0 {
				t.Fatalf("%d requests reached the server without a token", n)
			}
		})
	}
}

// TestSingleIdentifierType: a QuestionnaireResponse has one identifier,
// not a list. The client identifier becomes it, and a lost reply still
// leaves exactly one copy on a server without conditional create.
func TestSingleIdentifierType(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: false})
	defer srv.Close()
	srv.DropAfterCommit(func(r *http.Request) bool { return true })
	st, pid := openStore(t)
	clk := &clock{now: time.Now()}
	ob := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now, MinBackoff: time.Second})
	qr := []byte(`{"resourceType":"QuestionnaireResponse","status":"completed","questionnaire":"http://example.org/Questionnaire/q","subject":{"reference":"Patient/p1"}}`)
	it, err := ob.EnqueueCreate(ctx, KindQuestionnaireResponse, qr)
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeRequest(it)
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Identifier struct{ System, Value string } `json:"identifier"`
	}
	if err := json.Unmarshal(req.Resource, &sent); err != nil || sent.Identifier.System != IdentifierSystem || sent.Identifier.Value != it.Identifier {
		t.Fatalf("sent %s (%v)", req.Resource, err)
	}
	if !CarriesIdentifier(req.Resource, "QuestionnaireResponse", it.Identifier) || CarriesIdentifier(req.Resource, "QuestionnaireResponse", "urn:uuid:other") {
		t.Fatal("CarriesIdentifier misreads a single identifier")
	}
	for round := 0; round < 10; round++ {
		rep, err := ob.Send(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Deferred == 0 {
			break
		}
		clk.Add(2 * time.Hour)
	}
	if got, err := st.OutboxItem(ctx, pid, it.Seq); err != nil || got.Status != storage.OutboxSent {
		t.Fatalf("item: %v %v", got.Status, err)
	}
	if n := len(srv.Resources("QuestionnaireResponse")); n != 1 {
		t.Fatalf("%d copies on the server", n)
	}
	// A resource that already has its one identifier cannot carry ours.
	if _, err := ob.EnqueueCreate(ctx, KindQuestionnaireResponse, []byte(`{"resourceType":"QuestionnaireResponse","identifier":{"value":"x"}}`)); !errors.Is(err, ErrNoIdentifierSlot) {
		t.Fatalf("second identifier: %v", err)
	}
}

// TestOneStuckTypeHoldsBackOnlyItsOwn: a message the practice's gateway
// keeps refusing (504) holds back the later messages, which keep their
// order, but not a refill request written after it; a practice that
// cannot be reached at all stops the whole drain at the first item.
func TestOneStuckTypeHoldsBackOnlyItsOwn(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	srv.FailBefore(func(r *http.Request) int {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Communication") {
			return http.StatusGatewayTimeout
		}
		return 0
	})
	st, pid := openStore(t)
	clk := &clock{now: time.Now()}
	ob := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now})
	stuck, _ := ob.EnqueueCreate(ctx, KindMessage, message(1))
	refill, _ := ob.EnqueueCreate(ctx, KindTask, []byte(`{"resourceType":"Task","status":"requested","intent":"order"}`))
	behind, _ := ob.EnqueueCreate(ctx, KindMessage, message(2))
	for day := range 3 {
		rep, err := ob.Send(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantSent := 0
		if day == 0 {
			wantSent = 1 // the refill request, at once
		}
		if rep.Sent != wantSent || rep.Deferred != 2 {
			t.Fatalf("day %d: report %+v, want %d sent and both messages deferred", day, rep, wantSent)
		}
		clk.Add(24 * time.Hour)
	}
	if it, err := st.OutboxItem(ctx, pid, refill.Seq); err != nil || it.Status != storage.OutboxSent {
		t.Fatalf("the refill request is %s (%v): held back by a message", it.Status, err)
	}
	if it, _ := st.OutboxItem(ctx, pid, stuck.Seq); it.Status != storage.OutboxPending || it.Attempts != 3 {
		t.Fatalf("the stuck message is %s after %d attempts, want pending after 3", it.Status, it.Attempts)
	}
	if it, _ := st.OutboxItem(ctx, pid, behind.Seq); it.Attempts != 0 {
		t.Fatalf("the message behind the stuck one was tried %d times: messages lost their order", it.Attempts)
	}

	// The practice cannot be reached: one attempt, and the drain stops.
	srv.FailBefore(nil)
	srv.Close()
	later, _ := ob.EnqueueCreate(ctx, KindTask, []byte(`{"resourceType":"Task","status":"requested","intent":"order"}`))
	eager := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now, IgnoreWait: true})
	rep, err := eager.Send(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 0 || rep.Deferred != 3 {
		t.Fatalf("report with the practice unreachable = %+v, want all 3 deferred", rep)
	}
	if it, _ := st.OutboxItem(ctx, pid, later.Seq); it.Attempts != 0 {
		t.Fatalf("a request was tried %d times after the practice proved unreachable", it.Attempts)
	}
}

// An upload that cannot go out in full in the time allowed (a large
// attachment on a slow link) holds back only its own type, like a 5xx; a
// practice that takes the whole request and never answers is down, and
// the drain stops.
func TestUploadCutHoldsBackOnlyItsOwn(t *testing.T) {
	attachment := strings.Repeat("A", 8<<20) // far more than the sockets buffer
	bigMessage := []byte(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/p1"},` +
		`"payload":[{"contentAttachment":{"contentType":"image/jpeg","data":"` + attachment + `"}}]}`)
	tests := []struct {
		name string
		// readBody: the practice reads the whole request before it hangs.
		readBody     bool
		message      []byte
		wantWords    string
		wantTaskSent bool
	}{
		{name: "upload cut", message: bigMessage, wantWords: WordsUploadCut, wantTaskSent: true},
		{name: "no reply", readBody: true, message: message(1), wantWords: WordsUnreachable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
			defer srv.Close()
			release := make(chan struct{})
			defer close(release) // before Close, which waits for the handler
			srv.FailBefore(func(r *http.Request) int {
				if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/Communication") {
					return 0
				}
				if tc.readBody {
					_, _ = io.Copy(io.Discard, r.Body)
				}
				<-release
				return http.StatusServiceUnavailable
			})
			api, err := fhirapi.New(srv.Base(), fhirapi.Options{RequestTimeout: 3 * time.Second, UploadRate: 1 << 40, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			st, pid := openStore(t)
			ob := New(Config{Store: st, ProfileID: pid, API: api})
			msg, err := ob.EnqueueCreate(ctx, KindMessage, tc.message)
			if err != nil {
				t.Fatal(err)
			}
			refill, _ := ob.EnqueueCreate(ctx, KindTask, []byte(`{"resourceType":"Task","status":"requested","intent":"order"}`))
			if _, err := ob.Send(ctx); err != nil {
				t.Fatal(err)
			}
			it, _ := st.OutboxItem(ctx, pid, msg.Seq)
			if it.Status != storage.OutboxPending || it.Attempts != 1 || it.LastError != tc.wantWords {
				t.Fatalf("message: %s after %d attempts, %q; want pending after 1, %q", it.Status, it.Attempts, it.LastError, tc.wantWords)
			}
			task, _ := st.OutboxItem(ctx, pid, refill.Seq)
			if sent := task.Status == storage.OutboxSent; sent != tc.wantTaskSent {
				t.Fatalf("refill request %s after %d attempts; want sent %v", task.Status, task.Attempts, tc.wantTaskSent)
			}
			if !tc.wantTaskSent && task.Attempts != 0 {
				t.Fatalf("refill request tried %d times after the practice stopped answering", task.Attempts)
			}
		})
	}
}

// sendingOutbox returns an outbox on a fresh store, sending to a practice
// that offers conditional create, and the test clock it runs on.
func sendingOutbox(t *testing.T) (*fhirtest.Server, *storage.Store, string, *clock, *Outbox) {
	t.Helper()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	t.Cleanup(srv.Close)
	st, pid := openStore(t)
	clk := &clock{now: time.Now()}
	return srv, st, pid, clk, New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), Now: clk.Now})
}

// triedOnce makes item seq one tried once that failed with words (an
// upload cut with WordsUploadCut) and waits until next.
func triedOnce(t *testing.T, st *storage.Store, pid string, seq int64, words string, next time.Time) {
	t.Helper()
	it, err := st.OutboxItem(context.Background(), pid, seq)
	if err != nil {
		t.Fatal(err)
	}
	it.Attempts, it.LastError, it.NextAttempt = 1, words, next
	if words == WordsUploadCut {
		it.CutAttempts = 1
	}
	if err := st.SaveOutboxItem(context.Background(), it); err != nil {
		t.Fatal(err)
	}
}

// TestCutUploadWaitsItsTurn: a message whose last upload was cut keeps its
// back-off even when a sync ignores the waits (which a message refused by
// a 5xx does not), and LeaveCut leaves it, due, for a later Send, holding
// back its lane but no other; the plain Send after tries it.
func TestCutUploadWaitsItsTurn(t *testing.T) {
	ctx := context.Background()
	srv, st, pid, clk, ob := sendingOutbox(t)
	cut, _ := ob.EnqueueCreate(ctx, KindMessage, message(1))
	behind, _ := ob.EnqueueCreate(ctx, KindMessage, message(2))
	refused, _ := ob.EnqueueCreate(ctx, KindTask, []byte(`{"resourceType":"Task","status":"requested","intent":"order"}`))
	due := clk.Now().Add(10 * time.Minute)
	triedOnce(t, st, pid, cut.Seq, WordsUploadCut, due)
	triedOnce(t, st, pid, refused.Seq, WordsUnreachable, due)
	attempts := func(seq int64) int {
		t.Helper()
		it, err := st.OutboxItem(ctx, pid, seq)
		if err != nil {
			t.Fatal(err)
		}
		if it.Status == storage.OutboxSent {
			return -1
		}
		return it.Attempts
	}
	for _, step := range []struct {
		name              string
		later             time.Duration
		cfg               Config
		want              Report
		cut, behind, task int // attempts after the step; -1: sent
	}{
		{"a sync before the cut upload is due", 0, Config{IgnoreWait: true, LeaveCut: true},
			Report{Sent: 1, Deferred: 2, NextAttempt: due}, 1, 0, -1},
		{"a sync once it is due", 20 * time.Minute, Config{IgnoreWait: true, LeaveCut: true},
			Report{Deferred: 2, LeftCut: 1}, 1, 0, -1},
		{"the send after the pull", 0, Config{}, Report{Sent: 2}, -1, -1, -1},
	} {
		clk.Add(step.later)
		cfg := step.cfg
		cfg.Store, cfg.ProfileID, cfg.API, cfg.Now = st, pid, newAPI(t, srv), clk.Now
		rep, err := New(cfg).Send(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if !rep.NextAttempt.Equal(step.want.NextAttempt) {
			t.Fatalf("%s: next attempt %v, want %v", step.name, rep.NextAttempt, step.want.NextAttempt)
		}
		if rep.NextAttempt = step.want.NextAttempt; rep != step.want {
			t.Fatalf("%s: report %+v, want %+v", step.name, rep, step.want)
		}
		if c, b, k := attempts(cut.Seq), attempts(behind.Seq), attempts(refused.Seq); c != step.cut || b != step.behind || k != step.task {
			t.Fatalf("%s: attempts (cut, behind it, refused request) = %d, %d, %d; want %d, %d, %d (-1: sent)",
				step.name, c, b, k, step.cut, step.behind, step.task)
		}
	}
	if n := countByIdentifier(t, srv, "Communication"); len(n) != 2 {
		t.Fatalf("the practice has %v messages, want the two once each", n)
	}
}

// TestSendDecodesEachItemOnce: Send reads each pending item's payload
// once, for its lane and its request alike (a pending photo is megabytes
// of base64): items sent, held back behind their lane, and unreadable.
func TestSendDecodesEachItemOnce(t *testing.T) {
	ctx := context.Background()
	_, st, pid, clk, ob := sendingOutbox(t)
	photo := []byte(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/p1"},` +
		`"payload":[{"contentAttachment":{"contentType":"image/jpeg","data":"` + strings.Repeat("A", 1<<20) + `"}}]}`)
	waiting, _ := ob.EnqueueCreate(ctx, KindMessage, message(1))
	ob.EnqueueCreate(ctx, KindMessage, photo) // held back behind the waiting message
	ob.EnqueueCreate(ctx, KindTask, []byte(`{"resourceType":"Task","status":"requested","intent":"order"}`))
	ob.EnqueueCreate(ctx, KindMessage, photo)
	unreadable, err := st.Enqueue(ctx, storage.OutboxItem{ProfileID: pid, Kind: KindMessage, Identifier: "urn:uuid:x", Payload: []byte(`{"op":`)})
	if err != nil {
		t.Fatal(err)
	}
	triedOnce(t, st, pid, waiting.Seq, WordsUnreachable, clk.Now().Add(time.Hour))
	before := payloadsDecoded.Load()
	rep, err := ob.Send(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || rep.Failed != 1 || rep.Deferred != 3 {
		t.Fatalf("report %+v; want the request sent, the unreadable item failed, the three messages waiting", rep)
	}
	if it, _ := st.OutboxItem(ctx, pid, unreadable.Seq); it.Status != storage.OutboxFailed {
		t.Fatalf("the unreadable item is %s, want failed", it.Status)
	}
	if n := payloadsDecoded.Load() - before; n != 5 {
		t.Fatalf("Send decoded %d payloads for 5 items", n)
	}
}
