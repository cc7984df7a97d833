package app

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// newSearchApp returns an unlocked app with one empty profile.
func newSearchApp(t *testing.T, dir string) (*App, string) {
	t.Helper()
	ctx := context.Background()
	a, err := Open(Config{DataDir: dir, Storage: storage.Options{Keyring: storage.NewMemoryKeyring(), NoKeyring: true, KDF: cheapKDF}, IdleTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Setup(ctx, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: synth.ScalePatientID, Label: "Quinn Taylor"})
	if err != nil {
		t.Fatal(err)
	}
	return a, p.ID
}

func hitKeys(hits []record.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Type+"/"+h.ID)
	}
	return out
}

// TestSearchSameAsInMemoryIndex: the sealed index finds what the in-memory
// index finds, with the same titles, dates, snippets and ranking.
func TestSearchSameAsInMemoryIndex(t *testing.T) {
	ctx := context.Background()
	a, profileID := newSearchApp(t, t.TempDir())
	rs := scaleRecord(t, 2, false)
	if err := a.store.Put(ctx, profileID, rs...); err != nil {
		t.Fatal(err)
	}
	in := make([]record.Resource, len(rs))
	for i, r := range rs {
		in[i] = record.Resource(r)
	}
	mem := record.Build(in)
	total := 0
	for _, q := range []string{"hemoglobin", "hemo blood", "chol", "glucose", "a", "dr", "annual", "2093", "mg dl", "zzqx", "influenza vaccine",
		// One and two letters (their own tokens), alone and with others;
		// the Spanish words each kind is found by, accents folded.
		"c", "h", "2", "co", "he", "b c", "he b", "hemoglobin b", "g 20", "v", "va", "vacuna", "É", "Ín", "inmunización", "q"} {
		want := mem.Search(q, 10000)
		got, err := a.Search(ctx, profileID, q, 10000)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		total += len(got)
		if len(got) != len(want) {
			t.Errorf("Search(%q): %d hits, in memory %d", q, len(got), len(want))
			continue
		}
		byKey := map[string]record.Hit{}
		for _, h := range want {
			byKey[h.Type+"/"+h.ID] = h
		}
		for i, h := range got {
			w, ok := byKey[h.Type+"/"+h.ID]
			if !ok || !reflect.DeepEqual(h, w) {
				t.Errorf("Search(%q) hit %d = %+v, in memory %+v", q, i, h, w)
				break
			}
			// Equal ranks may come in another order; the dates not.
			if !h.Date.Time.Equal(want[i].Date.Time) {
				t.Errorf("Search(%q) hit %d dated %v, in memory %v", q, i, h.Date, want[i].Date)
				break
			}
		}
	}
	if total < 500 {
		t.Errorf("only %d hits in all: the comparison proves little", total)
	}
	if hits, err := a.Search(ctx, profileID, "hemoglobin", 5); err != nil || len(hits) != 5 {
		t.Errorf("limited search = %d hits, %v", len(hits), err)
	}
	// What the screen shows (the first 100): the best of a full search,
	// but for equals at the cut.
	for _, q := range []string{"c", "h", "2", "co", "v", "he b", "chol"} {
		want := mem.Search(q, 100)
		got, err := a.Search(ctx, profileID, q, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got) != 100 {
			t.Errorf("Search(%q, 100): %d hits, in memory %d", q, len(got), len(want))
			continue
		}
		inWant := map[string]bool{}
		for _, h := range want {
			inWant[h.Type+"/"+h.ID] = true
		}
		last := want[len(want)-1].Date
		for i, h := range got {
			if !h.Date.Time.Equal(want[i].Date.Time) {
				t.Errorf("Search(%q, 100) hit %d dated %v, in memory %v", q, i, h.Date, want[i].Date)
				break
			}
			if !inWant[h.Type+"/"+h.ID] && !h.Date.Time.Equal(last.Time) {
				t.Errorf("Search(%q, 100) shows %s/%s, not among the first 100 in memory", q, h.Type, h.ID)
				break
			}
		}
	}
}

