package record

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/synth"
)

// codeCount is how often one code names something in the test data, with
// the display it was seen with.
type codeCount struct {
	System, Code, Display string
	N                     int
}

// nameConcepts are the paths, per resource type, of the concepts whose
// display a screen shows as a name or a value: what a plain name replaces.
var nameConcepts = map[string][]string{
	"Observation":        {"code", "component.code", "valueCodeableConcept"},
	"Condition":          {"code"},
	"Procedure":          {"code"},
	"Encounter":          {"type", "reasonCode"},
	"DiagnosticReport":   {"code"},
	"Immunization":       {"vaccineCode"},
	"MedicationRequest":  {"medicationCodeableConcept"},
	"AllergyIntolerance": {"code"},
	"CarePlan":           {"category", "activity.detail.code"},
	"Goal":               {"description"},
}

// conceptsAt returns the CodeableConcepts at a dotted path of a decoded
// JSON value, going through arrays on the way.
func conceptsAt(v any, path []string) []map[string]any {
	switch x := v.(type) {
	case []any:
		var out []map[string]any
		for _, e := range x {
			out = append(out, conceptsAt(e, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 {
			return []map[string]any{x}
		}
		return conceptsAt(x[path[0]], path[1:])
	}
	return nil
}

// namedCodings calls fn for every coding of a name-bearing concept of r.
func namedCodings(r Resource, fn func(path string, c Coding)) {
	paths := nameConcepts[r.Type]
	if len(paths) == 0 {
		return
	}
	var v map[string]any
	if json.Unmarshal(r.JSON, &v) != nil {
		return
	}
	for _, p := range paths {
		for _, cc := range conceptsAt(v, strings.Split(p, ".")) {
			codings, _ := cc["coding"].([]any)
			for _, c := range codings {
				m, _ := c.(map[string]any)
				sys, _ := m["system"].(string)
				code, _ := m["code"].(string)
				disp, _ := m["display"].(string)
				if code != "" {
					fn(p, Coding{System: sys, Code: code, Display: disp})
				}
			}
		}
	}
}

var (
	testResourcesOnce sync.Once
	testResourcesList []Resource
)

// testResources is every resource of the Synthea fixtures and of the
// practice's generated demo data (practice/synth), as the cache holds them;
// read once per test binary.
func testResources(t testing.TB) []Resource {
	t.Helper()
	testResourcesOnce.Do(func() { testResourcesList = readTestResources(t) })
	if len(testResourcesList) == 0 {
		t.Skip("no test data")
	}
	return testResourcesList
}

func readTestResources(t testing.TB) []Resource {
	t.Helper()
	var out []Resource
	for _, b := range loadBundles(t) {
		out = append(out, b.resources...)
	}
	bundles, _, err := synth.Generate(synth.Options{Seed: 1, Now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("generate the practice's data: %v", err)
	}
	for _, raw := range bundles {
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("parse a practice bundle: %v", err)
		}
		for _, e := range b.Entry {
			var head struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				t.Fatalf("parse a practice resource: %v", err)
			}
			out = append(out, Resource{Type: head.ResourceType, ID: head.ID, JSON: e.Resource})
		}
	}
	return out
}

// codeFrequency counts the codes that name something in rs, most frequent
// first (ties by system and code, so the order is stable).
func codeFrequency(rs []Resource) []codeCount {
	counts := map[[2]string]*codeCount{}
	for _, r := range rs {
		namedCodings(r, func(_ string, c Coding) {
			k := [2]string{c.System, c.Code}
			if counts[k] == nil {
				counts[k] = &codeCount{System: c.System, Code: c.Code, Display: c.Display}
			}
			counts[k].N++
		})
	}
	out := make([]codeCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		if out[i].System != out[j].System {
			return out[i].System < out[j].System
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// TestPrintCodeFrequency prints the most frequent codes of the test data
// (go test -run TestPrintCodeFrequency -v): how the plain names to write
// were picked.
func TestPrintCodeFrequency(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("prints only with -v")
	}
	for i, c := range codeFrequency(testResources(t)) {
		t.Logf("%d\t%d\t%s\t%s\t%s", i+1, c.N, c.System, c.Code, c.Display)
	}
}
