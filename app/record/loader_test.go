package record

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestLoaderMatchesLoad: a chart streamed through a Loader, each type's
// resources in any order (as the cache reads them), equals the chart Load
// builds from the same resources sorted by type, then id (as the cache
// lists them): the fixtures' smaller bundles all at once (many batches),
// and small cases around the batch size.
func TestLoaderMatchesLoad(t *testing.T) {
	type record struct {
		name      string
		resources []Resource
	}
	// The smaller bundles (the race detector makes decoding slow), in
	// batches of a few dozen.
	const size = 37
	var all []Resource
	for _, b := range loadBundles(t) {
		if len(b.resources) < 200 {
			all = append(all, b.resources...)
		}
	}
	records := []record{{"the fixtures' smaller bundles", all}}
	for _, n := range []int{0, 1, size - 1, size, size + 1, 3*size + 5} {
		var rs []Resource
		for i := range n {
			rs = append(rs, res("Observation", fmt.Sprintf("o%05d", i),
				fmt.Sprintf(`{"status":"final","code":{"text":"Glucose"},"effectiveDateTime":"2024-01-%02d","valueQuantity":{"value":%d,"unit":"mg/dL"}}`, 1+i%28, 80+i%40)))
		}
		rs = append(rs, res("Practitioner", "p", `{"name":[{"text":"Dr Ada Lee"}]}`), res("Patient", "pt", `{"name":[{"text":"Quinn"}]}`))
		records = append(records, record{fmt.Sprintf("%d results", n), rs})
	}
	rng := rand.New(rand.NewPCG(15, 1))
	for _, rec := range records {
		t.Run(rec.name, func(t *testing.T) {
			// One resource per type and id, as in the cache.
			rs := slices.Clone(rec.resources)
			byTypeID := func(x, y Resource) int { return cmp.Or(cmp.Compare(x.Type, y.Type), cmp.Compare(x.ID, y.ID)) }
			slices.SortStableFunc(rs, byTypeID)
			rs = slices.CompactFunc(rs, func(x, y Resource) bool { return byTypeID(x, y) == 0 })
			want := Load(rs)

			n := map[string]int{}
			for _, r := range rs {
				n[r.Type]++
			}
			l := NewLoader(n)
			l.size = size
			for start := 0; start < len(rs); {
				end := start
				for end < len(rs) && rs[end].Type == rs[start].Type {
					end++
				}
				run := slices.Clone(rs[start:end])
				rng.Shuffle(len(run), func(i, j int) { run[i], run[j] = run[j], run[i] })
				for _, r := range run {
					l.Add(r)
				}
				start = end
			}
			got := l.Chart()
			if got.Len() != len(rs) {
				t.Fatalf("streamed chart has %d entries, want %d", got.Len(), len(rs))
			}
			if !reflect.DeepEqual(got, want) {
				ge, we := entries(got), entries(want)
				for i := range min(len(ge), len(we)) {
					if ge[i] != we[i] {
						t.Fatalf("entry %d: streamed %s, loaded %s", i, ge[i].Key(), we[i].Key())
					}
				}
				t.Fatal("the streamed chart differs from the loaded one (same entries in the same order)")
			}
			if len(rs) > 0 && !reflect.DeepEqual(got.Trends().Series, want.Trends().Series) {
				t.Error("the streamed chart's trends differ from the loaded one's")
			}
		})
	}
}

// TestLoaderSizesFromCounts: a Loader told too few or too many of a type
// still places every resource (counts only size the slices).
func TestLoaderSizesFromCounts(t *testing.T) {
	for _, n := range []map[string]int{nil, {"Observation": 1}, {"Observation": 100, "Encounter": 5}} {
		l := NewLoader(n)
		for i := range 3 {
			l.Add(res("Observation", fmt.Sprintf("o%d", 2-i), `{"code":{"text":"Glucose"}}`))
		}
		l.Add(res("Patient", "p", `{"name":[{"text":"Quinn"}]}`))
		c := l.Chart()
		if len(c.Observations) != 3 || len(c.Patients) != 1 || c.Observations[0].ID != "o0" || c.Observations[2].ID != "o2" {
			t.Errorf("counts %v: %d results (first %q), %d patients", n, len(c.Observations), c.Observations[0].ID, len(c.Patients))
		}
		if c.Name(Ref{Reference: "Observation/o1"}) != "Glucose" {
			t.Errorf("counts %v: the results are not named", n)
		}
	}
}
