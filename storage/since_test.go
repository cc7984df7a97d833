package storage

import (
	"context"
	"sort"
	"testing"
	"time"
)

func TestEachUpdatedSince(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	day := func(d int) time.Time { return time.Date(2024, 3, d, 15, 0, 0, 0, time.UTC) }
	rs := []Resource{
		{Type: "Observation", ID: "old", LastUpdated: day(1), JSON: []byte(`{"resourceType":"Observation","id":"old"}`)},
		{Type: "Observation", ID: "same-day-earlier", LastUpdated: day(10).Add(-10 * time.Hour), JSON: []byte(`{"resourceType":"Observation","id":"same-day-earlier"}`)},
		{Type: "Observation", ID: "new", LastUpdated: day(20), JSON: []byte(`{"resourceType":"Observation","id":"new"}`)},
		{Type: "Observation", ID: "undated", JSON: []byte(`{"resourceType":"Observation","id":"undated"}`)},
		{Type: "Condition", ID: "other-type", LastUpdated: day(20), JSON: []byte(`{"resourceType":"Condition","id":"other-type"}`)},
	}
	if err := s.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		since time.Time
		want  []string
	}{
		{"zero since is everything", time.Time{}, []string{"new", "old", "same-day-earlier", "undated"}},
		{"day granularity keeps the whole day", day(10), []string{"new", "same-day-earlier", "undated"}},
		{"after the newest", day(21), []string{"undated"}},
	}
	for _, tt := range tests {
		var got []string
		err := s.EachUpdatedSince(ctx, p.ID, "Observation", tt.since, func(r Resource) error {
			got = append(got, r.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
	s.Lock()
	if err := s.EachUpdatedSince(ctx, p.ID, "Observation", day(1), func(Resource) error { return nil }); err == nil {
		t.Error("EachUpdatedSince on a locked store did not fail")
	}
}
