package storage

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestRedateStep: resources written with no month (before a DateOf was
// installed) or none (before it read their type) get the month their
// DateOf reads now, step by step, each row looked at once per pass; other
// types stay as they were; a rotated key changes nothing of it.
func TestRedateStep(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	at := func(y int, m time.Month) time.Time { return time.Date(y, m, 10, 12, 0, 0, 0, time.UTC) }
	dates := map[string]time.Time{"old": at(2020, 1), "old-report": at(2021, 6), "new": at(2024, 3), "new-report": at(2024, 4), "cond": at(2024, 3)}
	res := func(typ, id string) Resource {
		return Resource{Type: typ, ID: id, LastUpdated: at(2024, 5), JSON: []byte(`{"resourceType":"` + typ + `","id":"` + id + `"}`)}
	}
	// Before any DateOf: no month at all.
	if err := s.Put(ctx, p.ID, res("Observation", "old"), res("Observation", "new"), res("Observation", "undated"), res("Condition", "cond")); err != nil {
		t.Fatal(err)
	}
	// A DateOf that reads Observations only: reports get none.
	s.SetDateOf(func(r Resource) (time.Time, bool) {
		d, ok := dates[r.ID]
		return d, ok && r.Type == "Observation"
	})
	if err := s.Put(ctx, p.ID, res("DiagnosticReport", "old-report"), res("DiagnosticReport", "new-report")); err != nil {
		t.Fatal(err)
	}
	dated := func(typ string) string {
		var got []string
		if err := s.EachDatedSince(ctx, p.ID, typ, time.Time{}, at(2024, 1), func(r Resource) error {
			got = append(got, r.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		return strings.Join(got, " ")
	}
	if got := dated("Observation") + " | " + dated("DiagnosticReport"); got != "new old undated | new-report old-report" {
		t.Fatalf("before redating, read since 2024: %q, want every one", got)
	}

	// A DateOf that reads both.
	s.SetDateOf(func(r Resource) (time.Time, bool) {
		d, ok := dates[r.ID]
		return d, ok && r.Type != "Condition"
	})
	if err := s.Rekey(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	steps := 0
	var after int64
	for {
		next, done, err := s.RedateStep(ctx, p.ID, []string{"Observation", "DiagnosticReport"}, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		if done {
			break
		}
		if next <= after || steps > 10 {
			t.Fatalf("step %d: from row %d to %d", steps, after, next)
		}
		after = next
	}
	if steps != 3 { // five rows, two at a time
		t.Errorf("redating took %d steps, want 3", steps)
	}
	if got := dated("Observation") + " | " + dated("DiagnosticReport"); got != "new undated | new-report" {
		t.Errorf("after redating, read since 2024: %q, want the recent ones and the undated one", got)
	}
	var conds []string
	if err := s.EachDatedSince(ctx, p.ID, "Condition", time.Time{}, at(2025, 1), func(r Resource) error {
		conds = append(conds, r.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(conds) != 1 {
		t.Errorf("a type not asked for was redated: %v read after 2025", conds)
	}
	// The resources themselves are untouched.
	for _, id := range []string{"old", "new", "undated"} {
		r, err := s.Get(ctx, p.ID, "Observation", id)
		if err != nil || string(r.JSON) != string(res("Observation", id).JSON) {
			t.Errorf("Observation %s after redating: %q, %v", id, r.JSON, err)
		}
	}
}
