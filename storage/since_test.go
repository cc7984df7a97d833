package storage

import (
	"context"
	"sort"
	"strings"
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

func TestEachDatedSince(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	dates := map[string]time.Time{
		"2023": at(2023, 5, 2), "jan": at(2024, 1, 31), "feb-start": at(2024, 2, 1), "mar": at(2024, 3, 15),
	}
	obs := func(id string, updated time.Time) Resource {
		return Resource{Type: "Observation", ID: id, LastUpdated: updated, JSON: []byte(`{"resourceType":"Observation","id":"` + id + `"}`)}
	}
	// Written before a DateOf was installed: no month kept, always read.
	if err := s.Put(ctx, p.ID, obs("legacy", at(2024, 3, 20))); err != nil {
		t.Fatal(err)
	}
	s.SetDateOf(func(r Resource) (time.Time, bool) {
		d, ok := dates[r.ID]
		return d, ok
	})
	rs := []Resource{
		obs("2023", at(2024, 3, 20)), obs("jan", at(2024, 3, 20)), obs("feb-start", at(2024, 3, 20)),
		obs("mar", at(2024, 3, 20)), obs("mar-updated-long-ago", at(2023, 1, 1)), obs("no-date", at(2024, 3, 20)),
		{Type: "Condition", ID: "mar", LastUpdated: at(2024, 3, 20), JSON: []byte(`{"resourceType":"Condition","id":"mar"}`)},
	}
	dates["mar-updated-long-ago"] = at(2024, 3, 1)
	if err := s.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		updated, dated time.Time
		want           []string
	}{
		{"the month of dated counts whole", time.Time{}, at(2024, 2, 20), []string{"feb-start", "legacy", "mar", "mar-updated-long-ago", "no-date"}},
		{"and updated since", at(2024, 3, 1), at(2024, 2, 20), []string{"feb-start", "legacy", "mar", "no-date"}},
		{"zero dated is any date", at(2024, 3, 1), time.Time{}, []string{"2023", "feb-start", "jan", "legacy", "mar", "no-date"}},
		{"after every date", time.Time{}, at(2025, 1, 1), []string{"legacy", "no-date"}},
	}
	for _, tt := range tests {
		var got []string
		err := s.EachDatedSince(ctx, p.ID, "Observation", tt.updated, tt.dated, func(r Resource) error {
			got = append(got, r.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
