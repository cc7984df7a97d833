package pull

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// watchAPI wraps an API: it records the searches made, how many ran at
// once, and the server time of each search's first page.
type watchAPI struct {
	fhirapi.API
	delay time.Duration
	// noBundleTime drops Bundle.meta.lastUpdated from what the sync sees,
	// leaving the Date header as the only server time.
	noBundleTime bool

	inFlight, maxInFlight atomic.Int32
	mu                    sync.Mutex
	queries               map[string][]url.Values // by path
	firstPage             map[string]fhirapi.Page // by path, the last search's
	order                 []string                // the paths searched, in order
}

func (w *watchAPI) Search(ctx context.Context, path string, q url.Values, h fhirapi.SearchHandler) (fhirapi.SearchInfo, error) {
	n := w.inFlight.Add(1)
	defer w.inFlight.Add(-1)
	for {
		m := w.maxInFlight.Load()
		if n <= m || w.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	w.mu.Lock()
	if w.queries == nil {
		w.queries, w.firstPage = map[string][]url.Values{}, map[string]fhirapi.Page{}
	}
	w.queries[path] = append(w.queries[path], q)
	w.order = append(w.order, path)
	w.mu.Unlock()
	time.Sleep(w.delay)
	done := h.PageDone
	h.PageDone = func(p fhirapi.Page) error {
		if w.noBundleTime {
			p.Bundle.LastUpdated = time.Time{}
		}
		if p.Number == 1 {
			w.mu.Lock()
			w.firstPage[path] = p
			w.mu.Unlock()
		}
		if done != nil {
			return done(p)
		}
		return nil
	}
	return w.API.Search(ctx, path, q, h)
}

func (w *watchAPI) lastQuery(path string) url.Values {
	w.mu.Lock()
	defer w.mu.Unlock()
	qs := w.queries[path]
	if len(qs) == 0 {
		return nil
	}
	return qs[len(qs)-1]
}

// TestCheckpointIsServerTime: the checkpoint a unit stores is the server's
// time of its first page (Bundle.meta.lastUpdated, else the Date header)
// minus the overlap, never the local clock, which is set years off here;
// the next sync asks for changes since exactly that.
func TestCheckpointIsServerTime(t *testing.T) {
	for _, dateOnly := range []bool{false, true} {
		name := "bundle meta.lastUpdated"
		if dateOnly {
			name = "Date header"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(fhirtest.Features{})
			defer srv.Close()
			seed(srv)
			st, pid := openStore(t)
			api := &watchAPI{API: newAPI(t, srv), noBundleTime: dateOnly}
			local := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC) // a laptop whose clock is wrong
			cfg := Config{API: api, Store: st, ProfileID: pid, PatientID: "p1", Types: types, Now: func() time.Time { return local }}
			if _, err := Run(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			first := api.firstPage["Observation"]
			server := first.Bundle.LastUpdated
			if dateOnly {
				server = first.Date
			}
			if server.IsZero() || server.Year() < 2020 {
				t.Fatalf("no server time seen: %+v", first)
			}
			want := fhirapi.FormatInstant(server.Add(-overlap))
			got, ok, err := st.Checkpoint(ctx, pid, checkpointTypePrefix+"Observation")
			if err != nil || !ok || got != want {
				t.Fatalf("checkpoint = %q (%v, %v), want %q", got, ok, err, want)
			}
			if _, err := Run(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			if q := api.lastQuery("Observation"); q.Get("_lastUpdated") != "gt"+want {
				t.Fatalf("incremental query = %v, want _lastUpdated=gt%s", q, want)
			}
		})
	}
}

// TestConcurrencyBounded: per-type units run concurrently, never more than
// Config.Concurrency at once.
func TestConcurrencyBounded(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	seed(srv)
	st, pid := openStore(t)
	api := &watchAPI{API: newAPI(t, srv), delay: 50 * time.Millisecond}
	many := []string{"Patient", "Observation", "Condition", "Encounter", "Communication", "Appointment", "Task"}
	if _, err := Run(context.Background(), Config{API: api, Store: st, ProfileID: pid, PatientID: "p1", Types: many, Concurrency: 3}); err != nil {
		t.Fatal(err)
	}
	if got := api.maxInFlight.Load(); got != 3 {
		t.Fatalf("at most %d searches ran at once, want 3 (Concurrency)", got)
	}
}

// TestUnitsStartInOrder: per-type units start in the order of
// Config.Types (DefaultTypes lists the types most records hold most of
// early, so the longest overlaps the most with the others), not in
// whichever order their goroutines happen to run.
func TestUnitsStartInOrder(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	seed(srv)
	types := []string{"Patient", "Observation", "Condition", "Encounter", "Communication", "Appointment", "Task"}
	for _, concurrency := range []int{1, 3} {
		st, pid := openStore(t)
		api := &watchAPI{API: newAPI(t, srv)}
		if _, err := Run(context.Background(), Config{API: api, Store: st, ProfileID: pid, PatientID: "p1", Types: types, Concurrency: concurrency}); err != nil {
			t.Fatal(err)
		}
		api.mu.Lock()
		// (The referenced records are fetched after the units.)
		started := slices.Clone(api.order[:len(types)])
		api.mu.Unlock()
		if concurrency == 1 && !slices.Equal(started, types) {
			t.Fatalf("one at a time, the units started in the order %v, want %v", started, types)
		}
		// Several at once: each of the first ones started before any of
		// those after them.
		if first := started[:concurrency]; concurrency > 1 && !slices.Equal(slices.Sorted(slices.Values(first)), slices.Sorted(slices.Values(types[:concurrency]))) {
			t.Fatalf("%d at once, the first units to start were %v, want %v", concurrency, first, types[:concurrency])
		}
	}
}

// TestPeriodicReconcile: without usable history (none offered, or an open
// server whose history is everybody's), deletions are found by a full pull
// and reconcile once ReconcileEvery has passed on the local clock, and not
// before.
func TestPeriodicReconcile(t *testing.T) {
	for _, open := range []bool{false, true} {
		t.Run(map[bool]string{false: "no history", true: "open server with history"}[open], func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(fhirtest.Features{SystemHistory: open})
			defer srv.Close()
			seed(srv)
			time.Sleep(overlap)
			st, pid := openStore(t)
			api := &watchAPI{API: newAPI(t, srv)}
			now := time.Now()
			cfg := Config{API: api, Store: st, ProfileID: pid, PatientID: "p1", Types: types, OpenServer: open,
				ReconcileEvery: 24 * time.Hour, Now: func() time.Time { return now }}
			if res, err := Run(ctx, cfg); err != nil || !res.Full {
				t.Fatalf("first sync: full %v, %v", res.Full, err)
			}
			srv.Delete("Observation", "o07")
			now = now.Add(23 * time.Hour)
			res, err := Run(ctx, cfg)
			if err != nil || res.Full || res.Removed["Observation"] != 0 {
				t.Fatalf("before ReconcileEvery: full %v removed %v, %v", res.Full, res.Removed, err)
			}
			now = now.Add(2 * time.Hour)
			res, err = Run(ctx, cfg)
			if err != nil || !res.Full || res.Removed["Observation"] != 1 {
				t.Fatalf("after ReconcileEvery: full %v removed %v, %v", res.Full, res.Removed, err)
			}
			if q := api.lastQuery("_history"); q != nil {
				t.Fatalf("history was read (%v) although it cannot be used", q)
			}
			if c := counts(t, st, pid); c["Observation"] != 24 {
				t.Fatalf("Observations cached: %d, want 24", c["Observation"])
			}
		})
	}
}

