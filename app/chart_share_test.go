package app

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// TestConcurrentReadersShareOneDecode: searches and record screens that ask
// for a cold record at the same time decode it once, a reader who gives up
// does not stop the decode for the others, and a change to the record
// makes the next reader decode afresh.
func TestConcurrentReadersShareOneDecode(t *testing.T) {
	ctx := context.Background()
	a, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{Keyring: storage.NewMemoryKeyring(), KDF: cheapKDF}, IdleTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Setup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: synth.ScalePatientID, Label: "Quinn Taylor"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.Put(ctx, p.ID, scaleRecord(t, 2, false)...); err != nil {
		t.Fatal(err)
	}

	// A reader who has already given up gets its context's error, and the
	// decode it started goes on.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Search(gone, p.ID, "glucose", 20); !errors.Is(err, context.Canceled) {
		t.Fatalf("search with an ended context: %v, want context.Canceled", err)
	}

	const readers = 8
	hits := make([]int, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 1 {
				if _, err := a.Chart(ctx, p.ID); err != nil {
					t.Error(err)
				}
			}
			h, err := a.Search(ctx, p.ID, "glucose", 20)
			if err != nil {
				t.Error(err)
			}
			hits[i] = len(h)
		}()
	}
	wg.Wait()
	if n := a.decodeCount.Load(); n != 1 {
		t.Errorf("%d readers (one of them gone) decoded the record %d times, want once", readers+1, n)
	}
	for i, n := range hits {
		if n == 0 || n != hits[0] {
			t.Fatalf("reader %d found %d entries, reader 0 %d: want the same, and some", i, n, hits[0])
		}
	}

	// A sync that changes the record drops it: the next reader decodes it again.
	// (Search reads the sealed index and decodes no record: search_test.go.)
	a.forget(p.ID)
	if _, err := a.Chart(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := a.decodeCount.Load(); n != 2 {
		t.Errorf("after the record changed: %d decodes, want 2", n)
	}
}
