package record

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestTrendBuilderSameAsTrends: the Observations of every fixture record
// given one at a time, in a shuffled order, to two TrendBuilders then
// merged make the trends Trends makes of them in a chart's order (by id):
// same series, points, ties between points of one day and reference
// ranges.
func TestTrendBuilderSameAsTrends(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	points := 0
	for _, bf := range loadBundles(t) {
		var obs []Observation
		for _, r := range bf.resources {
			if r.Type == "Observation" {
				obs = append(obs, DecodeObservation(r))
			}
		}
		slices.SortFunc(obs, func(x, y Observation) int { return strings.Compare(x.ID, y.ID) })
		want := Trends(obs)
		for range 3 {
			rng.Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
			// Two builders, each given some, merged.
			var b, other TrendBuilder
			for i, o := range obs {
				if i%3 == 0 {
					other.Add(o)
				} else {
					b.Add(o)
				}
			}
			b.Merge(&other)
			if got := b.Series(); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: TrendBuilder made %d series, Trends %d, or they differ", bf.name, len(got), len(want))
			}
		}
		for _, s := range want {
			points += len(s.Points)
		}
	}
	if points == 0 {
		t.Fatal("the fixtures have no measurements: the test tells nothing")
	}
	var empty TrendBuilder
	if got := empty.Series(); got == nil || len(got) != 0 {
		t.Fatalf("no Observations: %#v, want an empty list as Trends gives", got)
	}
}
