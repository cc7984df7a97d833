package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
)

// TestDashboardOlderReportsOfNewResults: the dashboard reads only the
// reports that may be new, yet a recent result listed by an older report
// (directly, or as a member of a panel it lists) stays that report's, not
// a new result of its own, exactly as when computed from the whole
// decoded record; a report whose date storage cannot keep in clear (an
// effective period) is read whatever its date.
func TestDashboardOlderReportsOfNewResults(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: "pat", Label: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	day := func(daysAgo int) string { return now.AddDate(0, 0, -daysAgo).UTC().Format(time.RFC3339) }
	const lab = `"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],`
	obs := func(id, category string, daysAgo int, members ...string) storage.Resource {
		value := `"valueQuantity":{"value":3,"unit":"mmol/L"},"referenceRange":[{"high":{"value":2,"unit":"mmol/L"}}]`
		if len(members) > 0 {
			value = `"hasMember":[`
			for i, m := range members {
				if i > 0 {
					value += ","
				}
				value += fmt.Sprintf(`{"reference":"Observation/%s"}`, m)
			}
			value += "]"
		}
		return storage.Resource{Type: "Observation", ID: id, LastUpdated: now, JSON: fmt.Appendf(nil,
			`{"resourceType":"Observation","id":%q,"status":"final",%s"code":{"text":"Test %s"},"subject":{"reference":"Patient/pat"},"effectiveDateTime":%q,%s}`,
			id, category, id, day(daysAgo), value)}
	}
	report := func(id, dates string, results ...string) storage.Resource {
		refs := ""
		for i, r := range results {
			if i > 0 {
				refs += ","
			}
			refs += fmt.Sprintf(`{"reference":"Observation/%s"}`, r)
		}
		return storage.Resource{Type: "DiagnosticReport", ID: id, LastUpdated: now, JSON: fmt.Appendf(nil,
			`{"resourceType":"DiagnosticReport","id":%q,"status":"final","code":{"text":"Panel %s"},"subject":{"reference":"Patient/pat"},%s,"result":[%s]}`,
			id, id, dates, refs)}
	}
	rs := []storage.Resource{
		{Type: "Patient", ID: "pat", LastUpdated: now, JSON: []byte(`{"resourceType":"Patient","id":"pat","name":[{"text":"Ada"}]}`)},
		// An old report listing a result dated last week.
		report("old-direct", fmt.Sprintf(`"effectiveDateTime":%q,"issued":%q`, day(400), day(399)), "late"),
		obs("late", lab, 5),
		// An old report listing a panel (not itself a lab result) whose
		// member came in last week.
		report("old-panel", fmt.Sprintf(`"issued":%q`, day(500)), "panel"),
		obs("panel", "", 6, "member"),
		obs("member", lab, 6),
		// A recent report with an effective period: no month in clear.
		report("period", fmt.Sprintf(`"effectivePeriod":{"start":%q,"end":%q}`, day(4), day(3)), "in-period"),
		obs("in-period", lab, 3),
		// A recent report, and a recent result of no report.
		report("new", fmt.Sprintf(`"issued":%q`, day(2)), "fresh"),
		obs("fresh", lab, 2),
		obs("loose", lab, 1),
		// Old reports of old results.
		report("older", fmt.Sprintf(`"issued":%q`, day(800)), "ancient"),
		obs("ancient", lab, 800),
	}
	if err := a.store.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	summary := func(d Dashboard) string {
		var s string
		for _, g := range d.NewResults {
			s += fmt.Sprintf("%s %s %d %d|", g.Title, g.Date, len(g.Results), g.Abnormal)
		}
		for _, at := range d.Attention {
			s += fmt.Sprintf("%v %s %s|", at.Kind, at.Title, at.Detail)
		}
		return s
	}
	for _, daysAgo := range []int{0, 3, 7, 45, 600} {
		a.cfg.Now = func() time.Time { return now.AddDate(0, 0, -daysAgo) }
		if err := a.MarkResultsSeen(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		a.cfg.Now = func() time.Time { return now }
		a.forget(p.ID)
		fast, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Chart(ctx, p.ID); err != nil { // the whole record, decoded
			t.Fatal(err)
		}
		full, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if summary(fast) != summary(full) {
			t.Errorf("results seen %d days ago: from the few records:\n%s\nfrom the whole record:\n%s", daysAgo, summary(fast), summary(full))
		}
		t.Logf("seen %d days ago: %s", daysAgo, summary(full))
		if daysAgo == 7 && len(full.NewResults) != 3 { // period, new, loose
			t.Errorf("seen a week ago: %d new result groups, want 3 (the recent reports and the loose result)", len(full.NewResults))
		}
	}
}
