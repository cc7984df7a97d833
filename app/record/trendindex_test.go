package record

import (
	"reflect"
	"slices"
	"testing"
	"unsafe"
)

// TestTrendIndexAndNamesOfEveryResult: for every result of the fixtures,
// the trends a result belongs to (TrendIndex.Of, worked out from the
// result itself) are exactly the series whose points name it, and its
// name resolves by reference as any other entry's (results are named
// through a sorted index rather than the maps of Refs).
func TestTrendIndexAndNamesOfEveryResult(t *testing.T) {
	withTrend, named := 0, 0
	for _, b := range loadBundles(t) {
		c := Load(b.resources)
		ti := c.Trends()
		// A urn:uuid reference names a UUID, unique across types: ids
		// that other entries share (HL7's examples reuse "example") are
		// not asked by urn.
		otherIDs := map[string]bool{}
		for _, e := range entries(c) {
			if e.Type != "Observation" {
				otherIDs[e.ID] = true
			}
		}
		want := map[string][]int32{}
		for i, s := range ti.Series {
			if len(s.Points) < 2 {
				continue
			}
			for _, p := range s.Points {
				want[p.ObservationID] = append(want[p.ObservationID], int32(i))
			}
		}
		for _, o := range c.Observations {
			got := ti.Of(o)
			if !slices.Equal(got, want[o.ID]) {
				t.Errorf("%s: Observation/%s is in the trends %v, want %v", b.name, o.ID, got, want[o.ID])
			}
			if len(got) > 0 {
				withTrend++
			}
			if o.Name == "" || o.ID == "" {
				continue
			}
			named++
			refs := []string{"Observation/" + o.ID, "https://example.org/fhir/Observation/" + o.ID + "/_history/2"}
			if !otherIDs[o.ID] {
				refs = append(refs, "urn:uuid:"+o.ID)
			}
			for _, ref := range refs {
				if n := c.Refs.Lookup(ref); n != o.Name {
					t.Errorf("%s: %s names %q, want %q", b.name, ref, n, o.Name)
				}
			}
		}
		if n := c.Refs.Lookup("Observation/no-such-result"); n != "" {
			t.Errorf("%s: an unknown result is named %q", b.name, n)
		}
	}
	if withTrend == 0 || named == 0 {
		t.Errorf("%d results in a trend, %d named: the fixtures prove nothing", withTrend, named)
	}
}

// TestChartTrendsAreTrends: a chart's trends, their texts moved into one
// allocation (compactSeries), are Trends of its results, for the
// smaller bundles of the fixtures (decoding is slow under the race
// detector); equal texts share their bytes.
func TestChartTrendsAreTrends(t *testing.T) {
	series := 0
	for _, b := range loadBundles(t) {
		if len(b.resources) > 300 {
			continue
		}
		c := Load(b.resources)
		want := Trends(c.Observations)
		got := c.Trends().Series
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the chart's trends differ from Trends of its results", b.name)
		}
		for _, s := range got {
			for _, p := range s.Points {
				if p.Unit != "" && p.Unit == s.Points[0].Unit && unsafe.StringData(p.Unit) != unsafe.StringData(s.Points[0].Unit) {
					t.Fatalf("%s: a series' unit %q is kept once for each point", b.name, p.Unit)
				}
			}
			if len(s.Points) > 1 {
				series++
			}
		}
	}
	if series == 0 {
		t.Error("no series of two points: the fixtures prove nothing")
	}
}
