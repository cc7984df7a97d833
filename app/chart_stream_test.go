package app

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// listAndLoad is the chart of types (nil: all) as it was built before
// charts were streamed: every resource listed (store.List, by type, then
// id), then decoded at once.
func listAndLoad(t *testing.T, a *App, profileID string, types []string, extra ...record.Resource) *record.Chart {
	t.Helper()
	if types == nil {
		types = []string{""}
	}
	var in []record.Resource
	for _, typ := range types {
		rs, err := a.store.List(context.Background(), profileID, typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			in = append(in, record.Resource(r))
		}
	}
	in = append(in, extra...)
	slices.SortStableFunc(in, func(x, y record.Resource) int {
		return strings.Compare(x.Type+"\x00"+x.ID, y.Type+"\x00"+y.ID)
	})
	return record.Load(in)
}

// TestStreamedChartsMatchListed: the charts screens read, streamed from
// the cache type by type in batches, equal the charts decoded from the
// whole listed record, for a scale record: the whole record, the types
// of screens, and the details of single entries. (TestLoaderMatchesLoad
// in app/record runs the fixtures through the Loader, in many batches.)
func TestStreamedChartsMatchListed(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: "scale", Label: "Quinn"})
	if err != nil {
		t.Fatal(err)
	}
	// A quarter of the results and a tenth of the practice's free
	// times: decoding is slow under the race detector.
	var rs []storage.Resource
	n := map[string]int{}
	for _, r := range scaleRecord(t, 2, false) {
		n[r.Type]++
		if (r.Type == "Observation" && n[r.Type]%4 != 0) || (r.Type == "Slot" && n[r.Type]%10 != 0) {
			continue
		}
		rs = append(rs, r)
	}
	if err := a.store.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	counts, err := a.store.Counts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts["Observation"] < 2 || counts["Encounter"] < 2 {
		t.Fatalf("counts %v: too few results and visits to prove anything", counts)
	}
	for _, types := range [][]string{
		nil,
		{"Observation", "DiagnosticReport"},
		{"Encounter", "Procedure", "Claim"},
		{"NoSuchType"},
	} {
		got, err := a.ChartOf(ctx, p.ID, types...)
		if err != nil {
			t.Fatal(err)
		}
		want := listAndLoad(t, a, p.ID, chartTypes(types))
		got.Trends() // computed in both (a chart of results shares them)
		want.Trends()
		if got.Len() != want.Len() || !reflect.DeepEqual(got, want) {
			t.Errorf("types %v: the streamed chart (%d entries) differs from the listed one (%d)", types, got.Len(), want.Len())
		}
	}

	// The details of entries: the support types and the entries named.
	obs, err := a.store.List(ctx, p.ID, "Observation")
	if err != nil {
		t.Fatal(err)
	}
	encs, err := a.store.List(ctx, p.ID, "Encounter")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"Observation/" + obs[len(obs)/2].ID, "Encounter/" + encs[0].ID, "Observation/" + obs[0].ID, "Observation/missing"}
	got, err := a.ChartOfEntries(ctx, p.ID, keys...)
	if err != nil {
		t.Fatal(err)
	}
	want := listAndLoad(t, a, p.ID, SupportTypes, record.Resource(obs[len(obs)/2]), record.Resource(encs[0]), record.Resource(obs[0]))
	if got.Len() != want.Len() || !reflect.DeepEqual(got, want) {
		t.Errorf("details of %v: the streamed chart (%d entries) differs from the listed one (%d)", keys, got.Len(), want.Len())
	}
	if len(got.Observations) != 2 || len(got.Encounters) != 1 {
		t.Errorf("details of %v: %d results and %d visits", keys, len(got.Observations), len(got.Encounters))
	}
}
