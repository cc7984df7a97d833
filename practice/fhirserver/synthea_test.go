package fhirserver

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixturesDir finds ../shared/fixtures next to the module root, or skips.
func fixturesDir(t testing.TB) string {
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
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		t.Skipf("FHIR fixtures not found at %s (they live outside the repository): %v", fx, err)
	}
	return fx
}

// smallestSynthea returns the n smallest Synthea bundles (fast under -race;
// package store's tests load every one of them).
func smallestSynthea(t *testing.T, n int) []string {
	files, _ := filepath.Glob(filepath.Join(fixturesDir(t), "synthea", "*.json"))
	if len(files) == 0 {
		t.Skip("no Synthea fixtures")
	}
	sort.Slice(files, func(i, j int) bool {
		a, _ := os.Stat(files[i])
		b, _ := os.Stat(files[j])
		return a.Size() < b.Size()
	})
	return files[:min(n, len(files))]
}

type syntheaBundle struct {
	Entry []struct {
		Resource map[string]any `json:"resource"`
	} `json:"entry"`
}

func TestSyntheaThroughTheAPI(t *testing.T) {
	for _, f := range smallestSynthea(t, 3) {
		t.Run(filepath.Base(f)[:12], func(t *testing.T) {
			e := newEnv(t)
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var b syntheaBundle
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			vitals := 0
			for _, en := range b.Entry {
				typ := en.Resource["resourceType"].(string)
				want[typ]++
				if typ == "Observation" && strings.Contains(fmt.Sprint(en.Resource["category"]), "vital-signs") {
					vitals++
				}
			}
			r := e.do("POST", "", "tok-admin", string(raw))
			if r.status != 200 || r.body["type"] != "transaction-response" {
				t.Fatalf("transaction: %d %.300s", r.status, r.raw)
			}
			entries := r.body["entry"].([]any)
			if len(entries) != len(b.Entry) {
				t.Fatalf("%d response entries for %d", len(entries), len(b.Entry))
			}
			var patientID string
			for _, en := range entries {
				m := en.(map[string]any)
				if m["response"].(map[string]any)["status"] != "201 Created" {
					t.Fatalf("entry response %v", m["response"])
				}
				if res := m["resource"].(map[string]any); res["resourceType"] == "Patient" {
					patientID = res["id"].(string)
				}
			}
			for typ, n := range want {
				r := e.do("GET", "/"+typ+"?_summary=count", "tok-admin", nil)
				extra := 0
				if typ == "Patient" || typ == "Observation" || typ == "Practitioner" || typ == "Immunization" {
					extra = map[string]int{"Patient": 2, "Observation": 2, "Practitioner": 1, "Immunization": 1}[typ] // seeded by newEnv
				}
				if got := int(r.body["total"].(float64)); got != n+extra {
					t.Errorf("%s: %d on the server, %d in the bundle", typ, got, n)
				}
			}
			// The patient's own token sees its whole chart, and pages through
			// its vital signs newest first.
			patientToken := "patient-rs:" + patientID
			r = e.do("GET", "/Patient/"+patientID+"/$everything?_count=1", patientToken, nil)
			// Its records and the practitioners and organizations they
			// refer to: the whole bundle.
			if got := int(r.body["total"].(float64)); got != len(b.Entry) {
				t.Errorf("$everything total %d, want %d", got, len(b.Entry))
			}
			next := e.base + "/Observation?category=vital-signs&_sort=-date&_count=25"
			seen, last := 0, "9999"
			for next != "" {
				r := e.do("GET", next, patientToken, nil)
				if r.status != 200 {
					t.Fatalf("page: %d %s", r.status, r.raw)
				}
				for _, en := range r.body["entry"].([]any) {
					res := en.(map[string]any)["resource"].(map[string]any)
					d, _ := res["effectiveDateTime"].(string)
					if d > last {
						t.Fatalf("not sorted by -date: %s after %s", d, last)
					}
					last = d
					seen++
				}
				next = link(r.body, "next")
			}
			if seen != vitals {
				t.Errorf("paged through %d vital signs, bundle has %d", seen, vitals)
			}
		})
	}
}

func TestHL7BatchThroughTheAPI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixturesDir(t), "hl7-r4-examples", "patient-example.batch.json"))
	if err != nil {
		t.Skipf("HL7 examples missing: %v", err)
	}
	e := newEnv(t)
	r := e.do("POST", "", "tok-admin", string(raw))
	if r.status != 200 || r.body["type"] != "batch-response" {
		t.Fatalf("batch: %d %.300s", r.status, r.raw)
	}
	// The examples refer to resources outside the set (Organization/1, ...):
	// a batch checks each entry on its own, so every one is refused with a
	// 422 that says why, and nothing is written. (Package store's
	// LoadBundle loads them without reference checks.)
	entries := r.body["entry"].([]any)
	if len(entries) != 116 {
		t.Fatalf("%d response entries", len(entries))
	}
	for _, en := range entries {
		resp := en.(map[string]any)["response"].(map[string]any)
		diag := fmt.Sprint(resp["outcome"])
		if resp["status"] != "422 Unprocessable Entity" || !strings.Contains(diag, "does not exist") {
			t.Fatalf("entry response %v", resp)
		}
	}
	if r := e.do("GET", "/Patient/example", "tok-admin", nil); r.status != 404 {
		t.Fatalf("Patient/example: %d", r.status)
	}
}
