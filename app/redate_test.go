package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
)

// TestRedateOldCache: a cache written when only results carried their
// month in clear gets its reports' months in the background after
// unlock, once; the dashboard then reads only the recent reports, and
// says what it said.
func TestRedateOldCache(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	const passphrase = "a long passphrase"
	if err := a.Setup(ctx, passphrase); err != nil {
		t.Fatal(err)
	}
	// The redating pass the set-up started ends first: had it listed the
	// profile created below, it would mark it redated before the old
	// cache is written, and the unlock below would redate nothing.
	for a.catchingUp.Load() {
		time.Sleep(time.Millisecond)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: "scale", Label: "Quinn"})
	if err != nil {
		t.Fatal(err)
	}
	// Written as the app did before: a month for results alone.
	a.store.SetDateOf(func(r storage.Resource) (time.Time, bool) {
		if r.Type != "Observation" {
			return time.Time{}, false
		}
		return ownDate(r)
	})
	// A report a month for four years, each with its result.
	now := time.Now()
	rs := []storage.Resource{{Type: "Patient", ID: "scale", LastUpdated: now, JSON: []byte(`{"resourceType":"Patient","id":"scale","name":[{"text":"Quinn"}]}`)}}
	for i := range 48 {
		when := now.AddDate(0, -i, -1).UTC().Format(time.RFC3339)
		rs = append(rs, storage.Resource{Type: "DiagnosticReport", ID: fmt.Sprint("rep-", i), LastUpdated: now, JSON: fmt.Appendf(nil,
			`{"resourceType":"DiagnosticReport","id":"rep-%d","status":"final","code":{"text":"Panel %d"},"subject":{"reference":"Patient/scale"},"issued":%q,"result":[{"reference":"Observation/ob-%d"}]}`,
			i, i, when, i)},
			storage.Resource{Type: "Observation", ID: fmt.Sprint("ob-", i), LastUpdated: now, JSON: fmt.Appendf(nil,
				`{"resourceType":"Observation","id":"ob-%d","status":"final","category":[{"coding":[{"code":"laboratory"}]}],"code":{"text":"Test %d"},"subject":{"reference":"Patient/scale"},"effectiveDateTime":%q,"valueQuantity":{"value":%d,"unit":"mg/dL"}}`,
				i, i, when, i)})
	}
	if err := a.store.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	a.store.SetDateOf(ownDate)
	since := time.Now().Add(-newResultsWindow)
	reports := func() (read, all int) {
		if err := a.store.EachDatedSince(ctx, p.ID, "DiagnosticReport", time.Time{}, since, func(storage.Resource) error { read++; return nil }); err != nil {
			t.Fatal(err)
		}
		counts, err := a.store.Counts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return read, counts["DiagnosticReport"]
	}
	summary := func() string {
		a.forget(p.ID)
		d, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprint(len(d.Unread), len(d.Upcoming), len(d.Due))
		for _, g := range d.NewResults {
			s += fmt.Sprintf("|%s %s %d %d", g.Title, g.Date, len(g.Results), g.Abnormal)
		}
		return s
	}
	before := summary()
	if !strings.Contains(before, "Panel") {
		t.Fatalf("no new results on the dashboard (%s): the comparison proves nothing", before)
	}
	if read, all := reports(); read != all || all == 0 {
		t.Fatalf("before redating the dashboard reads %d reports of %d, want all", read, all)
	}

	a.Lock()
	if err := a.Unlock(ctx, passphrase); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := a.store.Value(ctx, p.ID, valueDated); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache was not redated after unlock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	read, all := reports()
	if read == 0 || read*4 > all {
		t.Errorf("after redating the dashboard reads %d reports of %d, want the few recent ones", read, all)
	}
	if after := summary(); after != before {
		t.Errorf("the dashboard changed with redating:\n%s\nwas\n%s", after, before)
	}
	// Done once: the next pass looks at nothing.
	if err := a.redate(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
}
