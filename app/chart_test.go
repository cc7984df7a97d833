package app

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
)

// TestDashboardFastPathAgrees: the dashboard computed from the few records
// it reads (old results passed over undecoded) says exactly what it says
// when computed from the whole decoded record, whenever results were last
// looked at.
func TestDashboardFastPathAgrees(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: "scale", Label: "Quinn"})
	if err != nil {
		t.Fatal(err)
	}
	rs := scaleRecord(t, 2, true) // every record updated today, as after a first sync
	// Lab results sent without a report: a recent one, an old one, and an
	// old test whose result came in last week.
	day := func(daysAgo int) string { return time.Now().AddDate(0, 0, -daysAgo).UTC().Format(time.RFC3339) }
	loose := func(id, effective, issued string) storage.Resource {
		return storage.Resource{Type: "Observation", ID: id, LastUpdated: time.Now(), JSON: []byte(fmt.Sprintf(
			`{"resourceType":"Observation","id":%q,"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],`+
				`"code":{"text":"Ferritin %s"},"subject":{"reference":"Patient/scale"},"effectiveDateTime":%q,"issued":%q,"valueQuantity":{"value":12,"unit":"ng/mL"},`+
				`"referenceRange":[{"low":{"value":15,"unit":"ng/mL"}}]}`, id, id, effective, issued))}
	}
	rs = append(rs, loose("loose-new", day(10), day(9)), loose("loose-old", day(1000), day(999)), loose("late", day(100), day(5)))
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
	newSeen := 0
	for _, daysAgo := range []int{0, 20, 45, 90, 400, 2000} {
		now := time.Now()
		a.cfg.Now = func() time.Time { return now.AddDate(0, 0, -daysAgo) }
		if err := a.MarkResultsSeen(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		a.cfg.Now = time.Now

		a.forget(p.ID)
		fast, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := a.Chart(ctx, p.ID) // the whole record, decoded
		if err != nil {
			t.Fatal(err)
		}
		pr, err := a.store.Profile(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		now = a.cfg.Now()
		full, err := a.dashboardOf(ctx, pr, whole, now, resultsBaseline(pr, now))
		if err != nil {
			t.Fatal(err)
		}
		if summary(fast) != summary(full) || !reflect.DeepEqual(fast.Upcoming, full.Upcoming) {
			t.Errorf("results seen %d days ago: from the few records:\n%s\nfrom the whole record:\n%s", daysAgo, summary(fast), summary(full))
		}
		newSeen += len(full.NewResults)
		t.Logf("seen %d days ago: %d new result groups", daysAgo, len(full.NewResults))
	}
	if newSeen == 0 {
		t.Error("no new results at any point: the comparison proves nothing")
	}
}