// TestSearchFollowsSyncs: a resource written by a sync is found at once,
// and no longer once a sync changed or deleted it.
func TestSearchFollowsSyncs(t *testing.T) {
	ctx := context.Background()
	a, profileID := newSearchApp(t, t.TempDir())
	cond := func(id, text string) storage.Resource {
		return storage.Resource{Type: "Condition", ID: id, JSON: fmt.Appendf(nil,
			`{"resourceType":"Condition","id":%q,"code":{"text":%q},"onsetDateTime":"2020-01-01"}`, id, text)}
	}
	search := func(q string) []string {
		t.Helper()
		hits, err := a.Search(ctx, profileID, q, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		return hitKeys(hits)
	}
	if err := a.store.Put(ctx, profileID, cond("c1", "Sarcoidosis"), cond("c2", "Gout")); err != nil {
		t.Fatal(err)
	}
	if got := search("sarco"); !reflect.DeepEqual(got, []string{"Condition/c1"}) {
		t.Errorf("after the sync that added it: %q", got)
	}
	err := a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
		if err := tx.Put(cond("c2", "Pseudogout")); err != nil {
			return err
		}
		_, err := tx.Remove("Condition", "c1") // by its row key, as the pull deletes
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search("sarco"); len(got) != 0 {
		t.Errorf("after the sync that deleted it: %q", got)
	}
	if got := search("gout"); len(got) != 0 {
		t.Errorf("a word the resource lost still finds it: %q", got)
	}
	if got := search("pseudo"); !reflect.DeepEqual(got, []string{"Condition/c2"}) {
		t.Errorf("after the sync that changed it: %q", got)
	}
	// Short words, before and after the index is compacted.
	for _, compacted := range []bool{false, true} {
		if compacted {
			if err := a.store.CompactSearch(ctx, profileID); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{"s", "sa", "g", "go"} {
			if got := search(q); len(got) != 0 {
				t.Errorf("compacted %v: %q finds %q", compacted, q, got)
			}
		}
		for _, q := range []string{"p", "ps", "ps pseudogout"} {
			if got := search(q); !reflect.DeepEqual(got, []string{"Condition/c2"}) {
				t.Errorf("compacted %v: %q finds %q", compacted, q, got)
			}
		}
	}
}

// TestSearchIndexBuiltForOldCache: a cache written before the index (no
// indexer) gets one in the background on unlock; meanwhile search says it
// is getting ready.
func TestSearchIndexBuiltForOldCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, profileID := newSearchApp(t, dir)
	a.store.SetSearchIndexer(nil) // as a version before the index wrote it
	rs := scaleRecord(t, 2, false)
	if err := a.store.Put(ctx, profileID, rs...); err != nil {
		t.Fatal(err)
	}
	a.store.SetSearchIndexer(IndexForSearch)
	events, stop := a.Events()
	defer stop()
	a.Lock()
	if err := a.Unlock(ctx, "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	_, err := a.Search(ctx, profileID, "hemoglobin", 10)
	var notReady *SearchNotReadyError
	if err != nil && (!errors.As(err, &notReady) || !errors.Is(err, ErrSearchNotReady) || notReady.Total != len(rs)) {
		t.Fatalf("search while building: %v", err)
	}
	if err != nil {
		deadline := time.After(time.Minute)
	wait:
		for {
			select {
			case e := <-events:
				if r, ok := e.(SearchReady); ok && r.ProfileID == profileID {
					break wait
				}
			case <-deadline:
				t.Fatal("the index was never built")
			}
		}
	}
	hits, err := a.Search(ctx, profileID, "hemoglobin", 10)
	if err != nil || len(hits) != 10 {
		t.Fatalf("after building: %d hits, %v", len(hits), err)
	}
}
