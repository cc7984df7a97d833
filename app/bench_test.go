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
func scaleRecord(b *testing.B, scale int) []storage.Resource {
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
			out = append(out, storage.Resource{Type: head.ResourceType, ID: head.ID, LastUpdated: time.Now(), JSON: e.Resource})
		}
	}
	return out
}

// BenchmarkUnlockToDashboard measures, for a patient with about 20,000
// cached resources, the time from unlocking (keyring) to a computed
// dashboard: decrypting and decoding the record, then the dashboard.
// Target: under 300 ms.
func BenchmarkUnlockToDashboard(b *testing.B) {
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
	rs := scaleRecord(b, 20)
	if err := a.store.Put(ctx, p.ID, rs...); err != nil {
		b.Fatal(err)
	}
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
		if len(d.Medications) == 0 && len(d.Upcoming) == 0 && len(d.NewResults) == 0 {
			b.Fatal("empty dashboard")
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
	if err := a.store.Put(ctx, p.ID, scaleRecord(b, 20)...); err != nil {
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
