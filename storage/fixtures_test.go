package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixturesDir finds ../shared/fixtures next to the repository root (the
// directory holding go.mod), or skips the test.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory; cannot locate ../shared/fixtures")
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		t.Skipf("real FHIR fixtures not present at %s (read-only test data, not in the repo)", fx)
	}
	return fx
}

// bundleResources extracts the resources of a Synthea transaction bundle,
// keeping each one's raw JSON.
func bundleResources(t *testing.T, path string) (rs []Resource, names []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	for _, e := range bundle.Entry {
		var head struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
			Meta         struct {
				LastUpdated time.Time `json:"lastUpdated"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		id := head.ID
		if id == "" {
			id = strings.TrimPrefix(e.FullURL, "urn:uuid:")
		}
		rs = append(rs, Resource{Type: head.ResourceType, ID: id, LastUpdated: head.Meta.LastUpdated, JSON: e.Resource})
		if head.ResourceType == "Patient" {
			var patient struct {
				Name []struct {
					Family string `json:"family"`
				} `json:"name"`
			}
			if err := json.Unmarshal(e.Resource, &patient); err != nil {
				t.Fatalf("%s: %v", filepath.Base(path), err)
			}
			for _, n := range patient.Name {
				if len(n.Family) >= 8 { // shorter strings occur in ciphertext by chance
					names = append(names, n.Family)
				}
			}
		}
	}
	return rs, names
}

// TestSyntheaBundles stores every resource of the real Synthea fixtures and
// reads each back byte for byte, then checks the patients' family names are
// nowhere in the data directory.
func TestSyntheaBundles(t *testing.T) {
	fx := fixturesDir(t)
	paths, err := filepath.Glob(filepath.Join(fx, "synthea", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Skipf("no Synthea bundles in %s", fx)
	}
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	var allNames []string
	total := 0
	for _, path := range paths {
		rs, names := bundleResources(t, path)
		allNames = append(allNames, names...)
		p := newProfile(t, s, "patient")
		if err := s.Put(ctx, p.ID, rs...); err != nil {
			t.Fatalf("%s: Put: %v", filepath.Base(path), err)
		}
		want := make(map[string]int)
		for _, r := range rs {
			want[r.Type]++
			got, err := s.Get(ctx, p.ID, r.Type, r.ID)
			if err != nil {
				t.Fatalf("Get %s: %v", r.Type, err)
			}
			if !bytes.Equal(got.JSON, r.JSON) || !got.LastUpdated.Equal(r.LastUpdated) {
				t.Fatalf("%s: a %s did not round-trip", filepath.Base(path), r.Type)
			}
		}
		counts, err := s.Counts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for typ, n := range want {
			if counts[typ] != n {
				t.Errorf("Counts[%s] = %d, want %d", typ, counts[typ], n)
			}
		}
		total += len(rs)
	}
	if len(allNames) == 0 {
		t.Fatal("no patient names found in the fixtures: the leak check would prove nothing")
	}
	assertNoLeak(t, "Synthea, while open", dir, allNames...)
	s.Close()
	assertNoLeak(t, "Synthea, after Close", dir, allNames...)
	t.Logf("%d bundles, %d resources", len(paths), total)
}
