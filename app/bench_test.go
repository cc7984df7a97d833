package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// scaleRecord returns the resources of the practice's scale patient (about
// Scale×1,000 of them) and the practice's shared ones, as a sync would
// have cached them.
func scaleRecord(b testing.TB, scale int, allNew bool) []storage.Resource {
	b.Helper()
	bundles, _, err := synth.Generate(synth.Options{Seed: 1, Scale: scale, Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	var out []storage.Resource
	for _, raw := range bundles {
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &bundle); err != nil {
			b.Fatal(err)
		}
		for _, e := range bundle.Entry {
			var head struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
				Effective    string `json:"effectiveDateTime"`
				Issued       string `json:"issued"`
				Date         string `json:"date"`
				AuthoredOn   string `json:"authoredOn"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				b.Fatal(err)
			}
			// The scale patient's chart: everything that names it, plus
			// the practice's own resources; no other patient's data.
			text := string(e.Resource)
			if head.ResourceType != "Patient" && strings.Contains(text, `"Patient/`) && !strings.Contains(text, "Patient/"+synth.ScalePatientID) {
				continue
			}
			if head.ResourceType == "Patient" && head.ID != synth.ScalePatientID {
				continue
			}
			// A server that records results as they happen has them
			// last updated when they were made; allNew is a server that
			// imported the whole history today.
			updated := time.Now()
			if !allNew {
				for _, d := range []string{head.Issued, head.Effective, head.Date, head.AuthoredOn} {
					if t, err := time.Parse(time.RFC3339, d); err == nil {
						updated = t
						break
					}
				}
			}
			out = append(out, storage.Resource{Type: head.ResourceType, ID: head.ID, LastUpdated: updated, JSON: e.Resource})
		}
	}
	return out
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
