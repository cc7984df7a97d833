package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// TestRandomSyncModel is a model-based random test of sync: rounds of
// random changes at the practice (results created, amended, deleted;
// staff answering), random actions of the patient (messages, requests and
// bookings, through the app's use cases), random faults (errors, replies dropped
// after the practice committed, truncated bodies), syncs interrupted at
// random moments, and the app closed and opened again. After quiescence
// (faults off, syncs until nothing waits) the cache holds exactly the
// practice's versions of the patient's results, messages, requests and
// appointments, and every outbox item is at the practice exactly once (or,
// a booking the practice refused, not at all).
//
// 60 rounds in make test, 300 with CAREBOOK_LONG=1. The seed is logged;
// CAREBOOK_SEED=<seed> replays a run.
func TestRandomSyncModel(t *testing.T) {
	if testing.Short() {
		t.Skip("many syncs against the practice")
	}
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CAREBOOK_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("CAREBOOK_SEED: %v", err)
		}
	}
	t.Logf("seed %d (CAREBOOK_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	rounds := longLoop(60, 300)

	saved := clientOptions
	clientOptions.MinBackoff, clientOptions.MaxBackoff, clientOptions.MaxRetryAfter = time.Millisecond, 2*time.Millisecond, time.Millisecond
	t.Cleanup(func() { clientOptions = saved })

	p := startMsgPractice(t)
	dir := t.TempDir()
	a, id := openMsgApp(t, p, dir)
	prof, err := a.store.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := a.MessageOptions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	var results []string // the results this test made at the practice and not deleted
	newResult := func(i int) []byte {
		return fmt.Appendf(nil, `{"resourceType":"Observation","status":"final","code":{"text":"Model result %d"},`+
			`"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2026-11-20T10:00:00Z",`+
			`"valueQuantity":{"value":%d,"unit":"mg/dL"}}`, i, prof.PatientID, rng.IntN(200))
	}
	counts := map[string]int{}
	for round := range rounds {
		step := rng.IntN(10)
		switch step {
		case 0: // the practice adds a result
			r, err := p.Store().Create(ctx, "Observation", newResult(round))
			if err != nil {
				t.Fatal(err)
			}
			results = append(results, r.ID)
			counts["result added"]++
		case 1: // the practice amends one
			if len(results) == 0 {
				continue
			}
			rid := results[rng.IntN(len(results))]
			body := newResult(round)
			body = fmt.Appendf(body[:len(body)-1], `,"id":%q}`, rid)
			if _, err := p.Store().Put(ctx, "Observation", rid, body); err != nil {
				t.Fatal(err)
			}
			counts["result amended"]++
		case 2: // the practice deletes one
			if len(results) == 0 {
				continue
			}
			i := rng.IntN(len(results))
			if err := p.Store().Delete(ctx, "Observation", results[i]); err != nil {
				t.Fatal(err)
			}
			results = slices.Delete(results, i, i+1)
			counts["result deleted"]++
		case 3: // the patient writes to the practice
			_, err := a.SendMessage(ctx, id, Draft{To: opts.Recipients[0].Ref,
				Subject: fmt.Sprintf("Model message %d", round), Text: "Round " + strconv.Itoa(round)})
			if err != nil && !errors.Is(err, ErrQueued) {
				t.Fatalf("round %d: send message: %v", round, err)
			}
			counts["message"]++
		case 4: // the patient asks for a referral
			_, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: fmt.Sprintf("Referral %d", round)})
			if err != nil && !errors.Is(err, ErrQueued) {
				t.Fatalf("round %d: send request: %v", round, err)
			}
			counts["request"]++
		case 5: // the network changes
			cfg := faults.Config{Seed: int64(rng.Uint64() >> 1), RetryAfter: time.Millisecond}
			switch rng.IntN(4) {
			case 1:
				cfg.ErrorRate, cfg.ErrorStatus = 0.3, http.StatusServiceUnavailable
			case 2:
				cfg.DropReplyAfterCommitRate = 0.4
			case 3:
				cfg.TruncateBodyRate = 0.2
			}
			p.Faults().Set(cfg)
			counts["faults"]++
		case 6: // a sync, cut short at a random moment
			sctx, cancel := context.WithTimeout(ctx, time.Duration(rng.IntN(300))*time.Millisecond)
			_ = a.Sync(sctx, id)
			cancel()
			counts["interrupted sync"]++
		case 7: // a full sync
			_ = a.Sync(ctx, id)
			counts["sync"]++
		case 9: // the patient books a free time (the practice may refuse it)
			free, err := a.FreeSlots(ctx, id, SlotQuery{})
			if err != nil || len(free.Slots()) == 0 {
				continue // offline, or nothing free: the patient tries later
			}
			slots := free.Slots()
			_, err = a.Book(ctx, id, BookRequest{Slot: slots[rng.IntN(len(slots))], Reason: fmt.Sprintf("Visit %d", round)})
			if err != nil && !errors.Is(err, ErrQueued) && !errors.Is(err, ErrRefused) {
				t.Fatalf("round %d: book: %v", round, err)
			}
			counts["booking"]++
		case 8: // the app is closed and opened again
			if err := a.Close(); err != nil {
				t.Fatalf("round %d: close: %v", round, err)
			}
			a, id = openMsgApp(t, p, dir)
			counts["restart"]++
		}
		if rng.IntN(4) == 0 {
			p.advance(time.Hour) // the staff may act; what waits is due again
		}
	}
	t.Logf("%d rounds: %v", rounds, counts)

	// Quiescence: the network is good again; sync until nothing waits.
	p.Faults().Set(faults.Config{})
	for i := 0; ; i++ {
		p.advance(2 * time.Hour)
		err := a.Sync(ctx, id)
		waiting := 0
		entries, oerr := a.Outbox(ctx, id)
		if oerr != nil {
			t.Fatal(oerr)
		}
		for _, e := range entries {
			if e.State == storage.OutboxPending {
				waiting++
			}
		}
		if err == nil && waiting == 0 {
			break
		}
		if i == 20 {
			t.Fatalf("no quiescence after %d syncs: %v, %d items waiting", i, err, waiting)
		}
	}
	// The staff's last answers and the last sync may cross: one more.
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}

	// Every item the patient wrote is at the practice exactly once, or,
	// refused by the practice (a time it does not book), not at all.
	entries, err := a.Outbox(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want := 1
		switch {
		case e.State == storage.OutboxSent:
		case e.State == storage.OutboxFailed && e.Kind == "appointment":
			want = 0
		default:
			t.Errorf("%s (%s) is %s: %s", e.LocalID, e.Kind, e.State, e.LastError)
			continue
		}
		n := 0
		switch e.Kind {
		case "message":
			n = serverMessages(t, p, e.Identifier)
		case "task":
			n = serverTasks(t, p, e.Identifier)
		case "appointment":
			n = serverCopies(t, p, "Appointment", e.Identifier)
		default:
			t.Fatalf("unexpected outbox kind %q", e.Kind)
		}
		if n != want {
			t.Errorf("%s (%s, %s) is at the practice %d times, want %d", e.LocalID, e.Kind, e.State, n, want)
		}
	}

	// The cache holds exactly the practice's versions.
	for _, typ := range []string{"Observation", "Communication", "Task", "Appointment"} {
		server := map[string]string{}
		q, _, err := store.ParseQuery(typ, url.Values{"patient": {prof.PatientID}}, false)
		if err != nil {
			t.Fatal(err)
		}
		q.Count = store.MaxCount
		rs, _, err := p.Store().Search(ctx, typ, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			server[r.ID] = r.VersionID
		}
		cached := map[string]string{}
		list, err := a.store.List(ctx, id, typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			var m struct {
				Meta struct {
					VersionID string `json:"versionId"`
				} `json:"meta"`
			}
			_ = json.Unmarshal(r.JSON, &m)
			cached[r.ID] = m.Meta.VersionID
		}
		for rid, v := range server {
			if c, ok := cached[rid]; !ok {
				t.Errorf("%s/%s (version %s) is at the practice, not in the cache", typ, rid, v)
			} else if c != v {
				t.Errorf("%s/%s: version %s in the cache, %s at the practice", typ, rid, c, v)
			}
		}
		for rid := range cached {
			if _, ok := server[rid]; !ok {
				t.Errorf("%s/%s is in the cache, no longer at the practice", typ, rid)
			}
		}
	}
}

// serverCopies counts the practice's resources of typ carrying the
// outbox identifier ident.
func serverCopies(t testing.TB, p *msgPractice, typ, ident string) int {
	t.Helper()
	q, _, err := store.ParseQuery(typ, url.Values{"identifier": {outbox.IdentifierSystem + "|" + ident}}, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Count = store.MaxCount
	rs, _, err := p.Store().Search(context.Background(), typ, q)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// longLoop is how many rounds a stress or random loop runs: short in make
// test, which must stay well under 15 minutes on 2 cores, and long with
// CAREBOOK_LONG=1 (make test-long).
func longLoop(short, long int) int {
	if os.Getenv("CAREBOOK_LONG") == "1" {
		return long
	}
	return short
}
