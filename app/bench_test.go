package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/scalerecord"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// scaleRecord returns the resources of the practice's scale patient (about
// Scale×1,000 of them) and the practice's shared ones, as a sync would
// have cached them (see scalerecord.Resources).
func scaleRecord(b testing.TB, scale int, allNew bool) []storage.Resource {
	b.Helper()
	rs, err := scalerecord.Resources(scale, allNew, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// BenchmarkUnlockToDashboard measures, for a patient with about 20,000
// cached resources who looked at their results yesterday, the time from
// unlocking (keyring) to a computed dashboard: reading, decrypting and
// decoding what it shows. Target: under 300 ms.
func BenchmarkUnlockToDashboard(b *testing.B) { benchUnlockToDashboard(b, false) }

// BenchmarkUnlockToDashboardAllNew is the worst case: the server imported
// the whole history today, so every result counts as new.
func BenchmarkUnlockToDashboardAllNew(b *testing.B) { benchUnlockToDashboard(b, true) }

func benchUnlockToDashboard(b *testing.B, allNew bool) {
	ctx := context.Background()
	a, err := Open(Config{DataDir: b.TempDir(), Storage: storage.Options{Keyring: storage.NewMemoryKeyring(), KDF: cheapKDF}, IdleTimeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if err := a.Setup(ctx, ""); err != nil {
		b.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: synth.ScalePatientID, Label: "Quinn Taylor"})
	if err != nil {
		b.Fatal(err)
	}
	rs := scaleRecord(b, 20, allNew)
	if err := a.store.Put(ctx, p.ID, rs...); err != nil {
		b.Fatal(err)
	}
	a.cfg.Now = func() time.Time { return time.Now().AddDate(0, 0, -1) }
	if err := a.MarkResultsSeen(ctx, p.ID); err != nil {
		b.Fatal(err)
	}
	a.cfg.Now = time.Now
	b.ReportMetric(float64(len(rs)), "resources")
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a.Lock()
		b.StartTimer()
		if err := a.Unlock(ctx, ""); err != nil {
			b.Fatal(err)
		}
		d, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			b.Fatal(err)
		}
		if !strings.HasPrefix(d.PatientName, "Quinn") {
			b.Fatalf("dashboard of %q, want the scale patient's", d.PatientName)
		}
	}
}

// BenchmarkSearchRecord measures a search over the same 20,000 resources,
// once the record is decoded (the first search builds the index; later
// ones reuse it). Target: under 50 ms.
func BenchmarkSearchRecord(b *testing.B) {
	ctx := context.Background()
	a, err := Open(Config{DataDir: b.TempDir(), Storage: storage.Options{Keyring: storage.NewMemoryKeyring(), KDF: cheapKDF}, IdleTimeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if err := a.Setup(ctx, ""); err != nil {
		b.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: synth.ScalePatientID, Label: "Quinn Taylor"})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.store.Put(ctx, p.ID, scaleRecord(b, 20, false)...); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Search(ctx, p.ID, "warm up", 1); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		hits, err := a.Search(ctx, p.ID, "hemoglobin blood", 50)
		if err != nil {
			b.Fatal(err)
		}
		if len(hits) == 0 {
			b.Fatal("no hits")
		}
	}
}