// TestDeleteExistingByKey: deleteExisting removes the cached records among
// the keys, by key, and counts only those: absent keys, the same id under
// another type and the records left alone are untouched.
func TestDeleteExistingByKey(t *testing.T) {
	ctx := context.Background()
	st, pid := openStore(t)
	var rs []storage.Resource
	for i := range 50 {
		rs = append(rs, storage.Resource{Type: "Observation", ID: fmt.Sprintf("o%d", i), JSON: []byte(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d"}`, i))})
	}
	rs = append(rs, storage.Resource{Type: "Condition", ID: "c1", JSON: []byte(`{"resourceType":"Condition","id":"c1"}`)})
	if err := st.Put(ctx, pid, rs...); err != nil {
		t.Fatal(err)
	}
	keys := []key{{"Observation", "o3"}, {"Observation", "o40"}, {"Observation", "absent"}, {"Condition", "o3"}, {"Condition", "c1"}, {"Observation", "o3"}}
	var removed map[string]int
	if err := st.Update(ctx, pid, func(tx *storage.Tx) error {
		var err error
		removed, err = deleteExisting(tx, keys)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 || removed["Observation"] != 2 || removed["Condition"] != 1 {
		t.Fatalf("removed = %v, want 2 Observation and 1 Condition", removed)
	}
	got, err := st.Counts(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if got["Observation"] != 48 || got["Condition"] != 0 {
		t.Fatalf("counts after = %v", got)
	}
	for _, id := range []string{"o3", "o40"} {
		if _, err := st.Get(ctx, pid, "Observation", id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Observation/%s after removal: %v", id, err)
		}
	}
}

// TestAsksLargestPageAcceptsSmaller: a sync asks for DefaultPageSize
// records a page, in $everything and in per-type mode, and takes whatever
// page size the server gives (here at most 7), following the pages to
// the end.
func TestAsksLargestPageAcceptsSmaller(t *testing.T) {
	for _, everything := range []bool{true, false} {
		t.Run(fmt.Sprint("everything=", everything), func(t *testing.T) {
			srv := fhirtest.New(fhirtest.Features{Everything: everything, MaxCount: 7})
			defer srv.Close()
			seed(srv)
			st, pid := openStore(t)
			api := &watchAPI{API: newAPI(t, srv)}
			res, err := Run(context.Background(), Config{API: api, Store: st, ProfileID: pid, PatientID: "p1", Types: []string{"Patient", "Observation", "Condition"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Stored["Observation"] != 25 {
				t.Fatalf("stored %v, want the 25 observations of several pages", res.Stored)
			}
			path := "Observation"
			if everything {
				path = "Patient/p1/$everything"
			}
			if got := api.lastQuery(path).Get("_count"); got != fmt.Sprint(DefaultPageSize) || DefaultPageSize != 1000 {
				t.Fatalf("_count = %s (DefaultPageSize %d), want 1000", got, DefaultPageSize)
			}
		})
	}
}

// TestSetAsideRecordIsPulledInFull: a profile whose record was set aside
// (the data file rebuilt without it after damage: storage.RebuildDamaged)
// while its checkpoints say it is up to date gets its whole record on the
// next sync, both with history and $everything and per type (an
// incremental pull would bring only what changed since), and is not
// Downloaded until that sync finishes.
func TestSetAsideRecordIsPulledInFull(t *testing.T) {
	for _, features := range []fhirtest.Features{{Everything: true, SystemHistory: true}, {}} {
		t.Run(fmt.Sprintf("everything=%v", features.Everything), func(t *testing.T) {
			ctx := context.Background()
			srv := fhirtest.New(features)
			defer srv.Close()
			seed(srv)
			time.Sleep(overlap) // so the seed is older than the checkpoint overlap
			dir, keyring := t.TempDir(), storage.NewMemoryKeyring()
			open := func() *storage.Store {
				st, err := storage.Open(dir, storage.Options{Keyring: keyring, KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			st := open()
			if err := st.Setup(ctx, "test passphrase"); err != nil {
				t.Fatal(err)
			}
			p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: "http://127.0.0.1/fhir", PatientID: "p1", Label: "test"})
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{API: newAPI(t, srv), Store: st, ProfileID: p.ID, PatientID: "p1", PageSize: 7, Types: types}
			if _, err := Run(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			want := counts(t, st, p.ID)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := storage.RebuildDamaged(dir); err != nil {
				t.Fatal(err)
			}
			st = open()
			t.Cleanup(func() { st.Close() })
			if err := st.UnlockWithPassphrase(ctx, "test passphrase"); err != nil {
				t.Fatal(err)
			}
			if done, err := Downloaded(ctx, st, p.ID); err != nil || done {
				t.Errorf("Downloaded after the rebuild = %v, %v; want false", done, err)
			}
			cfg.Store = st
			res, err := Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Full {
				t.Error("the sync of a record set aside was not full")
			}
			wantCounts(t, counts(t, st, p.ID), want)
			if done, err := Downloaded(ctx, st, p.ID); err != nil || !done {
				t.Errorf("Downloaded after the sync = %v, %v; want true", done, err)
			}
		})
	}
}

// TestEmptyRecordIsDownloaded: a record the practice shares nothing of
// leaves the cache empty after a sync, and is downloaded in full all the
// same; the next sync is incremental, as for any other record.
func TestEmptyRecordIsDownloaded(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{Everything: true, SystemHistory: true})
	defer srv.Close()
	st, pid := openStore(t)
	cfg := Config{API: newAPI(t, srv), Store: st, ProfileID: pid, PatientID: "p1", PageSize: 7, Types: types}
	if done, err := Downloaded(ctx, st, pid); err != nil || done {
		t.Errorf("Downloaded before the first sync = %v, %v; want false", done, err)
	}
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if has, err := st.HasResources(ctx, pid); err != nil || has {
		t.Fatalf("the cache holds resources (%v): the test's record is not empty", err)
	}
	if done, err := Downloaded(ctx, st, pid); err != nil || !done {
		t.Errorf("Downloaded after the sync = %v, %v; want true", done, err)
	}
	time.Sleep(overlap)
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Full {
		t.Error("the second sync of an empty record was full")
	}
}

// stallAPI stalls a search after its first page is handed to the sync
// (as a slow link does before the next page comes) until release closes.
type stallAPI struct {
	fhirapi.API
	path    string
	stalled chan struct{} // closed once the download waits
	release chan struct{}
}

func (s *stallAPI) Search(ctx context.Context, path string, q url.Values, h fhirapi.SearchHandler) (fhirapi.SearchInfo, error) {
	if path != s.path {
		return s.API.Search(ctx, path, q, h)
	}
	done := h.PageDone
	h.PageDone = func(p fhirapi.Page) error {
		err := done(p)
		if p.Number == 1 && p.Bundle.Next() != "" {
			close(s.stalled)
			select {
			case <-s.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return err
	}
	return s.API.Search(ctx, path, q, h)
}

// TestWritesWhileDownloadStalls: while a unit waits for its next page (a
// slow link), the cache's one writer is free: the page before is
// committed and reported, and the app's own writes (a draft saved, the
// outbox) and the other units' pages go through, instead of waiting for
// the download.
func TestWritesWhileDownloadStalls(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{MaxCount: 7})
	defer srv.Close()
	seed(srv)
	st, pid := openStore(t)
	api := &stallAPI{API: newAPI(t, srv), path: "Observation", stalled: make(chan struct{}), release: make(chan struct{})}
	progress := make(chan Progress, 16)
	result := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Config{API: api, Store: st, ProfileID: pid, PatientID: "p1",
			Types: []string{"Patient", "Observation", "Condition"},
			OnEvent: func(e Event) {
				if p, ok := e.(Progress); ok {
					progress <- p
				}
			}})
		result <- err
	}()
	<-api.stalled
	deadline := time.After(10 * time.Second)
	for committed := false; !committed; {
		select {
		case p := <-progress:
			committed = p.Type == "Observation" && p.Done == 7
		case <-deadline:
			close(api.release)
			t.Fatal("the first page of observations was not committed while the download of the second waited")
		}
	}
	if n := counts(t, st, pid)["Observation"]; n != 7 {
		t.Fatalf("%d observations readable while the download waits, want the first page's 7", n)
	}
	wrote := make(chan error, 1)
	go func() {
		wrote <- st.Update(context.Background(), pid, func(tx *storage.Tx) error { return tx.SetCheckpoint("app.write", "x") })
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-deadline:
		close(api.release)
		t.Fatal("the app's write waited for the stalled download")
	}
	close(api.release)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if n := counts(t, st, pid)["Observation"]; n != 25 {
		t.Fatalf("%d observations after the sync, want 25", n)
	}
}
